import csv
from pathlib import Path

import numpy as np

from pulso.text.analysis import eval_sentiment as ev

# Made-up comments in the evaluation files' format (the real files are never used in tests).
EN = {
    "negative": ["my bag is lost and nobody answers", "flight delayed again, terrible", "rude staff at the gate"],
    "neutral": ["what time does boarding start", "is there wifi on board", "flying to Denver tomorrow"],
    "positive": ["thanks, the crew was wonderful", "great flight, landed early", "love the new seats"],
}
ES = {
    "negative": ["perdieron mi maleta y nadie responde", "otra vez retrasado, un desastre", "personal muy grosero"],
    "neutral": ["a qué hora empieza el embarque", "hay wifi a bordo", "vuelo a Madrid mañana"],
    "positive": ["gracias, la tripulación fue genial", "buen vuelo, llegamos antes", "me encantan los asientos"],
}


def _write(directory: Path, name: str, rows: dict[str, list[str]], repeat: int) -> None:
    with open(directory / name, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["airline_sentiment", "text"])
        writer.writeheader()
        for i in range(repeat):
            for label, texts in rows.items():
                for text in texts:
                    writer.writerow({"airline_sentiment": label, "text": f"@airline {text} #{i}"})


def _data(tmp_path: Path, repeat: int = 4) -> Path:
    _write(tmp_path, ev.FILES["en"], EN, repeat)
    _write(tmp_path, ev.FILES["es"], ES, repeat)
    return tmp_path


def test_language_accuracy_by_length(tmp_path: Path) -> None:
    dataset = ev.load(_data(tmp_path, repeat=1), "es")
    found = ev.language_accuracy(dataset)
    assert found.n == 9
    assert found.short_n + found.long_n == 9
    assert found.short_n == 0  # "@airline x y z #0" has four or more words after the handle goes
    assert found.accuracy > 0.6


def test_embeddings_are_cached(tmp_path: Path) -> None:
    dataset = ev.load(_data(tmp_path, repeat=1), "en")
    cache = tmp_path / "cache"
    first = ev.embeddings(dataset, cache)
    assert len(list(cache.glob("*.npy"))) == 1
    assert np.array_equal(ev.embeddings(dataset, cache), first)
    assert first.shape == (9, 512)


def test_learning_curve_and_report(tmp_path: Path) -> None:
    report = ev.run(_data(tmp_path), sizes=(12, None), folds=3)
    assert [a.language for a in report.languages] == ["en", "es"]
    assert set(report.shipped) == {"en", "es"}
    assert report.shipped["en"].n == 36
    assert [(p.language, p.size) for p in report.learned] == [("en", 12), ("en", 24), ("es", 12), ("es", 24)]
    assert all(0 <= p.macro_f1 <= 1 and p.folds == 3 for p in report.learned)


def test_folds_are_stratified() -> None:
    labels = ["negative"] * 10 + ["neutral"] * 5 + ["positive"] * 5
    folds = ev._stratified_folds(labels, 5, seed=0)
    assert sorted(np.concatenate(folds).tolist()) == list(range(20))
    assert all(sum(labels[i] == "negative" for i in fold) == 2 for fold in folds)
