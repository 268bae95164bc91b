"""The whole analysis of a batch of comments: language, one embedding pass, sentiment, topics, key phrases.

from pulso.text.analysis.pipeline import Analyzer
for a in Analyzer.shipped().analyze(["El pedido llegó tarde", "Great staff"]):
    print(a.language, a.sentiment, a.score, [t.key for t in a.topics], a.key_phrases)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pulso.text.analysis.embed import Embedder, default_embedder
from pulso.text.analysis.keyphrases import key_phrases_many
from pulso.text.analysis.language import detect_many
from pulso.text.analysis.normalize import clean
from pulso.text.analysis.sentiment import Label, SentimentModel, shipped_model
from pulso.text.analysis.taxonomy import Taxonomy, default_taxonomy
from pulso.text.analysis.topics import TopicHit, TopicModel


@dataclass(frozen=True, slots=True)
class Annotation:
    """What the analysis reads in one comment."""

    language: str  # es, en, other
    sentiment: Label
    score: float  # in [-1, 1]
    topics: tuple[TopicHit, ...]  # best first; none means "other"
    key_phrases: tuple[str, ...]


class Analyzer:
    """A sentiment model and a topic model sharing one embedder; `version` names both."""

    def __init__(self, sentiment: SentimentModel, topics: TopicModel, embedder: Embedder | None = None) -> None:
        self.sentiment = sentiment
        self.topics = topics
        self.embedder = embedder or default_embedder()

    @classmethod
    def shipped(cls, taxonomy: Taxonomy | None = None) -> Analyzer:
        """The models as shipped: no labels of any organisation."""
        embedder = default_embedder()
        return cls(shipped_model(), TopicModel(taxonomy or default_taxonomy(), embedder), embedder)

    @property
    def version(self) -> str:
        return f"{self.sentiment.version}+{self.topics.version}"

    def analyze(self, texts: Sequence[str], *, phrases: int = 5) -> list[Annotation]:
        """Annotate each comment, in order; an empty comment gets neutral, no topics, no phrases."""
        cleaned = [clean(t or "") for t in texts]
        languages = detect_many(cleaned)
        vectors = self.embedder.encode(cleaned)
        predicted = self.sentiment.predict(cleaned, vectors=vectors, languages=languages)
        # Clause sentiment for topics: a comment with one clause is scored already; embed only real clauses.
        known = {text: s.score for text, s in zip(cleaned, predicted, strict=True)}

        def scores(pieces: Sequence[str]) -> npt.NDArray[np.float64]:
            missing = list(dict.fromkeys(p for p in pieces if p not in known))
            if missing:
                known.update(zip(missing, (float(x) for x in self.sentiment.scores(missing)), strict=True))
            return np.array([known[p] for p in pieces], dtype=np.float64)

        hits = self.topics.assign(cleaned, vectors=vectors, score_fn=scores, languages=languages)
        keys = key_phrases_many(cleaned, languages, top=phrases)
        out = []
        for text, lang, s, topic_hits, kp in zip(cleaned, languages, predicted, hits, keys, strict=True):
            if not text:
                out.append(Annotation(lang, "neutral", 0.0, (), ()))
                continue
            out.append(Annotation(lang, s.label, float(s.score), tuple(topic_hits), tuple(kp)))
        return out
