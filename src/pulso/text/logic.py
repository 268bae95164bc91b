"""Pure statistics of the Topics page: a topic's share, sentiment, NPS with and without it, its impact, its rise.

No session, no request, no clock: the repository's aggregated counts come in, numbers and tests go out.
NPS here is on the −100…100 scale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pulso.metrics import logic as stats

MIN_N = 30
CONFIDENCE = 0.95


@dataclass(frozen=True, slots=True)
class NpsCounts:
    """Promoters (9–10), passives (7–8) and detractors (0–6) of a group."""

    promoters: int = 0
    passives: int = 0
    detractors: int = 0

    @property
    def n(self) -> int:
        return self.promoters + self.passives + self.detractors

    @property
    def nps(self) -> float | None:
        """Promoters minus detractors, in points; None without answers."""
        return 100.0 * (self.promoters - self.detractors) / self.n if self.n else None

    def triple(self) -> tuple[int, int, int]:
        return (self.promoters, self.passives, self.detractors)

    def __sub__(self, other: NpsCounts) -> NpsCounts:
        return NpsCounts(
            self.promoters - other.promoters, self.passives - other.passives, self.detractors - other.detractors
        )


@dataclass(frozen=True, slots=True)
class GroupCounts:
    """What the repository counts for one topic (or for every analysed comment) in one period."""

    comments: int  # analysed comments (for a topic: those mentioning it)
    nps: NpsCounts
    sentiment_sum: float = 0.0  # of the clause sentiments (else the comment's score), −1…1
    sentiment_n: int = 0

    @property
    def sentiment(self) -> float | None:
        return self.sentiment_sum / self.sentiment_n if self.sentiment_n else None


EMPTY = GroupCounts(0, NpsCounts())


@dataclass(frozen=True, slots=True)
class NpsPoint:
    """An NPS with its adjusted-Wald interval (points) and its sample size."""

    value: float | None
    low: float | None
    high: float | None
    n: int


def nps_point(counts: NpsCounts, confidence: float = CONFIDENCE) -> NpsPoint:
    """The raw NPS with the adjusted-Wald interval, as the overview shows it."""
    if counts.n == 0:
        return NpsPoint(None, None, None, 0)
    adjusted = stats.nps_adjusted_wald(*counts.triple(), confidence=confidence)
    assert adjusted.low is not None
    assert adjusted.high is not None
    return NpsPoint(counts.nps, 100.0 * adjusted.low, 100.0 * adjusted.high, counts.n)


def nps_impact(overall: NpsCounts, topic: NpsCounts) -> float | None:
    """Overall NPS minus the NPS of the answers that do not mention the topic, in points.

    Negative: the topic costs points (without it the score would be higher). None when either side is empty.
    """
    without = overall - topic
    if overall.n == 0 or without.n == 0 or topic.n == 0:
        return None
    assert overall.nps is not None
    assert without.nps is not None
    return overall.nps - without.nps


@dataclass(frozen=True, slots=True)
class TopicStats:
    """Everything the Topics table shows of one topic (or of one parent, over its children)."""

    key: str
    mentions: int
    share: float | None  # of the analysed comments
    sentiment: float | None
    nps_with: NpsPoint
    nps_without: NpsPoint
    difference: float | None  # NPS with minus without, points
    p_value: float | None
    significant: bool  # the with/without difference
    impact: float | None
    previous_mentions: int
    previous_share: float | None
    rise: float | None  # share now minus share before (a proportion)
    rise_low: float | None
    rise_high: float | None
    rise_p: float | None
    rising: bool  # a significant rise
    falling: bool  # a significant fall

    @property
    def small_sample(self) -> bool:
        return self.nps_with.n < MIN_N


def topic_stats(
    key: str,
    now: GroupCounts,
    total_now: GroupCounts,
    before: GroupCounts,
    total_before: GroupCounts,
    confidence: float = CONFIDENCE,
) -> TopicStats:
    """A topic's numbers for the period, against the analysed comments of the period and of the one before."""
    alpha = 1.0 - confidence
    without = total_now.nps - now.nps
    test = stats.nps_z_test(now.nps.triple(), without.triple(), alpha) if now.nps.n and without.n else None
    rise = (
        stats.newcombe_difference(now.comments, total_now.comments, before.comments, total_before.comments, confidence)
        if total_now.comments and total_before.comments
        else None
    )
    rise_diff = rise.difference if rise is not None else None
    return TopicStats(
        key=key,
        mentions=now.comments,
        share=now.comments / total_now.comments if total_now.comments else None,
        sentiment=now.sentiment,
        nps_with=nps_point(now.nps, confidence),
        nps_without=nps_point(without, confidence),
        difference=100.0 * test.difference if test is not None and test.difference is not None else None,
        p_value=test.p_value if test is not None else None,
        # A z-test on a handful of answers (all detractors: no variance) calls nearly anything significant.
        significant=bool(test is not None and test.significant and min(now.nps.n, without.n) >= MIN_N),
        impact=nps_impact(total_now.nps, now.nps),
        previous_mentions=before.comments,
        previous_share=before.comments / total_before.comments if total_before.comments else None,
        rise=rise_diff,
        rise_low=rise.low if rise is not None else None,
        rise_high=rise.high if rise is not None else None,
        rise_p=rise.p_value if rise is not None else None,
        rising=bool(rise is not None and rise.significant and (rise_diff or 0) > 0),
        falling=bool(rise is not None and rise.significant and (rise_diff or 0) < 0),
    )


@dataclass(frozen=True, slots=True)
class SentimentShare:
    label: str
    count: int
    share: float | None


def sentiment_shares(counts: dict[str, int], labels: Sequence[str]) -> list[SentimentShare]:
    """The share of each sentiment label among the comments that have one."""
    total = sum(counts.get(label, 0) for label in labels)
    return [
        SentimentShare(label, counts.get(label, 0), counts.get(label, 0) / total if total else None) for label in labels
    ]


SORTS = ("volume", "impact", "sentiment", "rise", "label")


def sort_value(s: TopicStats, column: str) -> float | None:
    if column == "volume":
        return float(s.mentions)
    if column == "impact":
        return s.impact
    if column == "sentiment":
        return s.sentiment
    if column == "rise":
        return s.rise
    raise ValueError(f"unknown sort column {column!r}")
