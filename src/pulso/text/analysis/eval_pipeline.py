"""Speed and memory of the whole pipeline (language, embedding, sentiment, topics, key phrases)."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass

from pulso.text.analysis.pipeline import Analyzer

REVIEW_CHARS = 500


@dataclass(frozen=True)
class PipelineSpeed:
    kind: str  # tweets, reviews
    n: int
    mean_chars: float
    seconds: float
    per_second: float


def reviews_from(texts: Sequence[str], chars: int = REVIEW_CHARS) -> list[str]:
    """Review-length texts (~`chars` characters) made by joining consecutive short ones."""
    out, current = [], ""
    for text in texts:
        current = f"{current} {text}".strip()
        if len(current) >= chars:
            out.append(current[: chars + 40])
            current = ""
    return out


def measure(analyzer: Analyzer, texts: Sequence[str], kind: str, batch: int = 512) -> PipelineSpeed:
    """Comments per second through Analyzer.analyze, in batches as the queue's job reads them."""
    analyzer.analyze(list(texts[:64]))  # warm the models and caches
    started = time.perf_counter()
    for start in range(0, len(texts), batch):
        analyzer.analyze(list(texts[start : start + batch]))
    seconds = time.perf_counter() - started
    mean = sum(len(t) for t in texts) / max(1, len(texts))
    return PipelineSpeed(kind, len(texts), mean, seconds, len(texts) / seconds if seconds else 0.0)


def resident_mib() -> float:
    """This process's resident memory (a worker holding the models), in MiB."""
    import psutil

    return float(psutil.Process(os.getpid()).memory_info().rss) / 2**20
