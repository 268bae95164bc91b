import math

import numpy as np
import pytest

from pulso.text.analysis.embed import default_embedder
from pulso.text.analysis.sentiment import (
    SentimentModel,
    SentimentScores,
    TrainingExample,
    build_seed_model,
    evaluate,
    examples_from_scores,
    holdout_split,
    label_from_score,
    score_predictions,
    seed_corpus,
    shipped_lexicon,
    shipped_model,
    should_replace,
    train,
)

TEXTS = [
    "Thank you so much, the crew was wonderful!",
    "My bag is lost and nobody answers. Worst airline ever.",
    "¡Gracias! El servicio fue excelente.",
    "Un desastre, me cancelaron el vuelo y nadie responde.",
]


def test_shipped_model_orders_clear_cases() -> None:
    model = shipped_model()
    result = model.predict(TEXTS)
    assert [s.label for s in result] == ["positive", "negative", "positive", "negative"]
    assert all(-1 <= s.score <= 1 for s in result)
    assert result[0].score > 0.3 > -0.3 > result[1].score


def test_precomputed_vectors_give_the_same_scores() -> None:
    model = shipped_model()
    vectors = default_embedder().encode(TEXTS)
    assert np.allclose(model.scores(TEXTS, vectors), model.scores(TEXTS))
    assert model.predict([]) == []
    assert model.scores([]).shape == (0,)
    with pytest.raises(ValueError, match="vectors"):
        model.predict(TEXTS, vectors[:2])


@pytest.mark.slow
def test_shipped_model_is_rebuilt_from_the_seed_corpus() -> None:
    rebuilt = build_seed_model()
    shipped = shipped_model()
    assert rebuilt.version == shipped.version
    assert rebuilt.meta == shipped.meta
    assert np.allclose(rebuilt.layer.embedding, shipped.layer.embedding, atol=1e-4)
    assert np.allclose(rebuilt.layer.intercept, shipped.layer.intercept, atol=1e-4)


def test_seed_corpus_is_large_and_balanced_enough() -> None:
    for language in ("en", "es"):
        rows = seed_corpus(language)
        labels = [label for _, label in rows]
        assert len(rows) >= 1500
        assert min(labels.count(label) for label in ("negative", "neutral", "positive")) >= 500
        assert len({text for text, _ in rows}) == len(rows)


def test_lexicon_flips_negated_terms() -> None:
    features = shipped_lexicon().features(["good service", "not good at all", "pésimo, nada bien"])
    assert features[0, 0] > 0
    assert features[0, 1] == 0
    assert features[1, 0] == 0
    assert features[1, 1] > 0
    assert features[2, 1] > features[2, 0]


def test_label_from_score() -> None:
    assert label_from_score("nps", 10) == ("positive", 0.5)
    assert label_from_score("nps", 8) is None
    assert label_from_score("nps", 2) == ("negative", 0.5)
    assert label_from_score("csat", 3) == ("neutral", 0.125)
    assert label_from_score("stars", 1) == ("negative", 0.5)
    assert label_from_score("ces", 7) == ("negative", 0.5)
    assert label_from_score("ces", 4) is None
    assert label_from_score("stars", 9) is None
    assert [e.label for e in examples_from_scores("nps", ["a", "b", "c"], [0, 8, 10])] == ["negative", "positive"]


def _domain(n: int) -> tuple[list[str], list[str]]:
    # A domain where a word the seed corpus never saw carries the sentiment.
    rng = np.random.default_rng(0)
    texts, labels = [], []
    for i in range(n):
        kind = ("negative", "neutral", "positive")[i % 3]
        word = {"negative": "zorbled", "neutral": "plinked", "positive": "quaffled"}[kind]
        texts.append(f"order {int(rng.integers(1000))} was {word} today")
        labels.append(kind)
    return texts, labels


def test_train_learns_the_domain_and_round_trips() -> None:
    texts, labels = _domain(90)
    vectors = default_embedder().encode(texts)
    examples = [TrainingExample(t, lab, 1.0, "correction") for t, lab in zip(texts, labels, strict=True)]  # type: ignore[arg-type]
    model = train(examples, vectors=vectors)
    assert model.version.startswith("org-90-")
    learned = evaluate(model, texts, labels, vectors)
    assert learned.macro_f1 > 0.9 > evaluate(shipped_model(), texts, labels, vectors).macro_f1
    again = SentimentModel.from_bytes(model.to_bytes())
    assert again.version == model.version
    assert again.base is not None
    assert np.allclose(again.scores(texts, vectors), model.scores(texts, vectors), atol=1e-4)


def test_from_bytes_refuses_other_formats() -> None:
    import io

    buffer = io.BytesIO()
    np.savez(buffer, header=np.frombuffer(b'{"format": 99, "chain": []}', dtype=np.uint8))
    with pytest.raises(ValueError, match="format"):
        SentimentModel.from_bytes(buffer.getvalue())


def test_scores_and_promotion() -> None:
    scores = score_predictions(
        ["negative", "positive", "neutral"], ["negative", "neutral", "neutral"], np.array([-0.9, 0.2, 0.0])
    )
    assert scores.accuracy == pytest.approx(2 / 3)
    assert scores.auc == 1.0
    assert scores.n == 3
    assert scores.macro_f1 == pytest.approx((1 + 0 + 2 / 3) / 3)
    live = SentimentScores(0.7, 0.60, 0.90, 200)
    assert should_replace(live, SentimentScores(0.72, 0.62, 0.90, 200))
    assert not should_replace(live, SentimentScores(0.72, 0.602, 0.90, 200))
    assert not should_replace(live, SentimentScores(0.72, 0.65, 0.80, 200))
    assert not should_replace(live, SentimentScores(0.72, 0.65, 0.90, 100))
    assert should_replace(SentimentScores(0.7, 0.6, math.nan, 50), SentimentScores(0.7, 0.7, math.nan, 50))


def test_holdout_split() -> None:
    train_idx, held = holdout_split(10, 0.2, seed=1)
    assert len(held) == 2
    assert len(train_idx) == 8
    assert sorted(np.concatenate([train_idx, held]).tolist()) == list(range(10))
    assert np.array_equal(holdout_split(10, 0.2, seed=1)[1], held)
    with pytest.raises(ValueError, match="two"):
        holdout_split(1)
