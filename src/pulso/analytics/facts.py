"""The analytic facts: their columns, and the same facts read straight from the operational store.

Both shapes have the same column names, so one KPI query (metrics/repository.py) runs on the
DuckDB copy, on SQLite and on PostgreSQL, and the engines can be checked against each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    MetaData,
    SmallInteger,
    String,
    Table,
    case,
    func,
    select,
    type_coerce,
)

from pulso.customers.models import Customer
from pulso.feedback.models import Feedback
from pulso.interactions.models import Interaction
from pulso.journeys.models import Touchpoint
from pulso.kit.db import AnySelect
from pulso.kit.sqlexpr import epoch_seconds
from pulso.text.models import FeedbackText

analytic_metadata = MetaData()

# Dimension name (API) -> fact column.
_CONTEXT_DIMENSIONS = {
    "touchpoint": "touchpoint_id",
    "stage": "stage_id",
    "team": "team_id",
    "agent": "agent_id",
    "product": "product_id",
    "segment": "segment",
    "region": "region",
    "key_account": "is_key_account",
}
FEEDBACK_DIMENSIONS = {
    "channel": "channel",
    "source": "source",
    "language": "language",
    "sentiment": "sentiment",
    **_CONTEXT_DIMENSIONS,
}
INTERACTION_DIMENSIONS = {"channel": "channel", "category": "category", **_CONTEXT_DIMENSIONS}

# Where a fact happened and who it concerns, shared by both facts (segment, region and key account
# are the customer's, stage the touchpoint's, copied at sync time: ADR 0002).
_CONTEXT_COLUMNS: tuple[tuple[str, str, Any], ...] = (
    ("touchpoint_id", "INTEGER", BigInteger),
    ("stage_id", "INTEGER", BigInteger),
    ("team_id", "INTEGER", BigInteger),
    ("agent_id", "INTEGER", BigInteger),
    ("product_id", "INTEGER", BigInteger),
    ("segment", "VARCHAR", String),
    ("region", "VARCHAR", String),
    ("is_key_account", "BOOLEAN", Boolean),
)

# (name, DuckDB type, SQLAlchemy type) of each column of the analytic feedback facts.
FEEDBACK_COLUMNS: tuple[tuple[str, str, Any], ...] = (
    ("id", "BIGINT", BigInteger),
    ("version", "BIGINT", BigInteger),
    ("received_at", "TIMESTAMPTZ", DateTime(timezone=True)),
    ("source", "VARCHAR", String),
    ("channel", "VARCHAR", String),
    ("language", "VARCHAR", String),
    ("customer_id", "BIGINT", BigInteger),
    ("interaction_id", "BIGINT", BigInteger),
    *_CONTEXT_COLUMNS,
    ("nps", "TINYINT", SmallInteger),
    ("csat", "TINYINT", SmallInteger),
    ("ces", "TINYINT", SmallInteger),
    ("rating", "TINYINT", SmallInteger),
    ("has_comment", "BOOLEAN", Boolean),
    # The text analysis (text/models.py FeedbackText): a person's correction wins over the model.
    ("sentiment", "VARCHAR", String),
    ("sentiment_score", "DOUBLE", Float),
    ("topics", "VARCHAR", String),
)

INTERACTION_COLUMNS: tuple[tuple[str, str, Any], ...] = (
    ("id", "BIGINT", BigInteger),
    ("version", "BIGINT", BigInteger),
    ("opened_at", "TIMESTAMPTZ", DateTime(timezone=True)),
    ("channel", "VARCHAR", String),
    ("category", "VARCHAR", String),
    ("status", "VARCHAR", String),
    ("customer_id", "BIGINT", BigInteger),
    *_CONTEXT_COLUMNS,
    ("first_response_seconds", "DOUBLE", Float),
    ("resolution_seconds", "DOUBLE", Float),
    ("contacts_to_resolve", "SMALLINT", SmallInteger),
)


def _table(name: str, columns: tuple[tuple[str, str, Any], ...], *extra: Column[Any]) -> Table:
    return Table(name, analytic_metadata, *(Column(n, t) for n, _, t in columns), *extra)


# Durations of interactions (seconds) and the column keeping each one's histogram bucket.
DURATION_BUCKETS: dict[str, str] = {
    "first_response_seconds": "first_response_bucket",
    "resolution_seconds": "resolution_bucket",
}
# Buckets per doubling of (seconds + 1); a bucket rises with the value (none for a negative or missing
# duration). Finer buckets: fewer durations to rank per wanted rank, more histogram rows. 32 puts
# about 1 % of a month's first responses in the fullest bucket at 10 M rows.
BUCKETS_PER_DOUBLING = 32


def duration_bucket_sql(column: str) -> str:
    """The DuckDB expression of a duration's bucket, as stored in interaction_facts."""
    return f"CASE WHEN {column} >= 0 THEN CAST(floor(log2({column} + 1) * {BUCKETS_PER_DOUBLING}) AS BIGINT) END"


feedback_facts = _table("feedback_facts", FEEDBACK_COLUMNS, Column("local_day", Date))
interaction_facts = _table(
    "interaction_facts",
    INTERACTION_COLUMNS,
    Column("local_day", Date),
    *(Column(bucket, BigInteger) for bucket in DURATION_BUCKETS.values()),
)


# Every duration once per metric, with its bucket, its day and its interaction's dimensions, stored
# sorted by (metric, bucket, value): a median's fetch reads the few row groups of its buckets (DuckDB
# skips the others by their min/max) instead of every interaction of the period.
DURATION_FACTS = "duration_facts"
_DURATION_FACT_DIMENSIONS: tuple[tuple[str, str, Any], ...] = tuple(
    c for c in INTERACTION_COLUMNS if c[0] not in ("id", "version", "opened_at", *DURATION_BUCKETS)
)
duration_facts = Table(
    DURATION_FACTS,
    analytic_metadata,
    Column("metric", String),
    Column("b", BigInteger),
    Column("x", Float),
    Column("local_day", Date),
    *(Column(n, t) for n, _, t in _DURATION_FACT_DIMENSIONS),
)


def duration_facts_select(where: str = "") -> str:
    """The DuckDB SELECT of duration_facts rows from interaction_facts, in the table's order."""
    dims = ", ".join(("local_day", *(n for n, _, _ in _DURATION_FACT_DIMENSIONS)))
    parts = [
        f"SELECT '{metric}' AS metric, {bucket} AS b, {metric} AS x, {dims} FROM interaction_facts "
        f"WHERE {bucket} IS NOT NULL" + (f" AND {where}" if where else "")
        for metric, bucket in DURATION_BUCKETS.items()
    ]
    return " UNION ALL ".join(parts) + " ORDER BY metric, b, x"


def operational_feedback(*, raw_timestamps: bool = False) -> AnySelect:
    """The feedback facts as a SELECT over the operational tables (same column names)."""
    received = type_coerce(Feedback.received_at, String) if raw_timestamps else Feedback.received_at
    return (
        select(
            Feedback.id,
            Feedback.version,
            received.label("received_at"),
            type_coerce(Feedback.source, String).label("source"),
            type_coerce(Feedback.channel, String).label("channel"),
            Feedback.language,
            Feedback.customer_id,
            Feedback.interaction_id,
            Feedback.touchpoint_id,
            Touchpoint.stage_id,
            Feedback.team_id,
            Feedback.agent_id,
            Feedback.product_id,
            Customer.segment,
            Customer.region,
            Customer.is_key_account,
            Feedback.nps,
            Feedback.csat,
            Feedback.ces,
            Feedback.rating,
            case((Feedback.comment.is_(None), False), (Feedback.comment == "", False), else_=True).label("has_comment"),
            func.coalesce(FeedbackText.corrected_sentiment, FeedbackText.sentiment).label("sentiment"),
            FeedbackText.sentiment_score,
            FeedbackText.topics,
        )
        .select_from(Feedback)
        .outerjoin(FeedbackText, FeedbackText.feedback_id == Feedback.id)
        .outerjoin(Customer, Customer.id == Feedback.customer_id)
        .outerjoin(Touchpoint, Touchpoint.id == Feedback.touchpoint_id)
    )


def operational_interactions(*, raw_timestamps: bool = False) -> AnySelect:
    """The interaction facts as a SELECT over the operational tables (same column names)."""
    opened = type_coerce(Interaction.opened_at, String) if raw_timestamps else Interaction.opened_at
    opened_s = epoch_seconds(Interaction.opened_at)
    return (
        select(
            Interaction.id,
            Interaction.version,
            opened.label("opened_at"),
            type_coerce(Interaction.channel, String).label("channel"),
            Interaction.category,
            type_coerce(Interaction.status, String).label("status"),
            Interaction.customer_id,
            Interaction.touchpoint_id,
            Touchpoint.stage_id,
            Interaction.team_id,
            Interaction.agent_id,
            Interaction.product_id,
            Customer.segment,
            Customer.region,
            Customer.is_key_account,
            (epoch_seconds(Interaction.first_response_at) - opened_s).label("first_response_seconds"),
            (epoch_seconds(Interaction.resolved_at) - opened_s).label("resolution_seconds"),
            Interaction.contacts_to_resolve,
        )
        .select_from(Interaction)
        .outerjoin(Customer, Customer.id == Interaction.customer_id)
        .outerjoin(Touchpoint, Touchpoint.id == Interaction.touchpoint_id)
    )


@dataclass(frozen=True, slots=True)
class Rollup:
    """A daily pre-aggregate of feedback over some dimensions; every measure in it is a sum."""

    name: str
    dimensions: tuple[str, ...]


# Chosen so that every dimension of the API has a small rollup, and the common pairings
# (touchpoint × segment or channel; team × agent) are answered without touching raw facts.
ROLLUPS: tuple[Rollup, ...] = (
    Rollup("rollup_day", ()),
    Rollup("rollup_day_channel", ("channel", "source", "language")),
    Rollup("rollup_day_touchpoint", ("touchpoint_id", "stage_id", "channel", "segment")),
    Rollup("rollup_day_team", ("team_id", "agent_id")),
    Rollup("rollup_day_product", ("product_id",)),
    Rollup("rollup_day_customer", ("segment", "region", "is_key_account")),
)

# Additive measures of feedback: (name, aggregate over raw facts in SQL text for DuckDB rollups).
ROLLUP_MEASURES: tuple[tuple[str, str], ...] = (
    ("n_rows", "count(*)"),
    ("n_nps", "count(nps)"),
    ("promoters", "count(*) FILTER (WHERE nps >= 9)"),
    ("detractors", "count(*) FILTER (WHERE nps <= 6)"),
    ("n_csat", "count(csat)"),
    ("csat_top2", "count(*) FILTER (WHERE csat >= 4)"),
    ("n_ces", "count(ces)"),
    ("ces_sum", "sum(ces)"),
    ("ces_sumsq", "sum(ces * ces)"),
    ("n_rating", "count(rating)"),
    ("rating_sum", "sum(rating)"),
    ("n_comments", "count(*) FILTER (WHERE has_comment)"),
)


def rollup_table(rollup: Rollup) -> Table:
    """The SQLAlchemy view of a rollup table, for the query builder."""
    if rollup.name in analytic_metadata.tables:
        return analytic_metadata.tables[rollup.name]
    types = {n: t for n, _, t in FEEDBACK_COLUMNS}
    columns: list[Column[Any]] = [Column("local_day", Date)]
    columns += [Column(d, types[d]) for d in rollup.dimensions]
    columns += [Column(m, Float if m.endswith(("sum", "sumsq")) else BigInteger) for m, _ in ROLLUP_MEASURES]
    return Table(rollup.name, analytic_metadata, *columns)


@dataclass(frozen=True, slots=True)
class DurationHistogram:
    """Daily counts of interaction durations per bucket over some dimensions, for exact medians.

    With the running counts a rank's bucket is known without reading the facts; only the durations
    of that bucket are then read and ranked (metrics/repository.py duration_stats_query).
    """

    name: str
    dimensions: tuple[str, ...]


# The same dimension sets as the feedback rollups, in the interactions' dimensions.
DURATION_HISTOGRAMS: tuple[DurationHistogram, ...] = (
    DurationHistogram("duration_hist_day", ()),
    DurationHistogram("duration_hist_day_channel", ("channel", "category")),
    DurationHistogram("duration_hist_day_touchpoint", ("touchpoint_id", "stage_id", "channel", "segment")),
    DurationHistogram("duration_hist_day_team", ("team_id", "agent_id")),
    DurationHistogram("duration_hist_day_product", ("product_id",)),
    DurationHistogram("duration_hist_day_customer", ("segment", "region", "is_key_account")),
    # One dimension each, for breakdowns without filters: a histogram over several dimensions holds
    # about as many rows as the facts at 10 M (touchpoint × stage × channel × segment × bucket × day).
    DurationHistogram("duration_hist_day_by_touchpoint", ("touchpoint_id",)),
    DurationHistogram("duration_hist_day_by_stage", ("stage_id",)),
    DurationHistogram("duration_hist_day_by_team", ("team_id",)),
    DurationHistogram("duration_hist_day_by_channel", ("channel",)),
    DurationHistogram("duration_hist_day_by_segment", ("segment",)),
    DurationHistogram("duration_hist_day_by_region", ("region",)),
    DurationHistogram("duration_hist_day_by_key_account", ("is_key_account",)),
)


def histogram_select(histogram: DurationHistogram, where: str = "") -> str:
    """The DuckDB SELECT that builds a histogram's rows (metric, bucket, n per day and dimensions)."""
    keys = ", ".join(("local_day", *histogram.dimensions))
    parts = []
    for metric, bucket in DURATION_BUCKETS.items():
        condition = f"{bucket} IS NOT NULL" + (f" AND {where}" if where else "")
        parts.append(
            f"SELECT {keys}, '{metric}' AS metric, {bucket} AS b, count(*) AS n FROM interaction_facts "
            f"WHERE {condition} GROUP BY {keys}, {bucket}"
        )
    return " UNION ALL ".join(parts)


def histogram_table(histogram: DurationHistogram) -> Table:
    """The SQLAlchemy view of a duration histogram, for the query builder."""
    if histogram.name in analytic_metadata.tables:
        return analytic_metadata.tables[histogram.name]
    types = {n: t for n, _, t in INTERACTION_COLUMNS}
    columns: list[Column[Any]] = [Column("local_day", Date)]
    columns += [Column(d, types[d]) for d in histogram.dimensions]
    columns += [Column("metric", String), Column("b", BigInteger), Column("n", BigInteger)]
    return Table(histogram.name, analytic_metadata, *columns)


# Daily pre-aggregates of interactions for the additive interaction KPIs (FCR, contacts), over the
# same dimension sets as the duration histograms: (name, dimensions).
INTERACTION_ROLLUPS: tuple[Rollup, ...] = tuple(
    Rollup(h.name.replace("duration_hist_day", "interaction_rollup_day"), h.dimensions) for h in DURATION_HISTOGRAMS
)
INTERACTION_ROLLUP_MEASURES: tuple[tuple[str, str], ...] = (
    ("n_rows", "count(*)"),
    ("n_fcr", "count(contacts_to_resolve)"),
    ("fcr_first", "count(*) FILTER (WHERE contacts_to_resolve = 1)"),
)


def interaction_rollup_select(rollup: Rollup, where: str = "") -> str:
    keys = ", ".join(("local_day", *rollup.dimensions))
    measures = ", ".join(f"{expr} AS {name}" for name, expr in INTERACTION_ROLLUP_MEASURES)
    return f"SELECT {keys}, {measures} FROM interaction_facts {'WHERE ' + where if where else ''} GROUP BY {keys}"


def interaction_rollup_table(rollup: Rollup) -> Table:
    """The SQLAlchemy view of an interaction rollup, for the query builder."""
    if rollup.name in analytic_metadata.tables:
        return analytic_metadata.tables[rollup.name]
    types = {n: t for n, _, t in INTERACTION_COLUMNS}
    columns: list[Column[Any]] = [Column("local_day", Date)]
    columns += [Column(d, types[d]) for d in rollup.dimensions]
    columns += [Column(m, BigInteger) for m, _ in INTERACTION_ROLLUP_MEASURES]
    return Table(rollup.name, analytic_metadata, *columns)
