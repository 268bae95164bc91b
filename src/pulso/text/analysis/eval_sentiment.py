"""Measure language detection and sentiment on the labelled evaluation data (../shared/data; never shipped).

Plain functions returning dataclasses; the CLI (`pulso text eval`) is wired elsewhere. Embeddings of the data are
cached under a cache directory when one is given, and computed otherwise.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

from pulso.text.analysis.embed import Vectors, default_embedder
from pulso.text.analysis.language import SHORT_TEXT_WORDS, detect_many
from pulso.text.analysis.normalize import clean
from pulso.text.analysis.sentiment import (
    LABELS,
    SentimentModel,
    SentimentScores,
    TrainingExample,
    evaluate,
    shipped_model,
    train,
)

Language = Literal["en", "es"]
FILES: dict[Language, str] = {"en": "airline_tweets_en.csv", "es": "spanish_airline_tweets_es.csv"}
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[4] / ".." / "shared" / "data"


@dataclass(frozen=True)
class Dataset:
    """One evaluation file: raw texts, gold labels, and its language."""

    language: Language
    texts: list[str]
    labels: list[str]


@dataclass(frozen=True)
class LanguageAccuracy:
    """Share of texts detected as the file's language, overall and by word count."""

    language: Language
    n: int
    accuracy: float
    short_n: int  # 1-3 words
    short_accuracy: float
    long_n: int  # 4+ words
    long_accuracy: float


@dataclass(frozen=True)
class LearningCurvePoint:
    """Mean and spread (standard deviation over folds) after learning from `size` of the domain's labels."""

    language: Language
    size: int
    folds: int
    accuracy: float
    macro_f1: float
    macro_f1_std: float
    auc: float
    auc_std: float


def load(data_dir: Path, language: Language) -> Dataset:
    """One evaluation file."""
    with open(Path(data_dir) / FILES[language], newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return Dataset(language, [r["text"] for r in rows], [r["airline_sentiment"] for r in rows])


def embeddings(dataset: Dataset, cache_dir: Path | None = None) -> Vectors:
    """The embeddings of a file's cleaned texts, from the cache when it holds them."""
    cleaned = [clean(t) for t in dataset.texts]
    path = None
    if cache_dir is not None:
        digest = hashlib.sha256("\n".join(cleaned).encode()).hexdigest()[:12]
        path = Path(cache_dir) / f"{FILES[dataset.language].split('.')[0]}-{digest}.npy"
        if path.exists():
            cached: Vectors = np.load(path)
            return cached
    vectors = default_embedder().encode(cleaned)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, vectors)
    return vectors


def language_accuracy(dataset: Dataset) -> LanguageAccuracy:
    """How often detect_many names the file's language, split at SHORT_TEXT_WORDS words."""
    found = np.array(detect_many(dataset.texts)) == dataset.language
    words = np.array([len(clean(t).split()) for t in dataset.texts])
    short = words < SHORT_TEXT_WORDS

    def share(mask: npt.NDArray[np.bool_]) -> float:
        return float(found[mask].mean()) if mask.any() else float("nan")

    return LanguageAccuracy(
        dataset.language,
        len(found),
        float(found.mean()),
        int(short.sum()),
        share(short),
        int((~short).sum()),
        share(~short),
    )


def shipped_scores(dataset: Dataset, vectors: Vectors, model: SentimentModel | None = None) -> SentimentScores:
    """Sentiment as shipped (no labels of the domain)."""
    return evaluate(model or shipped_model(), dataset.texts, dataset.labels, vectors)


def _stratified_folds(labels: Sequence[str], folds: int, seed: int) -> list[npt.NDArray[np.int64]]:
    rng = np.random.default_rng(seed)
    y = np.asarray(labels)
    assignment = np.empty(len(y), dtype=np.int64)
    for label in LABELS:
        idx = rng.permutation(np.flatnonzero(y == label))
        assignment[idx] = np.arange(len(idx)) % folds
    return [np.flatnonzero(assignment == k) for k in range(folds)]


def _stratified_sample(
    idx: npt.NDArray[np.int64], labels: npt.NDArray[np.str_], size: int, seed: int
) -> npt.NDArray[np.int64]:
    if size >= len(idx):
        return idx
    rng = np.random.default_rng(seed)
    chosen = []
    for label in LABELS:
        members = idx[labels[idx] == label]
        take = max(1, round(size * len(members) / len(idx)))
        chosen.append(rng.choice(members, size=min(take, len(members)), replace=False))
    return np.sort(np.concatenate(chosen))


def learning_curve(
    dataset: Dataset,
    vectors: Vectors,
    sizes: Sequence[int | None] = (200, 1000, None),
    folds: int = 5,
    seed: int = 0,
) -> list[LearningCurvePoint]:
    """Sentiment after train() on k labels of the domain (None = all the other folds), k-fold, mean and spread."""
    y = np.asarray(dataset.labels)
    parts = _stratified_folds(dataset.labels, folds, seed)
    points = []
    for size in sizes:
        results = []
        for k, test in enumerate(parts):
            rest = np.concatenate([p for j, p in enumerate(parts) if j != k])
            chosen = _stratified_sample(rest, y, size or len(rest), seed + k)
            examples = [TrainingExample(dataset.texts[i], y[i], 1.0, "correction") for i in chosen]
            model = train(examples, vectors=vectors[chosen], seed=seed)
            results.append(evaluate(model, [dataset.texts[i] for i in test], list(y[test]), vectors[test]))
        f1 = np.array([r.macro_f1 for r in results])
        auc = np.array([r.auc for r in results])
        points.append(
            LearningCurvePoint(
                dataset.language,
                size or int(np.mean([len(y) - len(p) for p in parts])),
                folds,
                float(np.mean([r.accuracy for r in results])),
                float(f1.mean()),
                float(f1.std()),
                float(auc.mean()),
                float(auc.std()),
            )
        )
    return points


@dataclass(frozen=True)
class Report:
    """Everything `pulso text eval` shows."""

    languages: list[LanguageAccuracy]
    shipped: dict[str, SentimentScores]
    learned: list[LearningCurvePoint]


def run(
    data_dir: Path = DEFAULT_DATA_DIR,
    cache_dir: Path | None = None,
    sizes: Sequence[int | None] = (200, 1000, None),
    folds: int = 5,
) -> Report:
    """Language accuracy, sentiment as shipped, and sentiment after learning, for both files."""
    languages, shipped, learned = [], {}, []
    for language in ("en", "es"):
        dataset = load(data_dir, language)
        vectors = embeddings(dataset, cache_dir)
        languages.append(language_accuracy(dataset))
        shipped[language] = shipped_scores(dataset, vectors)
        learned += learning_curve(dataset, vectors, sizes, folds)
    return Report(languages, shipped, learned)
