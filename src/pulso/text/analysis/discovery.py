"""Discovery of new themes among comments no topic fits, for the CX manager to name and accept into the taxonomy.

Comments are clustered by k-means on their sentence vectors joined with a TF-IDF (LSA) view of their words: the
vectors group paraphrases, the words keep clusters about one concrete thing. Both parts are centred before
clustering, which removes what all the comments share ("a complaint") and leaves what tells them apart. Each theme
is described by its c-TF-IDF key words (Grootendorst 2022), the comments nearest its centre and its size.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pulso.text.analysis.embed import DIMENSIONS, Vectors
from pulso.text.analysis.keyphrases import stopwords, tokens
from pulso.text.analysis.taxonomy import Topic

# The TF-IDF part's weight against the sentence vectors (both unit length); measured on the airline tweets, AMI
# moves by about 0.01 between 0.35 and 0.7 (docs/text-analytics.md).
_WORD_WEIGHT = 0.5
_LSA_DIMENSIONS = 100


@dataclass(frozen=True)
class Theme:
    """A group of similar comments: its key words, a few representative comments, its size and its members."""

    key_words: tuple[str, ...]
    examples: tuple[str, ...]
    size: int
    members: tuple[int, ...]


def _unit(matrix: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    unit: npt.NDArray[np.float64] = matrix / np.maximum(norms, 1e-12)
    return unit


def _terms(text: str, language: str | None) -> list[str]:
    """Content words and adjacent content-word pairs of a text (folded)."""
    stop = stopwords(language)
    out: list[str] = []
    previous: str | None = None
    for token in tokens(text):
        if token in stop or len(token) < 3 or token.isdigit() or token.startswith("#"):
            previous = None
            continue
        out.append(token)
        if previous is not None:
            out.append(f"{previous} {token}")
        previous = token
    return out


def features(
    texts: Sequence[str], vectors: Vectors, languages: Sequence[str | None] | None = None, seed: int = 0
) -> npt.NDArray[np.float64]:
    """The matrix discover clusters: centred sentence vectors beside centred LSA vectors of the words."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    langs = list(languages) if languages is not None else [None] * len(texts)
    semantic = _unit(np.asarray(vectors, np.float64) - np.asarray(vectors, np.float64).mean(axis=0))
    documents = [[t for t in _terms(text, lang) if " " not in t] for text, lang in zip(texts, langs, strict=True)]
    try:
        tfidf = TfidfVectorizer(analyzer=lambda words: words, min_df=2, sublinear_tf=True).fit_transform(documents)
    except ValueError:  # no word occurs twice: the vectors alone
        return semantic
    dimensions = min(_LSA_DIMENSIONS, tfidf.shape[1] - 1, len(texts) - 1)
    if dimensions < 2:
        return semantic
    lsa = TruncatedSVD(dimensions, random_state=seed).fit_transform(tfidf)
    lexical = _unit(lsa - lsa.mean(axis=0))
    combined: npt.NDArray[np.float64] = np.hstack([semantic, _WORD_WEIGHT * lexical])
    return combined


def c_tf_idf(
    texts: Sequence[str], labels: Sequence[int], languages: Sequence[str | None] | None = None, top: int = 8
) -> dict[int, list[tuple[str, float]]]:
    """Each cluster's `top` terms by class-based TF-IDF: frequency in the cluster × log(1 + A / frequency overall)."""
    langs = list(languages) if languages is not None else [None] * len(texts)
    per_class: dict[int, Counter[str]] = {}
    for text, lang, label in zip(texts, langs, labels, strict=True):
        if label < 0:
            continue
        per_class.setdefault(label, Counter()).update(_terms(text, lang))
    overall: Counter[str] = Counter()
    for counts in per_class.values():
        overall.update(counts)
    average = sum(overall.values()) / max(len(per_class), 1)
    out: dict[int, list[tuple[str, float]]] = {}
    for label, counts in per_class.items():
        total = sum(counts.values()) or 1
        scored = [
            (term, count / total * math.log(1 + average / overall[term]))
            for term, count in counts.items()
            if count >= 2
        ]
        scored.sort(key=lambda item: (-item[1], item[0]))
        chosen: list[tuple[str, float]] = []
        for term, weight in scored:
            # A pair whose words are both already listed adds nothing; a word inside a listed pair neither.
            parts = term.split(" ")
            listed = {t for t, _ in chosen}
            if len(parts) == 2 and all(p in listed for p in parts):
                continue
            if len(parts) == 1 and any(term in t.split(" ") for t in listed if " " in t):
                continue
            chosen.append((term, weight))
            if len(chosen) == top:
                break
        out[label] = chosen
    return out


def discover(
    texts: Sequence[str],
    vectors: Vectors,
    *,
    languages: Sequence[str | None] | None = None,
    min_size: int = 10,
    max_themes: int = 12,
    key_words: int = 8,
    examples: int = 3,
    seed: int = 0,
) -> list[Theme]:
    """Themes among `texts` (largest first), each of at least `min_size` comments.

    The number of clusters is max_themes, or fewer so that clusters average at least 2 × min_size comments (none
    when that leaves fewer than two); clusters smaller than min_size are dropped, their comments in no theme.
    """
    from sklearn.cluster import KMeans

    texts = list(texts)
    array = np.asarray(vectors, dtype=np.float32)
    if array.shape != (len(texts), DIMENSIONS):
        raise ValueError(f"vectors have shape {array.shape}, expected {(len(texts), DIMENSIONS)}")
    if min_size < 1 or max_themes < 1:
        raise ValueError("min_size and max_themes must be at least 1")
    k = min(max_themes, len(texts) // (2 * min_size))
    if k < 2:  # one cluster of everything is no theme
        return []
    matrix = features(texts, array, languages, seed)
    model = KMeans(n_clusters=k, n_init=3, random_state=seed).fit(matrix)
    labels = model.labels_
    centres = model.cluster_centers_
    words = c_tf_idf(texts, [int(v) for v in labels], languages, top=key_words)
    themes: list[Theme] = []
    for label in range(k):
        members = np.nonzero(labels == label)[0]
        if len(members) < min_size:
            continue
        distances = np.linalg.norm(matrix[members] - centres[label], axis=1)
        chosen: list[str] = []
        seen: set[str] = set()
        for index in members[np.argsort(distances)]:
            folded = " ".join(tokens(texts[index]))
            if folded in seen:
                continue
            seen.add(folded)
            chosen.append(texts[index])
            if len(chosen) == examples:
                break
        themes.append(
            Theme(
                key_words=tuple(term for term, _ in words.get(label, [])),
                examples=tuple(chosen),
                size=len(members),
                members=tuple(int(i) for i in members),
            )
        )
    themes.sort(key=lambda theme: (-theme.size, theme.members[0]))
    return themes


def theme_labels(themes: Sequence[Theme], n: int) -> npt.NDArray[np.intp]:
    """Each comment's theme index (-1 for comments in no theme)."""
    labels = np.full(n, -1, np.intp)
    for index, theme in enumerate(themes):
        labels[list(theme.members)] = index
    return labels


def theme_to_topic(theme: Theme, key: str, parent: str | None, name_es: str, name_en: str, keywords: int = 5) -> Topic:
    """A taxonomy topic from an accepted theme: its examples, and its first key words as keywords."""
    return Topic(
        key=key,
        parent=parent,
        name_es=name_es,
        name_en=name_en,
        examples=theme.examples,
        keywords=theme.key_words[:keywords],
    )
