"""Sentiment of Spanish and English comments: a label and a score in [-1, 1].

The shipped model is a multinomial logistic regression on the multilingual sentence embedding plus a few bilingual
lexicon counts, trained on the project's own seed corpus (`seed/sentiment_seed_*.jsonl`). An organisation's model
adds what its own labels teach: hashed word and character n-grams (TF-IDF), its embeddings, and the seed model's
logits as a stacked prior, so a few hundred labels already move it and thousands dominate it. Everything
serialises to an npz archive of arrays plus a JSON header (no pickle).

The score is P(positive) - P(negative): it orders comments from the most negative to the most positive.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Literal, cast

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from pulso.text.analysis.embed import DIMENSIONS, Vectors, default_embedder
from pulso.text.analysis.normalize import clean, fold

Label = Literal["negative", "neutral", "positive"]
LABELS: tuple[Label, ...] = ("negative", "neutral", "positive")
ScoreKind = Literal["nps", "csat", "ces", "stars"]
Source = Literal["score", "correction"]

SEED_VERSION = "seed-1"
_SEED_PACKAGE = "pulso.text.analysis.seed"
_MODEL_PACKAGE = "pulso.text.analysis.models"
_SHIPPED_FILE = "sentiment_seed.npz"
_FORMAT = 1

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Sentiment:
    """One comment's sentiment."""

    label: Label
    score: float


@dataclass
class TrainingExample:
    """One labelled comment of an organisation: from a survey score (noisy) or a correction by CX staff (clean)."""

    text: str
    label: Label
    weight: float = 1.0
    source: Source = "correction"


@dataclass(frozen=True)
class SentimentScores:
    """How well a model does on labelled comments; auc is positive vs negative from the score (nan if undefined)."""

    accuracy: float
    macro_f1: float
    auc: float
    n: int


# --- lexicon ---------------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"[\w'-]+|[^\w\s]")
_NEGATORS = frozenset(
    [
        "not",
        "no",
        "never",
        "dont",
        "don't",
        "didnt",
        "didn't",
        "isnt",
        "isn't",
        "wasnt",
        "wasn't",
        "cant",
        "can't",
        "wont",
        "won't",
        "nothing",
        "nunca",
        "ni",
        "sin",
        "tampoco",
        "nada",
        "jamas",
    ]
)
_NEGATION_REACH = 3
LEXICON_FEATURES = 4


@dataclass(frozen=True)
class Lexicon:
    """Folded terms with a polarity; a term ending in * matches any word it starts."""

    exact: dict[str, float]
    prefixes: tuple[tuple[str, float], ...]
    _seen: dict[str, float] = field(default_factory=dict, compare=False, repr=False)  # token → polarity, memo

    @classmethod
    def from_tsv(cls, *texts: str) -> Lexicon:
        exact: dict[str, float] = {}
        prefixes: list[tuple[str, float]] = []
        for text in texts:
            for line in text.splitlines():
                if not line.strip() or line.startswith("#"):
                    continue
                term, polarity = line.split("\t")
                term = _fold_token(term)
                if term.endswith("*"):
                    prefixes.append((term[:-1], float(polarity)))
                else:
                    exact[term] = float(polarity)
        return cls(exact, tuple(sorted(prefixes, key=lambda p: -len(p[0]))))

    def polarity(self, token: str) -> float:
        found = self._seen.get(token)
        if found is None:
            found = self.exact.get(token)
            if found is None:
                found = next((value for prefix, value in self.prefixes if token.startswith(prefix)), 0.0)
            if len(self._seen) < 200_000:  # bounded: a stream of typos must not grow it forever
                self._seen[token] = found
        return found

    def features(self, texts: Sequence[str]) -> FloatArray:
        """Per text: log(1 + positive hits), log(1 + negative hits) with negation flips, a question, exclamations."""
        out = np.zeros((len(texts), LEXICON_FEATURES), dtype=np.float64)
        for row, text in enumerate(texts):
            positive = negative = 0.0
            flip_until = -1
            tokens = _TOKEN.findall(_fold_token(text))
            for i, token in enumerate(tokens):
                if token in _NEGATORS:
                    flip_until = i + _NEGATION_REACH
                    continue
                value = self.polarity(token)
                if value == 0.0:
                    continue
                if i <= flip_until:
                    value = -value
                if value > 0:
                    positive += value
                else:
                    negative -= value
            out[row, 0] = math.log1p(positive)
            out[row, 1] = math.log1p(negative)
            out[row, 2] = 1.0 if "?" in text else 0.0
            out[row, 3] = min(text.count("!"), 3) / 3
        return out


def _fold_token(text: str) -> str:
    if text.isascii():  # most English comments: fold() would only lower-case them, at ten times the cost
        return text.lower()
    return fold(text).replace("\ufe0f", "")


@lru_cache(maxsize=1)
def shipped_lexicon() -> Lexicon:
    """The bilingual polarity lexicon of the project (seed/lexicon_en.tsv and lexicon_es.tsv)."""
    seed = resources.files(_SEED_PACKAGE)
    return Lexicon.from_tsv(*(seed.joinpath(f"lexicon_{lang}.tsv").read_text("utf-8") for lang in ("en", "es")))


# --- hashed n-grams ----------------------------------------------------------------------------------------------

_HASH_BITS = 19  # per analyser; word and character n-grams each get 2**19 columns


def _hashers() -> tuple[Any, Any]:
    from sklearn.feature_extraction.text import HashingVectorizer

    common: dict[str, Any] = {"n_features": 2**_HASH_BITS, "alternate_sign": False, "norm": None, "dtype": np.float64}
    words = HashingVectorizer(analyzer="word", ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b|[!?]", **common)  # noqa: S106
    chars = HashingVectorizer(analyzer="char_wb", ngram_range=(2, 5), **common)
    return words, chars


def _hashed_counts(folded: Sequence[str]) -> sp.csr_matrix:
    words, chars = _hashers()
    counts = sp.hstack([words.transform(folded), chars.transform(folded)], format="csr")
    counts.data = np.log1p(counts.data)  # sublinear term frequency
    return cast(sp.csr_matrix, counts)


@dataclass(frozen=True)
class NgramBlock:
    """TF-IDF of hashed n-grams restricted to the columns seen at least twice in training, with their weights."""

    columns: npt.NDArray[np.int64]  # sorted hashed column ids
    idf: FloatArray  # idf of each kept column
    coef: FloatArray  # (3, len(columns))

    def transform(self, folded: Sequence[str]) -> sp.csr_matrix:
        counts = _hashed_counts(folded)
        positions = np.searchsorted(self.columns, counts.indices)
        positions = np.minimum(positions, len(self.columns) - 1)
        known = self.columns[positions] == counts.indices if len(self.columns) else np.zeros(0, bool)
        data = np.where(known, counts.data * self.idf[positions], 0.0)
        matrix = sp.csr_matrix(
            (data, np.where(known, positions, 0), counts.indptr), shape=(len(folded), len(self.columns))
        )
        matrix.eliminate_zeros()
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1))).ravel()
        return cast(sp.csr_matrix, sp.diags(1.0 / np.maximum(norms, 1e-12)) @ matrix)

    def logits(self, folded: Sequence[str]) -> FloatArray:
        return np.asarray(self.transform(folded) @ self.coef.T)


def _fit_ngram_columns(folded: Sequence[str], min_df: int = 2) -> tuple[npt.NDArray[np.int64], FloatArray]:
    counts = _hashed_counts(folded)
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    columns = np.flatnonzero(df >= min_df).astype(np.int64)
    idf = np.log((1 + len(folded)) / (1 + df[columns])) + 1.0
    return columns, idf


# --- the model ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layer:
    """Weights on [embedding, lexicon features, prior logits] plus an intercept; n-grams are separate."""

    embedding: FloatArray  # (3, 512)
    lexicon: FloatArray  # (3, LEXICON_FEATURES)
    prior: FloatArray  # (3, 3): weights on the base model's logits (zeros in the seed model)
    intercept: FloatArray  # (3,)


@dataclass(frozen=True)
class SentimentModel:
    """A trained sentiment model; `base` is the model whose logits it stacks on (None for the seed model)."""

    version: str
    layer: _Layer
    ngrams: NgramBlock | None = None
    base: SentimentModel | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def logits(
        self, texts: Sequence[str], vectors: Vectors | None = None, languages: Sequence[str] | None = None
    ) -> FloatArray:
        """Unnormalised log-probabilities of (negative, neutral, positive), one row per text."""
        cleaned = [clean(t) for t in texts]
        if vectors is None:
            vectors = default_embedder().encode(cleaned)
        if len(vectors) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(vectors)} vectors")
        z = np.asarray(vectors, dtype=np.float64) @ self.layer.embedding.T + self.layer.intercept
        if self.layer.lexicon.any():  # the seed layer does not use it; skip the per-token work
            z += shipped_lexicon().features(cleaned) @ self.layer.lexicon.T
        if self.base is not None:
            z += self.base.logits(texts, vectors, languages) @ self.layer.prior.T
        if self.ngrams is not None:
            z += self.ngrams.logits([_fold_token(t) for t in cleaned])
        return z

    def probabilities(
        self, texts: Sequence[str], vectors: Vectors | None = None, languages: Sequence[str] | None = None
    ) -> FloatArray:
        z = self.logits(texts, vectors, languages)
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return np.asarray(p / p.sum(axis=1, keepdims=True))

    def scores(
        self, texts: Sequence[str], vectors: Vectors | None = None, languages: Sequence[str] | None = None
    ) -> FloatArray:
        """P(positive) - P(negative) per text, in [-1, 1]."""
        if not texts:
            return np.zeros(0)
        p = self.probabilities(texts, vectors, languages)
        return np.asarray(p[:, 2] - p[:, 0])

    def predict(
        self, texts: Sequence[str], vectors: Vectors | None = None, languages: Sequence[str] | None = None
    ) -> list[Sentiment]:
        """Label and score of each text; pass the pipeline's embeddings as `vectors` to skip encoding."""
        if not texts:
            return []
        p = self.probabilities(texts, vectors, languages)
        best = p.argmax(axis=1)
        score = p[:, 2] - p[:, 0]
        return [Sentiment(LABELS[int(b)], float(s)) for b, s in zip(best, score, strict=True)]

    # serialisation: a chain of layers in one npz, the JSON header in a uint8 array

    def to_bytes(self) -> bytes:
        arrays: dict[str, npt.NDArray[Any]] = {}
        chain: list[dict[str, Any]] = []
        model: SentimentModel | None = self
        while model is not None:
            i = len(chain)
            for name in ("embedding", "lexicon", "prior", "intercept"):
                arrays[f"{i}.{name}"] = getattr(model.layer, name).astype(np.float32)
            if model.ngrams is not None:
                arrays[f"{i}.columns"] = model.ngrams.columns.astype(np.int32)
                arrays[f"{i}.idf"] = model.ngrams.idf.astype(np.float32)
                arrays[f"{i}.coef"] = model.ngrams.coef.astype(np.float32)
            chain.append({"version": model.version, "ngrams": model.ngrams is not None, "meta": model.meta})
            model = model.base
        header = {"format": _FORMAT, "chain": chain}
        arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> SentimentModel:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            header = json.loads(archive["header"].tobytes().decode())
            if header.get("format") != _FORMAT:
                raise ValueError(f"unknown sentiment model format {header.get('format')!r}")
            model: SentimentModel | None = None
            for i in reversed(range(len(header["chain"]))):
                entry = header["chain"][i]
                layer = _Layer(
                    *(
                        archive[f"{i}.{name}"].astype(np.float64)
                        for name in ("embedding", "lexicon", "prior", "intercept")
                    )
                )
                ngrams = None
                if entry["ngrams"]:
                    ngrams = NgramBlock(
                        archive[f"{i}.columns"].astype(np.int64),
                        archive[f"{i}.idf"].astype(np.float64),
                        archive[f"{i}.coef"].astype(np.float64),
                    )
                model = SentimentModel(entry["version"], layer, ngrams, model, entry["meta"])
        assert model is not None
        return model


# --- the seed corpus and the shipped model -----------------------------------------------------------------------


def seed_corpus(language: Literal["en", "es"] | None = None) -> list[tuple[str, Label]]:
    """The project's own labelled comments (both languages unless one is named)."""
    seed = resources.files(_SEED_PACKAGE)
    rows: list[tuple[str, Label]] = []
    for lang in (language,) if language else ("en", "es"):
        for line in seed.joinpath(f"sentiment_seed_{lang}.jsonl").read_text("utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                rows.append((str(item["text"]), cast(Label, item["label"])))
    return rows


SEED_C = 0.03  # strong regularisation: the seed corpus is composed from fragments, so it must not be memorised


def _fit_logistic(
    features: Any, labels: Sequence[Label], weights: FloatArray | None, c: float, seed: int
) -> tuple[FloatArray, FloatArray]:
    from sklearn.linear_model import LogisticRegression

    y = np.array([LABELS.index(label) for label in labels])
    if len(set(y.tolist())) < len(LABELS):
        raise ValueError("training needs examples of all three labels")
    classifier = LogisticRegression(C=c, max_iter=3000, random_state=seed)
    classifier.fit(features, y, sample_weight=weights)
    return np.asarray(classifier.coef_, dtype=np.float64), np.asarray(classifier.intercept_, dtype=np.float64)


def build_seed_model(vectors: Vectors | None = None) -> SentimentModel:
    """Train the shipped model from the seed corpus (reproducible: same corpus, same embedder, same weights)."""
    corpus = seed_corpus()
    cleaned = [clean(text) for text, _ in corpus]
    if vectors is None:
        vectors = default_embedder().encode(cleaned)
    # The embedding alone: lexicon counts separate the composed corpus too well and the model then leans on them,
    # which measured worse on real tweets (en macro-F1 0.679 → 0.651, es 0.522 → 0.507 with them).
    coef, intercept = _fit_logistic(
        np.asarray(vectors, dtype=np.float64), [label for _, label in corpus], None, SEED_C, 0
    )
    digest = hashlib.sha256("\n".join(f"{label}\t{text}" for text, label in corpus).encode()).hexdigest()[:12]
    layer = _Layer(coef, np.zeros((3, LEXICON_FEATURES)), np.zeros((3, 3)), intercept)
    return SentimentModel(SEED_VERSION, layer, meta={"corpus": digest, "examples": len(corpus)})


@lru_cache(maxsize=1)
def shipped_model() -> SentimentModel:
    """The model Pulso ships (models/sentiment_seed.npz, rebuilt by build_seed_model)."""
    data = resources.files(_MODEL_PACKAGE).joinpath(_SHIPPED_FILE).read_bytes()
    return SentimentModel.from_bytes(data)


# --- learning from an organisation's data ------------------------------------------------------------------------

# Free labels from survey scores: the clear ends only; the middles say little about the words.
_SCORE_WEIGHT = 0.5
_CORRECTION_WEIGHT = 2.0


def label_from_score(kind: ScoreKind, value: float) -> tuple[Label, float] | None:
    """A noisy label and its weight from a score given with the comment; None where the score is ambiguous."""
    if kind == "nps":  # 0-10: detractors 0-6, passives 7-8, promoters 9-10
        if not 0 <= value <= 10:
            return None
        if value <= 4:
            return "negative", _SCORE_WEIGHT
        if value <= 6:
            return "negative", _SCORE_WEIGHT / 2
        if value >= 9:
            return "positive", _SCORE_WEIGHT
        return None
    if kind in ("csat", "stars"):  # 1-5
        if not 1 <= value <= 5:
            return None
        if value <= 1.5:
            return "negative", _SCORE_WEIGHT
        if value <= 2.5:
            return "negative", _SCORE_WEIGHT / 2
        if value >= 4.5:
            return "positive", _SCORE_WEIGHT
        if value >= 3.5:
            return "positive", _SCORE_WEIGHT / 2
        return "neutral", _SCORE_WEIGHT / 4
    if kind == "ces":  # 1-7, high = more effort
        if not 1 <= value <= 7:
            return None
        if value >= 6:
            return "negative", _SCORE_WEIGHT
        if value <= 2:
            return "positive", _SCORE_WEIGHT / 2  # low effort is relief more than praise
        return None
    raise ValueError(f"unknown score kind {kind!r}")


def examples_from_scores(kind: ScoreKind, texts: Sequence[str], values: Sequence[float]) -> list[TrainingExample]:
    """Training examples from comments with a score, skipping ambiguous scores."""
    out = []
    for text, value in zip(texts, values, strict=True):
        found = label_from_score(kind, value)
        if found is not None:
            out.append(TrainingExample(text, found[0], found[1], "score"))
    return out


ORG_C = 1.0
_PRIOR_SCALE = 1.0


def train(
    examples: Sequence[TrainingExample],
    *,
    vectors: Vectors | None = None,
    base: SentimentModel | None = None,
    seed: int = 0,
) -> SentimentModel:
    """A new model for an organisation: its labels on top of `base` (the shipped model by default).

    The base model's logits enter as features, so where the organisation's data is thin the seed corpus still
    speaks, and where it is rich its own words (n-grams) and embeddings take over. Corrections by staff count
    `_CORRECTION_WEIGHT` times a plain example; score-derived labels carry the weight label_from_score gave them.
    """
    if base is None:
        base = shipped_model()
    while base.base is not None:  # stack on the seed layer, never on an older organisation model
        base = base.base
    texts = [e.text for e in examples]
    cleaned = [clean(t) for t in texts]
    if vectors is None:
        vectors = default_embedder().encode(cleaned)
    weights = np.array(
        [e.weight * (_CORRECTION_WEIGHT if e.source == "correction" else 1.0) for e in examples], dtype=np.float64
    )
    weights *= len(weights) / weights.sum()
    folded = [_fold_token(t) for t in cleaned]
    columns, idf = _fit_ngram_columns(folded)
    empty = NgramBlock(columns, idf, np.zeros((3, len(columns))))
    grams = empty.transform(folded)
    dense = np.hstack(
        [
            np.asarray(vectors, dtype=np.float64),
            shipped_lexicon().features(cleaned),
            base.logits(texts, vectors) * _PRIOR_SCALE,
        ]
    )
    features = sp.hstack([sp.csr_matrix(dense), grams], format="csr")
    labels = [e.label for e in examples]
    coef, intercept = _fit_logistic(features, labels, weights, ORG_C, seed)
    offsets = np.zeros(3)
    if len(examples) >= BIAS_MIN_EXAMPLES:
        offsets = _macro_f1_biases(features, labels, weights, seed)
    intercept = intercept + offsets
    d = DIMENSIONS
    layer = _Layer(
        coef[:, :d],
        coef[:, d : d + LEXICON_FEATURES],
        coef[:, d + LEXICON_FEATURES : d + LEXICON_FEATURES + 3] * _PRIOR_SCALE,
        intercept,
    )
    ngrams = NgramBlock(columns, idf, coef[:, d + LEXICON_FEATURES + 3 :])
    digest = hashlib.sha256(
        "\n".join(f"{e.label}\t{e.weight}\t{e.source}\t{e.text}" for e in examples).encode()
    ).hexdigest()[:10]
    meta = {
        "examples": len(examples),
        "corrections": sum(e.source == "correction" for e in examples),
        "seed": seed,
        "biases": [float(b) for b in offsets],
    }
    return SentimentModel(f"org-{len(examples)}-{digest}", layer, ngrams, base, meta)


BIAS_MIN_EXAMPLES = 300
_BIAS_GRID = np.round(np.arange(-1.0, 1.01, 0.1), 2)


def _macro_f1(logits: FloatArray, y: npt.NDArray[np.int64]) -> float:
    predicted = logits.argmax(axis=1)
    f1s = [2 * np.sum((predicted == c) & (y == c)) / max(1, np.sum(predicted == c) + np.sum(y == c)) for c in range(3)]
    return float(np.mean(f1s))


def _macro_f1_biases(features: Any, labels: Sequence[Label], weights: FloatArray, seed: int) -> FloatArray:
    """Offsets of the neutral and positive logits that maximise macro-F1 on 3-fold out-of-fold predictions.

    Logistic regression maximises likelihood, which favours the majority label; the organisation's own labels
    say how far to move the boundaries (measured: es macro-F1 +0.009 on a held-out fold).
    """
    y = np.array([LABELS.index(label) for label in labels])
    fold = np.random.default_rng(seed).permutation(len(y)) % 3
    out_of_fold = np.zeros((len(y), 3))
    for k in range(3):
        inside, outside = fold != k, fold == k
        if len(set(y[inside].tolist())) < 3:
            return np.zeros(3)
        coef, intercept = _fit_logistic(
            features[inside], [labels[int(i)] for i in np.flatnonzero(inside)], weights[inside], ORG_C, seed
        )
        out_of_fold[outside] = np.asarray(features[outside] @ coef.T) + intercept
    best, offsets = _macro_f1(out_of_fold, y), np.zeros(3)
    for neutral in _BIAS_GRID:
        for positive in _BIAS_GRID:
            candidate = np.array([0.0, neutral, positive])
            found = _macro_f1(out_of_fold + candidate, y)
            if found > best + 1e-9:
                best, offsets = found, candidate
    return offsets


# --- evaluation and promotion ------------------------------------------------------------------------------------


def _auc(positive: npt.NDArray[np.bool_], score: FloatArray) -> float:
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    from scipy.stats import rankdata

    ranks = rankdata(score)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def score_predictions(labels: Sequence[str], predicted: Sequence[str], score: FloatArray) -> SentimentScores:
    """Accuracy, macro-F1 over the three labels and AUC of the score on positive vs negative."""
    y = np.asarray(labels)
    p = np.asarray(predicted)
    if len(y) == 0:
        return SentimentScores(float("nan"), float("nan"), float("nan"), 0)
    f1s = []
    for label in LABELS:
        tp = float(np.sum((p == label) & (y == label)))
        fp = float(np.sum((p == label) & (y != label)))
        fn = float(np.sum((p != label) & (y == label)))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0)
    polar = y != "neutral"
    return SentimentScores(
        float(np.mean(y == p)), float(np.mean(f1s)), _auc(y[polar] == "positive", score[polar]), len(y)
    )


def evaluate(
    model: SentimentModel, texts: Sequence[str], labels: Sequence[str], vectors: Vectors | None = None
) -> SentimentScores:
    """The model's scores on labelled comments."""
    predictions = model.predict(texts, vectors)
    return score_predictions(labels, [s.label for s in predictions], np.array([s.score for s in predictions]))


MIN_GAIN = 0.005  # macro-F1 a candidate must gain to replace the live model (noise on a few hundred held out)


def should_replace(live_scores: SentimentScores, candidate_scores: SentimentScores) -> bool:
    """Whether a retrained model should go live: better macro-F1 on the same held-out slice, AUC not worse."""
    if candidate_scores.n == 0 or candidate_scores.n != live_scores.n:
        return False
    if candidate_scores.macro_f1 < live_scores.macro_f1 + MIN_GAIN:
        return False
    if not (math.isnan(live_scores.auc) or math.isnan(candidate_scores.auc)):
        return candidate_scores.auc >= live_scores.auc - 0.01
    return True


def holdout_split(n: int, fraction: float = 0.2, seed: int = 0) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Indices (train, held out) of n examples; the held-out slice is a random `fraction`, at least one."""
    if n < 2:
        raise ValueError("a hold-out split needs at least two examples")
    order = np.random.default_rng(seed).permutation(n)
    held = min(max(1, round(n * fraction)), n - 1)
    return np.sort(order[held:]).astype(np.int64), np.sort(order[:held]).astype(np.int64)
