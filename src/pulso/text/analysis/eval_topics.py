"""Evaluation of topics and themes on the English airline tweets (evaluation data only; nothing here ships).

Topic accuracy: the negative tweets with one of the nine reasons other than "Can't Tell", each assigned by the
shipped TopicModel to the best of the nine topics of seed/eval_airline_taxonomy.json (written from the reasons'
names, not from the tweets). Discovery: the AMI between discover()'s themes and the reasons on the same tweets.
The data leaks its labels into over a thousand tweets ("Cancelled Flightled", "Late Flightr"): every accuracy is
also given without them.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from pulso.text.analysis.discovery import discover, theme_labels
from pulso.text.analysis.embed import Embedder, Vectors, default_embedder
from pulso.text.analysis.keyphrases import key_phrases_many
from pulso.text.analysis.normalize import clean
from pulso.text.analysis.taxonomy import default_taxonomy, load_seed_taxonomy
from pulso.text.analysis.topics import TopicModel

AIRLINE_FILE = "airline_tweets_en.csv"
EVAL_TAXONOMY = "eval_airline_taxonomy.json"
HIGH_CONFIDENCE = 0.8
_LEAK = re.compile(r"Cancelled Flight|Late Flight")  # case-sensitive: the data's own capitalised label strings


@dataclass(frozen=True)
class AirlineSet:
    """The negative tweets with a usable reason."""

    texts: tuple[str, ...]
    reasons: tuple[str, ...]  # topic keys of the evaluation taxonomy
    confidence: np.ndarray  # negativereason_confidence
    leaked: np.ndarray  # bool: the tweet holds a label string


@dataclass(frozen=True)
class Accuracy:
    """Top-1 accuracy on a subset, with its size."""

    n: int
    accuracy: float


@dataclass(frozen=True)
class TopicAccuracy:
    """Forced top-1 accuracy among the nine reasons: overall, high-confidence, without leaked tweets, per reason."""

    calibrated: bool
    high_confidence_threshold: float
    overall: Accuracy
    high_confidence: Accuracy
    without_leak: Accuracy
    high_confidence_without_leak: Accuracy
    macro_recall: float
    recall_per_reason: dict[str, Accuracy]


@dataclass(frozen=True)
class DiscoveryScore:
    """AMI of discovered themes against the reasons (comments in no theme count as one more cluster)."""

    n: int
    themes: int
    unassigned: int
    ami: float
    max_themes: int
    min_size: int
    seconds: float


@dataclass(frozen=True)
class LearningPoint:
    """Accuracy on held-out tweets after learning from `corrections` corrected ones."""

    corrections: int
    held_out: Accuracy


@dataclass(frozen=True)
class Speed:
    """Milliseconds per 1,000 comments for the parts after the embedding."""

    texts: int
    assign_ms_per_1000: float
    key_phrases_ms_per_1000: float
    long_texts: int
    long_assign_ms_per_1000: float
    long_key_phrases_ms_per_1000: float


def default_data_dir() -> Path:
    """../shared/data relative to the repository root (the directory holding pyproject.toml)."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").exists():
            return parent.parent / "shared" / "data"
    return Path("../shared/data")


def load_airline(data_dir: Path | None = None) -> AirlineSet:
    """The negative airline tweets whose reason is one of the nine named ones."""
    data_dir = data_dir or default_data_dir()
    key_of = _reason_keys()
    texts, reasons, confidence, leaked = [], [], [], []
    with (data_dir / AIRLINE_FILE).open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["airline_sentiment"] != "negative" or row["negativereason"] not in key_of:
                continue
            texts.append(clean(row["text"]))
            reasons.append(key_of[row["negativereason"]])
            confidence.append(float(row["negativereason_confidence"] or 0.0))
            leaked.append(bool(_LEAK.search(row["text"])))
    return AirlineSet(tuple(texts), tuple(reasons), np.array(confidence), np.array(leaked, dtype=bool))


def _reason_keys() -> dict[str, str]:
    raw = json.loads(resources.files("pulso.text.analysis.seed").joinpath(EVAL_TAXONOMY).read_text(encoding="utf-8"))
    return {topic["reason"]: topic["key"] for topic in raw["topics"]}


def embed_cached(texts: Sequence[str], embedder: Embedder | None = None, cache_dir: Path | None = None) -> Vectors:
    """Vectors of texts, kept in cache_dir (outside the repository) under a hash of the texts and the model."""
    embedder = embedder or default_embedder()
    if cache_dir is None:
        return embedder.encode(list(texts))
    digest = hashlib.sha256("\n".join([embedder.name, *texts]).encode("utf-8")).hexdigest()[:16]
    path = cache_dir / f"vectors-{digest}.npy"
    if path.exists():
        cached: Vectors = np.load(path, allow_pickle=False)
        return cached
    vectors = embedder.encode(list(texts))
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors, allow_pickle=False)
    return vectors


def eval_model(embedder: Embedder | None = None) -> TopicModel:
    """The shipped TopicModel with the evaluation taxonomy."""
    return TopicModel(load_seed_taxonomy(EVAL_TAXONOMY), embedder)


def _accuracy(correct: np.ndarray, mask: np.ndarray | None = None) -> Accuracy:
    chosen = correct if mask is None else correct[mask]
    return Accuracy(n=len(chosen), accuracy=float(chosen.mean()) if len(chosen) else float("nan"))


def topic_accuracy(data: AirlineSet, vectors: Vectors, model: TopicModel, *, calibrate: bool = True) -> TopicAccuracy:
    """Forced top-1 accuracy of `model` among its topics; calibrate adapts topic priors on the tweets themselves
    (unlabelled, as a deployment would on its own comments)."""
    languages = ["en"] * len(data.texts)
    if calibrate:
        model = model.calibrate(data.texts, vectors, languages)
    predicted = np.array(model.top(data.texts, vectors, languages))
    gold = np.array(data.reasons)
    correct = predicted == gold
    high = data.confidence >= HIGH_CONFIDENCE
    recall = {key: _accuracy(correct, gold == key) for key in model.keys}
    return TopicAccuracy(
        calibrated=calibrate,
        high_confidence_threshold=HIGH_CONFIDENCE,
        overall=_accuracy(correct),
        high_confidence=_accuracy(correct, high),
        without_leak=_accuracy(correct, ~data.leaked),
        high_confidence_without_leak=_accuracy(correct, high & ~data.leaked),
        macro_recall=float(np.nanmean([r.accuracy for r in recall.values()])),
        recall_per_reason=recall,
    )


def discovery_score(
    data: AirlineSet, vectors: Vectors, *, max_themes: int = 12, min_size: int = 20, seed: int = 0
) -> DiscoveryScore:
    """AMI (sklearn, arithmetic normalisation) between discover()'s themes and the reasons."""
    from sklearn.metrics import adjusted_mutual_info_score

    started = time.perf_counter()
    themes = discover(
        data.texts, vectors, languages=["en"] * len(data.texts), max_themes=max_themes, min_size=min_size, seed=seed
    )
    seconds = time.perf_counter() - started
    labels = theme_labels(themes, len(data.texts))
    return DiscoveryScore(
        n=len(data.texts),
        themes=len(themes),
        unassigned=int((labels < 0).sum()),
        ami=float(adjusted_mutual_info_score(np.array(data.reasons), labels)),
        max_themes=max_themes,
        min_size=min_size,
        seconds=seconds,
    )


def learning_curve(
    data: AirlineSet,
    vectors: Vectors,
    model: TopicModel,
    sizes: Sequence[int] = (0, 100, 300, 1000, 3000),
    held_out_share: float = 0.3,
    seed: int = 0,
) -> list[LearningPoint]:
    """Held-out accuracy after model.learn() on the first N of the other tweets with their reasons as corrections."""
    order = np.random.default_rng(seed).permutation(len(data.texts))
    cut = int(len(order) * held_out_share)
    held, pool = order[:cut], order[cut:]
    texts = list(data.texts)
    held_texts = [texts[i] for i in held]
    gold = np.array(data.reasons)[held]
    points = []
    for size in sizes:
        chosen = pool[:size]
        learned = model
        if len(chosen):
            learned = model.learn(
                [texts[i] for i in chosen], [[data.reasons[i]] for i in chosen], vectors[chosen], ["en"] * len(chosen)
            )
        predicted = np.array(learned.top(held_texts, vectors[held], ["en"] * len(held)))
        points.append(LearningPoint(corrections=len(chosen), held_out=_accuracy(predicted == gold)))
    return points


def speed(data: AirlineSet, vectors: Vectors, model: TopicModel, n: int = 3000) -> Speed:
    """Time of assign (vectors given, no score_fn) and key phrases per 1,000 tweets and per 1,000 ~450-character
    comments (the report uses the default 45-topic taxonomy)."""
    # A warm-up on other tweets fills the stem caches, as a running pipeline's would be.
    warm = list(data.texts[-500:])
    model.assign(warm, vectors[-len(warm) :], languages=["en"] * len(warm))
    key_phrases_many(warm, ["en"] * len(warm))
    texts = list(data.texts[:n])
    languages: list[str | None] = ["en"] * len(texts)
    started = time.perf_counter()
    model.assign(texts, vectors[: len(texts)], languages=languages)
    assign_seconds = time.perf_counter() - started
    started = time.perf_counter()
    key_phrases_many(texts, languages)
    phrase_seconds = time.perf_counter() - started
    # Review-length comments: four tweets joined (about 450 characters), with the mean of their vectors.
    long_texts = [" ".join(texts[i : i + 4]) for i in range(0, len(texts) - 3, 4)]
    long_vectors = vectors[: 4 * len(long_texts)].reshape(len(long_texts), 4, -1).mean(axis=1)
    long_vectors /= np.linalg.norm(long_vectors, axis=1, keepdims=True)
    long_languages: list[str | None] = ["en"] * len(long_texts)
    started = time.perf_counter()
    model.assign(long_texts, long_vectors.astype(np.float32), languages=long_languages)
    long_assign = time.perf_counter() - started
    started = time.perf_counter()
    key_phrases_many(long_texts, long_languages)
    long_phrases = time.perf_counter() - started
    return Speed(
        texts=len(texts),
        assign_ms_per_1000=assign_seconds * 1e6 / len(texts),
        key_phrases_ms_per_1000=phrase_seconds * 1e6 / len(texts),
        long_texts=len(long_texts),
        long_assign_ms_per_1000=long_assign * 1e6 / len(long_texts),
        long_key_phrases_ms_per_1000=long_phrases * 1e6 / len(long_texts),
    )


def evaluate(
    data_dir: Path | None = None,
    *,
    embedder: Embedder | None = None,
    cache_dir: Path | None = None,
    learning: bool = True,
) -> dict[str, Any]:
    """Every topic and theme figure as plain data (what `pulso text eval` prints)."""
    data = load_airline(data_dir)
    vectors = embed_cached(data.texts, embedder, cache_dir)
    model = eval_model(embedder)
    report: dict[str, Any] = {
        "data": {"tweets": len(data.texts), "high_confidence": int((data.confidence >= HIGH_CONFIDENCE).sum())},
        "accuracy_calibrated": asdict(topic_accuracy(data, vectors, model, calibrate=True)),
        "accuracy_uncalibrated": asdict(topic_accuracy(data, vectors, model, calibrate=False)),
        "discovery": asdict(discovery_score(data, vectors)),
        "speed": asdict(speed(data, vectors, TopicModel(default_taxonomy(), embedder))),
    }
    report["data"]["leaked"] = int(data.leaked.sum())
    if learning:
        report["learning"] = [asdict(point) for point in learning_curve(data, vectors, model)]
    return report
