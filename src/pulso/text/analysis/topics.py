"""Topic assignment: comments to taxonomy topics by embedding similarity, keyword matches and staff corrections.

A topic's score for a comment is a blend of the comment's best similarity to one of the topic's examples and its
similarity to the topic's centroid, plus a boost when the comment contains one of the topic's keywords. Comments
get every topic within `margin` of their best one above `threshold`, up to `max_topics`; none means "other".

Corrections by CX staff teach the model (`learn`): a comment's right topics become examples of them (which also
moves their centroids), and topics the model gave it wrongly keep it as a counter-example, so similar comments stop
getting them. Scoring is matrix products over precomputed vectors; the only per-text work is tokens and stems.

Per-topic sentiment (`score_fn`): a comment with several topics is split into clauses at punctuation and
contrastive words (pero, aunque, sin embargo, but, however...), each clause goes to the topic whose words it holds
(or, failing that, whose examples it is most similar to) and each topic gets the mean score of its clauses.
`score_fn(texts) -> array of len(texts) in [-1, 1]` is any sentiment model; it is called once per `assign`.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from pulso.text.analysis.embed import DIMENSIONS, Embedder, Vectors, default_embedder
from pulso.text.analysis.keyphrases import LANGUAGES, stem, stopwords, words
from pulso.text.analysis.normalize import fold
from pulso.text.analysis.taxonomy import OTHER, Taxonomy, Topic, taxonomy_from_dict, taxonomy_to_dict

__all__ = ["OTHER", "ScoreFn", "TopicHit", "TopicModel", "split_clauses"]

ScoreFn = Callable[[Sequence[str]], npt.NDArray[np.floating[Any]]]
Language = str | None

_FORMAT = "pulso-topic-model/1"
_CONTRAST = (
    r"pero|aunque|sin embargo|no obstante|en cambio|mientras que|a pesar de|salvo|excepto|"
    r"but|however|although|though|whereas|yet|except|apart from|on the other hand|nevertheless"
)
_CLAUSE_SPLIT = re.compile(rf"[.;!?\n]+|,?\s*\b(?:{_CONTRAST})\b", re.IGNORECASE)
# A word that appears in the vocabularies of more topics than this says nothing about any of them.
_MAX_TOPICS_PER_TERM = 3


@dataclass(frozen=True)
class TopicHit:
    """One topic of a comment: its key, score, the comment's words that match it, and its sentiment (or None)."""

    key: str
    score: float
    terms: tuple[str, ...]
    sentiment: float | None


def split_clauses(text: str) -> list[str]:
    """The clauses of a comment, split at sentence punctuation and contrastive words; empty pieces dropped."""
    return [part.strip(" ,:-") for part in _CLAUSE_SPLIT.split(text) if part and part.strip(" ,:-")]


@lru_cache(maxsize=200_000)
def _fold_word(word: str) -> str:
    return fold(word).replace("’", "'")


def _content(folded: str, stop: frozenset[str]) -> bool:
    return folded not in stop and len(folded) > 2 and not folded.isdigit()


def _text_hash(text: str) -> bytes:
    return hashlib.sha256(" ".join(fold(text).split()).encode("utf-8")).digest()[:16]


# The decision parameters of a TopicModel: kept with a saved model and by every copy of it.
_PARAMS = (
    "threshold",
    "margin",
    "max_topics",
    "max_weight",
    "keyword_boost",
    "near_copy",
    "max_keyword_matches",
    "linear_weight",
    "min_corrections",
)


class TopicModel:
    """Assigns comments to the leaf topics of a taxonomy; immutable (learn returns a new model)."""

    def __init__(
        self,
        taxonomy: Taxonomy,
        embedder: Embedder | None = None,
        *,
        threshold: float = 0.37,
        margin: float = 0.06,
        max_topics: int = 3,
        max_weight: float = 0.5,
        keyword_boost: float = 0.08,
        near_copy: float = 0.85,
        max_keyword_matches: int = 2,
        linear_weight: float = 0.3,
        min_corrections: int = 20,
        _seed_vectors: Vectors | None = None,
        _corrections: tuple[Vectors, npt.NDArray[np.bool_], npt.NDArray[np.bool_], npt.NDArray[np.bytes_]]
        | None = None,
        _bias: npt.NDArray[np.float32] | None = None,
        _linear: tuple[Vectors, npt.NDArray[np.float32], npt.NDArray[np.int32]] | None = None,
    ) -> None:
        self.taxonomy = taxonomy
        self._embedder = embedder
        self.threshold = threshold
        self.margin = margin
        self.max_topics = max_topics
        self.max_weight = max_weight
        self.keyword_boost = keyword_boost
        self.near_copy = near_copy
        self.max_keyword_matches = max_keyword_matches
        self.linear_weight = linear_weight
        self.min_corrections = min_corrections
        self.leaves: tuple[Topic, ...] = taxonomy.leaves()
        self.keys: tuple[str, ...] = tuple(t.key for t in self.leaves)
        self._index = {key: i for i, key in enumerate(self.keys)}
        k = len(self.leaves)
        seed_texts, seed_topic = self._seed_texts()
        self._seed_topic = np.asarray(seed_topic, dtype=np.int32)
        if _seed_vectors is None:
            _seed_vectors = self.embedder.encode(seed_texts)
        if _seed_vectors.shape != (len(seed_texts), DIMENSIONS):
            raise ValueError(f"seed vectors have shape {_seed_vectors.shape}, expected {(len(seed_texts), DIMENSIONS)}")
        self._seed_vectors = np.ascontiguousarray(_seed_vectors, dtype=np.float32)
        if _corrections is None:
            _corrections = (
                np.zeros((0, DIMENSIONS), np.float32),
                np.zeros((0, k), np.bool_),
                np.zeros((0, k), np.bool_),
                np.zeros((0,), "S16"),
            )
        self._corrections = _corrections
        self._bias = np.zeros(k, np.float32) if _bias is None else np.asarray(_bias, np.float32)
        if _linear is None:
            _linear = (np.zeros((0, DIMENSIONS), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int32))
        self._linear = _linear
        self._build_prototypes()
        self._build_vocabulary()
        self.version = self._digest()

    # -- construction ------------------------------------------------------------------------------------------

    @property
    def embedder(self) -> Embedder:
        """The embedder for texts that come without vectors (the shared default one unless given)."""
        if self._embedder is None:
            self._embedder = default_embedder()
        return self._embedder

    def _seed_texts(self) -> tuple[list[str], list[int]]:
        texts: list[str] = []
        topic: list[int] = []
        for i, leaf in enumerate(self.leaves):
            parent = self.taxonomy.get(leaf.parent) if leaf.parent else None
            names = [leaf.name_es, leaf.name_en]
            if parent is not None:
                # "Retrasos del servicio" alone is vague; with its parent it says where the delay is.
                names = [f"{parent.name_es}: {leaf.name_es}", f"{parent.name_en}: {leaf.name_en}"]
            for text in (*names, *leaf.examples):
                texts.append(text)
                topic.append(i)
        return texts, topic

    def _build_prototypes(self) -> None:
        corr_vectors, corr_pos, corr_neg, _ = self._corrections
        k = len(self.leaves)
        # Seed examples are grouped by topic already (built in leaf order).
        self._example_vectors = self._seed_vectors
        self._example_starts = np.searchsorted(self._seed_topic, np.arange(k)).astype(np.intp)
        pos_rows, pos_topic = np.nonzero(corr_pos)
        sums = np.zeros((k, DIMENSIONS), np.float64)
        np.add.at(sums, self._seed_topic, self._seed_vectors)
        # Corrected comments pull their topics' centroids toward them, one example's weight each.
        np.add.at(sums, pos_topic, corr_vectors[pos_rows])
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        self._centroids = (sums / np.maximum(norms, 1e-12)).astype(np.float32)
        self._positives = _Groups(corr_vectors[pos_rows], pos_topic, k)
        neg_rows, neg_topic = np.nonzero(corr_neg)
        self._negatives = _Groups(corr_vectors[neg_rows], neg_topic, k)

    def _build_vocabulary(self) -> None:
        """Stem → topics indexes: keywords (for the score boost) and all topic words (for highlighting)."""
        self._keyword_single: dict[str, dict[str, set[int]]] = {lang: {} for lang in LANGUAGES}
        self._keyword_phrase: dict[str, dict[tuple[str, ...], set[int]]] = {lang: {} for lang in LANGUAGES}
        vocabulary: dict[str, dict[str, set[int]]] = {lang: {} for lang in LANGUAGES}
        for i, leaf in enumerate(self.leaves):
            for lang in LANGUAGES:
                # Examples mix languages: a Spanish stop word is no English topic word either.
                stop = stopwords(None)
                for keyword in leaf.keywords:
                    parts = tuple(stem(_fold_word(w), lang) for w in words(keyword))
                    if len(parts) == 1:
                        self._keyword_single[lang].setdefault(parts[0], set()).add(i)
                    elif parts:
                        self._keyword_phrase[lang].setdefault(parts, set()).add(i)
                # Name and keyword words always; an example's words only when two of the topic's texts share
                # them ("cobraron dos veces" should not make "veces" a billing word).
                seen_in: dict[str, int] = {}
                for text in (*leaf.examples, *leaf.keywords, leaf.name_es, leaf.name_en):
                    for s in {stem(f, lang) for f in map(_fold_word, words(text)) if _content(f, stop)}:
                        seen_in[s] = seen_in.get(s, 0) + 1
                for text in (leaf.name_es, leaf.name_en, *leaf.keywords):
                    for f in map(_fold_word, words(text)):
                        if _content(f, stop):
                            seen_in[stem(f, lang)] = max(seen_in[stem(f, lang)], 2)
                for s, count in seen_in.items():
                    if count >= 2:
                        vocabulary[lang].setdefault(s, set()).add(i)
        self._vocabulary = {
            lang: {s: topics for s, topics in vocab.items() if len(topics) <= _MAX_TOPICS_PER_TERM}
            for lang, vocab in vocabulary.items()
        }
        for lang in LANGUAGES:
            # Keywords are highlighted even when several topics share them.
            for s, topics in self._keyword_single[lang].items():
                self._vocabulary[lang].setdefault(s, set()).update(topics)
        self._phrase_lengths = sorted({len(p) for lang in LANGUAGES for p in self._keyword_phrase[lang]})

    def _digest(self) -> str:
        h = hashlib.sha256()
        h.update(json.dumps(self._meta(), sort_keys=True, ensure_ascii=False).encode("utf-8"))
        for array in (self._seed_vectors, *self._corrections, self._bias, *self._linear):
            h.update(np.ascontiguousarray(array).tobytes())
        return f"{self.taxonomy.version}:{h.hexdigest()[:12]}"

    def _meta(self) -> dict[str, Any]:
        return {
            "format": _FORMAT,
            "embedder": getattr(self._embedder, "name", None) or "use-multilingual-v3",
            "taxonomy": taxonomy_to_dict(self.taxonomy),
            "params": self._params(),
        }

    def _params(self) -> dict[str, Any]:
        """The decision parameters, as the constructor takes them."""
        return {name: getattr(self, name) for name in _PARAMS}

    def _replace(self, **changes: Any) -> TopicModel:
        params: dict[str, Any] = {
            **self._params(),
            "_seed_vectors": self._seed_vectors,
            "_corrections": self._corrections,
            "_bias": self._bias,
            "_linear": self._linear,
        }
        params.update(changes)
        return TopicModel(self.taxonomy, self._embedder, **params)

    def with_params(
        self,
        *,
        threshold: float | None = None,
        margin: float | None = None,
        max_topics: int | None = None,
        max_weight: float | None = None,
        keyword_boost: float | None = None,
        near_copy: float | None = None,
        max_keyword_matches: int | None = None,
        linear_weight: float | None = None,
    ) -> TopicModel:
        """The same model with other decision parameters (no re-embedding)."""
        changes = {
            name: value
            for name, value in (
                ("threshold", threshold),
                ("margin", margin),
                ("max_topics", max_topics),
                ("max_weight", max_weight),
                ("keyword_boost", keyword_boost),
                ("near_copy", near_copy),
                ("max_keyword_matches", max_keyword_matches),
                ("linear_weight", linear_weight),
            )
            if value is not None
        }
        return self._replace(**changes)

    # -- scoring -----------------------------------------------------------------------------------------------

    def _vectors(self, texts: Sequence[str], vectors: Vectors | None) -> Vectors:
        if vectors is None:
            return self.embedder.encode(list(texts))
        array = np.asarray(vectors, dtype=np.float32)
        if array.shape != (len(texts), DIMENSIONS):
            raise ValueError(f"vectors have shape {array.shape}, expected {(len(texts), DIMENSIONS)}")
        return array

    def keyword_matches(
        self, texts: Sequence[str], languages: Sequence[Language] | None = None
    ) -> npt.NDArray[np.int32]:
        """(n, k) how many of each topic's keywords each text holds (accent-insensitive, stemmed), at most
        max_keyword_matches."""
        langs = _languages(texts, languages)
        return self._keyword_counts([_Words.of(t, lang) for t, lang in zip(texts, langs, strict=True)])

    def _keyword_counts(self, analysed: Sequence[_Words]) -> npt.NDArray[np.int32]:
        counts = np.zeros((len(analysed), len(self.leaves)), np.int32)
        for row, text_words in enumerate(analysed):
            # Distinct matched keywords per topic, across the languages tried (a stem is one match).
            found: dict[int, set[tuple[str, ...]]] = {}
            for lang, stemmed in text_words.stems.items():
                singles = self._keyword_single[lang]
                for s in stemmed:
                    for i in singles.get(s, ()):
                        found.setdefault(i, set()).add((s,))
                phrases = self._keyword_phrase[lang]
                for n in self._phrase_lengths:
                    for start in range(len(stemmed) - n + 1):
                        gram = tuple(stemmed[start : start + n])
                        for i in phrases.get(gram, ()):
                            found.setdefault(i, set()).add(gram)
            for i, matched in found.items():
                counts[row, i] = min(len(matched), self.max_keyword_matches)
        return counts

    def similarities(self, vectors: Vectors) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """(n, k) best-example and centroid cosine similarities of each vector to each topic.

        A corrected comment counts as an example only for near-copies of itself (similarity >= near_copy): as a
        general example one noisy correction misleads more comments than it helps (measured); its pull on the
        centroid and the linear layer carry what it teaches.
        """
        example_sims = vectors @ self._example_vectors.T
        best = np.maximum.reduceat(example_sims, self._example_starts, axis=1)
        learned = self._positives.best(vectors)
        best = np.where(learned >= self.near_copy, np.maximum(best, learned), best)
        centroid = vectors @ self._centroids.T
        return best.astype(np.float32), centroid.astype(np.float32)

    def scores(
        self,
        texts: Sequence[str],
        vectors: Vectors | None = None,
        languages: Sequence[Language] | None = None,
    ) -> npt.NDArray[np.float32]:
        """(n, k) topic scores (columns in the order of `keys`)."""
        return self._score(texts, vectors, languages)[0]

    def _score(
        self,
        texts: Sequence[str],
        vectors: Vectors | None,
        languages: Sequence[Language] | None,
        analysed: Sequence[_Words] | None = None,
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int32]]:
        vectors = self._vectors(texts, vectors)
        best, centroid = self.similarities(vectors)
        scores = self.max_weight * best + (1.0 - self.max_weight) * centroid + self._bias
        if analysed is None:
            langs = _languages(texts, languages)
            analysed = [_Words.of(t, lang) for t, lang in zip(texts, langs, strict=True)]
        keywords = self._keyword_counts(analysed)
        scores += self.keyword_boost * keywords
        weights, intercepts, classes = self._linear
        if len(classes):
            logits = vectors @ weights.T + intercepts
            logits -= logits.max(axis=1, keepdims=True)
            probabilities = np.exp(logits)
            probabilities /= probabilities.sum(axis=1, keepdims=True)
            topic_columns = classes >= 0
            scores[:, classes[topic_columns]] += self.linear_weight * probabilities[:, topic_columns]
        if self._negatives.size:
            penalty = np.maximum(0.0, self._negatives.best(vectors) - best)
            scores -= penalty
            # A counter-example closer than any example also overrules the comment's keywords.
            keywords = np.where(penalty > 0, 0, keywords).astype(np.int32)
        return scores.astype(np.float32), keywords

    def calibrate(
        self,
        texts: Sequence[str],
        vectors: Vectors | None = None,
        languages: Sequence[Language] | None = None,
        *,
        temperature: float = 0.02,
        max_shift: float = 0.05,
        iterations: int = 50,
    ) -> TopicModel:
        """A model adapted to how often each topic occurs among these unlabelled comments (the organisation's own).

        Topic frequencies are estimated by EM over softmax(scores / temperature) (Saerens, Latinne and Decaestecker
        2002) starting from equal ones; each topic's score then moves by temperature * log(frequency / equal
        frequency), at most `max_shift` either way, so common topics win close calls and rare ones still fire.
        """
        texts = list(texts)
        if not texts:
            return self
        base = self._replace(_bias=np.zeros(len(self.keys), np.float32))
        scores = base.scores(texts, vectors, languages).astype(np.float64)
        logits = (scores - scores.max(axis=1, keepdims=True)) / temperature
        posterior = np.exp(logits)
        posterior /= posterior.sum(axis=1, keepdims=True)
        even = np.full(len(self.keys), 1.0 / len(self.keys))
        prior = even.copy()
        for _ in range(iterations):
            adjusted = posterior * (prior / even)
            adjusted /= adjusted.sum(axis=1, keepdims=True)
            prior = np.maximum(adjusted.mean(axis=0), 1e-6)
        shift = np.clip(temperature * np.log(prior / even), -max_shift, max_shift)
        return self._replace(_bias=shift.astype(np.float32))

    @property
    def bias(self) -> dict[str, float]:
        """Each topic's score shift from calibrate (0 when not calibrated)."""
        return {key: float(b) for key, b in zip(self.keys, self._bias, strict=True)}

    # -- assignment --------------------------------------------------------------------------------------------

    def assign(
        self,
        texts: Sequence[str],
        vectors: Vectors | None = None,
        score_fn: ScoreFn | None = None,
        languages: Sequence[Language] | None = None,
        *,
        embed_clauses: bool = False,
    ) -> list[list[TopicHit]]:
        """Each comment's topics, best first; [] means "other". Sentiment per topic only with score_fn.

        score_fn is called once with the comments of one topic and the clauses of comments with several;
        embed_clauses settles clauses whose words name no single topic by embedding them (costs embeddings).
        """
        texts = list(texts)
        langs = _languages(texts, languages)
        analysed = [_Words.of(t, lang) for t, lang in zip(texts, langs, strict=True)]
        scores, keywords = self._score(texts, vectors, langs, analysed)
        chosen = self._choose(scores, keywords)
        hits: list[list[TopicHit]] = []
        for row, topics in enumerate(chosen):
            hits.append(
                [
                    TopicHit(
                        key=self.keys[i],
                        score=float(scores[row, i]),
                        terms=self._terms_of(analysed[row], i),
                        sentiment=None,
                    )
                    for i in topics
                ]
            )
        if score_fn is not None:
            hits = self._with_sentiment(texts, langs, hits, score_fn, embed_clauses)
        return hits

    def top(
        self,
        texts: Sequence[str],
        vectors: Vectors | None = None,
        languages: Sequence[Language] | None = None,
        among: Sequence[str] | None = None,
    ) -> list[str]:
        """Each comment's single best topic (never "other"), optionally among some keys only."""
        scores = self.scores(texts, vectors, languages)
        columns = np.arange(len(self.keys)) if among is None else np.array([self._index[k] for k in among])
        best = columns[np.argmax(scores[:, columns], axis=1)]
        return [self.keys[i] for i in best]

    def _choose(
        self, scores: npt.NDArray[np.float32], keywords: npt.NDArray[np.int32] | None = None
    ) -> list[list[int]]:
        order = np.argsort(-scores, axis=1)[:, : self.max_topics]
        top_scores = np.take_along_axis(scores, order, axis=1)
        close = top_scores >= top_scores[:, :1] - self.margin
        if keywords is not None:
            # A second topic named in the comment ("great staff, but the food was cold") counts even when the
            # comment's one vector leans to the first.
            close |= np.take_along_axis(keywords, order, axis=1) > 0
        keep = (top_scores >= self.threshold) & close
        return [[int(i) for i in row[mask]] for row, mask in zip(order, keep, strict=True)]

    def _terms(self, text: str, language: Language, topic: int) -> tuple[str, ...]:
        """The words of `text` that match topic `topic`'s keywords or example vocabulary, as written, in order."""
        return self._terms_of(_Words.of(text, language), topic)

    def _terms_of(self, text_words: _Words, topic: int) -> tuple[str, ...]:
        seen: set[str] = set()
        out: list[str] = []
        stop = stopwords(None)
        for index, (word, folded) in enumerate(zip(text_words.surface, text_words.folded, strict=True)):
            if len(folded) < 2 or folded in seen or folded in stop:
                continue
            for lang, stemmed in text_words.stems.items():
                if topic in self._vocabulary[lang].get(stemmed[index], ()):
                    seen.add(folded)
                    out.append(word)
                    break
        return tuple(out)

    def _with_sentiment(
        self,
        texts: list[str],
        langs: list[Language],
        hits: list[list[TopicHit]],
        score_fn: ScoreFn,
        embed_clauses: bool,
    ) -> list[list[TopicHit]]:
        # One score_fn call: whole comments with one topic or one clause, clauses of the mixed ones.
        pieces: list[str] = []
        whole: dict[int, int] = {}  # row → index of the whole comment among the pieces
        clause_jobs: dict[int, tuple[int, list[str]]] = {}  # row → (index of its first clause, clauses)
        for row, row_hits in enumerate(hits):
            if not row_hits:
                continue
            clauses = split_clauses(texts[row]) if len(row_hits) > 1 else []
            if len(clauses) < 2:
                whole[row] = len(pieces)
                pieces.append(texts[row])
            else:
                clause_jobs[row] = (len(pieces), clauses)
                pieces.extend(clauses)
        owners = self._clause_owners(clause_jobs, hits, langs, embed_clauses)
        values = np.asarray(score_fn(pieces), dtype=np.float64).reshape(-1) if pieces else np.zeros(0)
        if values.shape != (len(pieces),):
            raise ValueError(f"score_fn returned {values.shape[0]} scores for {len(pieces)} texts")
        values = np.clip(values, -1.0, 1.0)
        out: list[list[TopicHit]] = []
        for row, row_hits in enumerate(hits):
            if row in whole:
                value = float(values[whole[row]])
                out.append([_with(h, value) for h in row_hits])
            elif row in clause_jobs:
                start, clauses = clause_jobs[row]
                clause_values = values[start : start + len(clauses)]
                unowned = [v for v, o in zip(clause_values, owners[row], strict=True) if not o]
                # A topic without a clause of its own takes the comment's other clauses (or all of them).
                fallback = float(np.mean(unowned)) if unowned else float(clause_values.mean())
                row_out = []
                for position, hit in enumerate(row_hits):
                    mine = [v for v, o in zip(clause_values, owners[row], strict=True) if position in o]
                    row_out.append(_with(hit, float(np.mean(mine)) if mine else fallback))
                out.append(row_out)
            else:
                out.append([])
        return out

    def _clause_owners(
        self,
        jobs: dict[int, tuple[int, list[str]]],
        hits: list[list[TopicHit]],
        langs: list[Language],
        embed_clauses: bool,
    ) -> dict[int, list[set[int]]]:
        """For each mixed comment, which of its topics (by position in its hits) each clause is about.

        A clause belongs to the topics whose words it holds. With embed_clauses, a clause holding the words of none
        or several is embedded and given to the most similar of them (measured: 0.35 extra embeddings per airline
        tweet); without, it belongs to all the topics it names, or to none.
        """
        owners: dict[int, list[set[int]]] = {}
        pending: list[tuple[int, int, list[int]]] = []  # (row, clause position, candidate topic positions)
        pending_texts: list[str] = []
        for row, (_, clauses) in jobs.items():
            columns = [self._index[h.key] for h in hits[row]]
            owner: list[set[int]] = []
            for c, clause in enumerate(clauses):
                lexical = {p for p, col in enumerate(columns) if self._terms(clause, langs[row], col)}
                owner.append(lexical)
                if embed_clauses and len(lexical) != 1:
                    pending.append((row, c, sorted(lexical) or list(range(len(columns)))))
                    pending_texts.append(clause)
            owners[row] = owner
        if pending:
            clause_vectors = self.embedder.encode(pending_texts)
            best, centroid = self.similarities(clause_vectors)
            sims = self.max_weight * best + (1.0 - self.max_weight) * centroid
            for j, (row, c, candidates) in enumerate(pending):
                columns = [self._index[h.key] for h in hits[row]]
                owners[row][c] = {max(candidates, key=lambda p: sims[j, columns[p]])}
        return owners

    # -- learning ----------------------------------------------------------------------------------------------

    def learn(
        self,
        texts: Sequence[str],
        topic_sets: Sequence[Sequence[str]],
        vectors: Vectors | None = None,
        languages: Sequence[Language] | None = None,
    ) -> TopicModel:
        """A new model that also knows these corrections (each text with its right topics; [] means "other").

        A later correction of the same text replaces an earlier one. The topics this model gave a text that are not
        in its right set become counter-examples of those topics.
        """
        texts = list(texts)
        if len(topic_sets) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(topic_sets)} topic sets")
        k = len(self.keys)
        positives = np.zeros((len(texts), k), np.bool_)
        for row, keys in enumerate(topic_sets):
            for key in keys:
                if key == OTHER:
                    continue
                if key not in self._index:
                    kind = (
                        "a parent topic; give its children" if key in self.taxonomy else "not a topic of the taxonomy"
                    )
                    raise ValueError(f"correction #{row + 1}: {key!r} is {kind}")
                positives[row, self._index[key]] = True
        new_vectors = self._vectors(texts, vectors)
        predicted = np.zeros_like(positives)
        for row, chosen in enumerate(self._choose(*self._score(texts, new_vectors, languages))):
            predicted[row, chosen] = True
        hashes = np.array([_text_hash(t) for t in texts], dtype="S16")
        old_vectors, old_pos, old_neg, old_hashes = self._corrections
        # Topics this text was wrongly given before, by an older correction's model, stay wrong unless now right.
        earlier = {h: i for i, h in enumerate(old_hashes.tolist())}
        for row, h in enumerate(hashes.tolist()):
            if h in earlier:
                predicted[row] |= old_neg[earlier[h]] | old_pos[earlier[h]]
        negatives = predicted & ~positives
        # Keep the last correction of each text, old or new.
        all_hashes = np.concatenate([old_hashes, hashes])
        _, last_from_end = np.unique(all_hashes[::-1], return_index=True)
        keep = np.sort(len(all_hashes) - 1 - last_from_end)
        corrections = (
            np.concatenate([old_vectors, new_vectors])[keep],
            np.concatenate([old_pos, positives])[keep],
            np.concatenate([old_neg, negatives])[keep],
            all_hashes[keep],
        )
        return self._replace(_corrections=corrections, _linear=self._fit_linear(corrections))

    def _fit_linear(
        self, corrections: tuple[Vectors, npt.NDArray[np.bool_], npt.NDArray[np.bool_], npt.NDArray[np.bytes_]]
    ) -> tuple[Vectors, npt.NDArray[np.float32], npt.NDArray[np.int32]] | None:
        """A softmax layer over topics (and "other") on the corrections plus the seed examples; None if too few."""
        vectors, positives, _, _ = corrections
        if len(vectors) < self.min_corrections:
            return None
        from sklearn.linear_model import LogisticRegression

        rows, topics = np.nonzero(positives)
        other = np.nonzero(~positives.any(axis=1))[0]
        x = np.concatenate([self._seed_vectors, vectors[rows], vectors[other]])
        y = np.concatenate([self._seed_topic, topics.astype(np.int32), np.full(len(other), -1, np.int32)])
        fitted = LogisticRegression(C=1.0, max_iter=300).fit(x, y)
        return (
            fitted.coef_.astype(np.float32),
            fitted.intercept_.astype(np.float32),
            fitted.classes_.astype(np.int32),
        )

    @property
    def corrections(self) -> int:
        """How many corrected comments the model has learned from."""
        return len(self._corrections[0])

    def with_taxonomy(self, taxonomy: Taxonomy) -> TopicModel:
        """A model of another taxonomy (e.g. with an accepted theme) keeping the corrections of topics it still has."""
        new = TopicModel(taxonomy, self._embedder, **self._params())
        vectors, pos, neg, hashes = self._corrections
        columns = [(new._index[key], i) for i, key in enumerate(self.keys) if key in new._index]
        new_pos = np.zeros((len(vectors), len(new.keys)), np.bool_)
        new_neg = np.zeros_like(new_pos)
        for new_col, old_col in columns:
            new_pos[:, new_col] = pos[:, old_col]
            new_neg[:, new_col] = neg[:, old_col]
        corrections = (vectors, new_pos, new_neg, hashes)
        return new._replace(_corrections=corrections, _linear=new._fit_linear(corrections))

    # -- serialisation -----------------------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """The model as an .npz archive of plain arrays plus a JSON header (loadable without pickle)."""
        vectors, pos, neg, hashes = self._corrections
        meta = np.frombuffer(json.dumps(self._meta(), ensure_ascii=False).encode("utf-8"), dtype=np.uint8)
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            meta=meta,
            seed_vectors=self._seed_vectors,
            correction_vectors=vectors,
            correction_positive=pos,
            correction_negative=neg,
            correction_hashes=hashes,
            bias=self._bias,
            linear_weights=self._linear[0],
            linear_intercepts=self._linear[1],
            linear_classes=self._linear[2],
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes, embedder: Embedder | None = None) -> TopicModel:
        """A model saved by to_bytes; refuses anything that is not one."""
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as archive:
                arrays = {name: archive[name] for name in archive.files}
        except (OSError, ValueError) as error:
            raise ValueError(f"not a topic model: {error}") from error
        meta = json.loads(arrays["meta"].tobytes().decode("utf-8"))
        if meta.get("format") != _FORMAT:
            raise ValueError(f"not a topic model of format {_FORMAT}: {meta.get('format')!r}")
        params = meta["params"]
        return cls(
            taxonomy_from_dict(meta["taxonomy"]),
            embedder,
            threshold=float(params["threshold"]),
            margin=float(params["margin"]),
            max_topics=int(params["max_topics"]),
            max_weight=float(params["max_weight"]),
            keyword_boost=float(params["keyword_boost"]),
            near_copy=float(params["near_copy"]),
            max_keyword_matches=int(params["max_keyword_matches"]),
            linear_weight=float(params["linear_weight"]),
            min_corrections=int(params["min_corrections"]),
            _seed_vectors=arrays["seed_vectors"].astype(np.float32),
            _corrections=(
                arrays["correction_vectors"].astype(np.float32),
                arrays["correction_positive"].astype(np.bool_),
                arrays["correction_negative"].astype(np.bool_),
                arrays["correction_hashes"].astype("S16"),
            ),
            _bias=arrays["bias"].astype(np.float32),
            _linear=(
                arrays["linear_weights"].astype(np.float32),
                arrays["linear_intercepts"].astype(np.float32),
                arrays["linear_classes"].astype(np.int32),
            ),
        )


@dataclass(frozen=True)
class _Words:
    """One text's words as written, folded, and stemmed in each language it may be in (computed once)."""

    surface: list[str]
    folded: list[str]
    stems: dict[str, list[str]]

    @classmethod
    def of(cls, text: str, language: Language) -> _Words:
        surface = words(text)
        folded = [_fold_word(w) for w in surface]
        langs = (language,) if language in LANGUAGES else LANGUAGES
        return cls(surface, folded, {lang: [stem(f, lang) for f in folded] for lang in langs if lang is not None})


class _Groups:
    """Vectors grouped by topic, for each text's best similarity within each topic's group (-1 where empty)."""

    def __init__(self, vectors: Vectors, topics: npt.NDArray[np.intp], k: int) -> None:
        order = np.argsort(topics, kind="stable")
        # A sentinel row keeps reduceat's start indexes in range for trailing topics without vectors.
        self.vectors = np.concatenate([vectors[order], np.zeros((1, DIMENSIONS), np.float32)]).astype(np.float32)
        self.size = len(order)
        self.present = np.isin(np.arange(k), topics)
        self.starts = np.searchsorted(topics[order], np.arange(k)).astype(np.intp)

    def best(self, vectors: Vectors) -> npt.NDArray[np.float32]:
        if not self.size:
            return np.full((len(vectors), len(self.present)), -1.0, np.float32)
        sims = vectors @ self.vectors.T
        sims[:, -1] = -1.0
        best = np.maximum.reduceat(sims, self.starts, axis=1)
        # reduceat gives a topic without vectors its neighbour's first column; mask those out.
        result: npt.NDArray[np.float32] = np.where(self.present, best, -1.0).astype(np.float32)
        return result


def _languages(texts: Sequence[str], languages: Sequence[Language] | None) -> list[Language]:
    if languages is None:
        return [None] * len(texts)
    if len(languages) != len(texts):
        raise ValueError(f"{len(texts)} texts but {len(languages)} languages")
    return list(languages)


def _with(hit: TopicHit, sentiment: float) -> TopicHit:
    return TopicHit(key=hit.key, score=hit.score, terms=hit.terms, sentiment=sentiment)
