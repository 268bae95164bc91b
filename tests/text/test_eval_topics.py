import csv
from pathlib import Path

import numpy as np

from pulso.text.analysis.eval_topics import (
    AIRLINE_FILE,
    discovery_score,
    embed_cached,
    eval_model,
    evaluate,
    learning_curve,
    load_airline,
    topic_accuracy,
)
from tests.text.test_topics import WordHashEmbedder

# Invented rows in the data file's format (the real file is read only by the evaluation, never by tests).
_ROWS = [
    ("negative", "Lost Luggage", "1", "you lost my luggage and my bag"),
    ("negative", "Lost Luggage", "0.6", "where is my bag, luggage lost"),
    ("negative", "Cancelled Flight", "1", "my flight was cancelled, cancelled again"),
    ("negative", "Cancelled Flight", "1", "flight Cancelled Flightled tonight"),
    ("negative", "Late Flight", "0.9", "the flight is late and delayed"),
    ("negative", "longlines", "1", "long lines at the counter, huge queue"),
    ("negative", "Can't Tell", "1", "meh"),
    ("positive", "", "", "great crew, thanks"),
]


def _data_dir(tmp_path: Path, repeats: int = 6) -> Path:
    with (tmp_path / AIRLINE_FILE).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["airline_sentiment", "negativereason", "negativereason_confidence", "text"])
        for r in range(repeats):
            for sentiment, reason, confidence, text in _ROWS:
                writer.writerow([sentiment, reason, confidence, f"@airline {text} #{r}"])
    return tmp_path


def test_load_keeps_negative_tweets_with_named_reasons_and_flags_leaks(tmp_path: Path) -> None:
    data = load_airline(_data_dir(tmp_path, repeats=1))
    assert data.reasons == (
        "lost_luggage",
        "lost_luggage",
        "cancelled_flight",
        "cancelled_flight",
        "late_flight",
        "long_lines",
    )
    assert data.texts[0] == "you lost my luggage and my bag #0"  # cleaned: no @handle
    assert data.leaked.tolist() == [False, False, False, True, False, False]
    assert data.confidence.tolist() == [1.0, 0.6, 1.0, 1.0, 0.9, 1.0]


def test_accuracy_discovery_and_learning_on_a_tiny_set(tmp_path: Path) -> None:
    embedder = WordHashEmbedder()
    data = load_airline(_data_dir(tmp_path))
    vectors = embed_cached(data.texts, embedder, tmp_path / "cache")
    again = embed_cached(data.texts, embedder, tmp_path / "cache")
    np.testing.assert_array_equal(vectors, again)
    model = eval_model(embedder)
    result = topic_accuracy(data, vectors, model, calibrate=False)
    assert result.overall.n == 36
    assert result.high_confidence.n == 30
    assert result.without_leak.n == 30
    assert result.overall.accuracy > 0.5  # the words of these rows are the reasons' own words
    assert result.recall_per_reason["lost_luggage"].n == 12
    score = discovery_score(data, vectors, max_themes=3, min_size=3)
    assert score.themes == 3
    assert -1.0 <= score.ami <= 1.0
    points = learning_curve(data, vectors, model, sizes=(0, 10))
    assert [p.corrections for p in points] == [0, 10]
    assert points[0].held_out.n == 10


def test_evaluate_returns_plain_data(tmp_path: Path) -> None:
    report = evaluate(_data_dir(tmp_path), embedder=WordHashEmbedder(), learning=False)
    assert report["data"] == {"tweets": 36, "high_confidence": 30, "leaked": 6}
    assert set(report) == {"data", "accuracy_calibrated", "accuracy_uncalibrated", "discovery", "speed"}
    assert report["accuracy_calibrated"]["high_confidence_threshold"] == 0.8
