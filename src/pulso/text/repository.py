"""Every query on the text domain's tables (and the read of the comments it analyses)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, delete, func, insert, or_, select, text, update
from sqlalchemy.orm import Session

from pulso.feedback.models import Feedback
from pulso.text.models import DiscoveredTheme, FeedbackText, FeedbackTopic, TaxonomyTopic, TextModel


def pending_comments(session: Session, version: str, *, after_id: int = 0, limit: int = 500) -> list[tuple[int, str]]:
    """(id, comment) of feedback with a comment that no model of `version` has read, by id."""
    query = (
        select(Feedback.id, Feedback.comment)
        .outerjoin(FeedbackText, FeedbackText.feedback_id == Feedback.id)
        .where(
            Feedback.id > after_id,
            Feedback.comment.is_not(None),
            Feedback.comment != "",
            or_(FeedbackText.feedback_id.is_(None), FeedbackText.model_version != version),
        )
        .order_by(Feedback.id)
        .limit(limit)
    )
    return [(int(i), str(c)) for i, c in session.execute(query)]


def count_pending(session: Session, version: str) -> int:
    query = (
        select(func.count())
        .select_from(Feedback)
        .outerjoin(FeedbackText, FeedbackText.feedback_id == Feedback.id)
        .where(
            Feedback.comment.is_not(None),
            Feedback.comment != "",
            or_(FeedbackText.feedback_id.is_(None), FeedbackText.model_version != version),
        )
    )
    return int(session.execute(query).scalar_one())


def analyses(session: Session, ids: Sequence[int]) -> dict[int, FeedbackText]:
    if not ids:
        return {}
    rows = session.scalars(select(FeedbackText).where(FeedbackText.feedback_id.in_(ids)))
    return {r.feedback_id: r for r in rows}


def topics_of(session: Session, ids: Sequence[int]) -> dict[int, list[FeedbackTopic]]:
    out: dict[int, list[FeedbackTopic]] = {i: [] for i in ids}
    if not ids:
        return out
    query = select(FeedbackTopic).where(FeedbackTopic.feedback_id.in_(ids)).order_by(FeedbackTopic.score.desc())
    for row in session.scalars(query):
        out[row.feedback_id].append(row)
    return out


def replace_topics(session: Session, ids: Sequence[int], rows: Sequence[dict[str, Any]]) -> None:
    """The topic rows of these comments become exactly `rows`."""
    if ids:
        session.execute(delete(FeedbackTopic).where(FeedbackTopic.feedback_id.in_(ids)))
    if rows:
        session.execute(insert(FeedbackTopic), list(rows))


def fill_missing_languages(session: Session, languages: dict[int, str]) -> None:
    """Store the detected language of comments imported without one (es and en only)."""
    by_language: dict[str, list[int]] = {}
    for feedback_id, language in languages.items():
        if language in ("es", "en"):
            by_language.setdefault(language, []).append(feedback_id)
    for language, ids in by_language.items():
        missing = select(Feedback).where(Feedback.id.in_(ids), Feedback.language.is_(None))
        for row in session.scalars(missing):
            row.language = language  # through the ORM: the fact's version moves (kit/changes.py)


def feedback_rows(session: Session, ids: Sequence[int]) -> dict[int, Feedback]:
    if not ids:
        return {}
    return {f.id: f for f in session.scalars(select(Feedback).where(Feedback.id.in_(ids)))}


# --------------------------------------------------------------------------- taxonomy


def taxonomy_rows(session: Session) -> list[TaxonomyTopic]:
    return list(session.scalars(select(TaxonomyTopic).order_by(TaxonomyTopic.position, TaxonomyTopic.key)))


def topic_usage(session: Session, keys: Sequence[str] | None = None) -> dict[str, int]:
    """How many comments carry each topic (of `keys`, or every one) on the operational store."""
    query = select(FeedbackTopic.topic_key, func.count()).group_by(FeedbackTopic.topic_key)
    if keys is not None:
        query = query.where(FeedbackTopic.topic_key.in_(keys))
    return {k: int(n) for k, n in session.execute(query)}


# --------------------------------------------------------------------------- models


def live_model(session: Session, kind: str) -> TextModel | None:
    query = select(TextModel).where(TextModel.kind == kind, TextModel.is_live.is_(True)).order_by(TextModel.id.desc())
    return session.scalars(query.limit(1)).first()


def model_history(session: Session, kind: str | None = None, limit: int = 50) -> list[TextModel]:
    query = select(TextModel).order_by(TextModel.id.desc()).limit(limit)
    if kind:
        query = query.where(TextModel.kind == kind)
    return list(session.scalars(query))


def retire_models(session: Session, kind: str) -> None:
    session.execute(update(TextModel).where(TextModel.kind == kind).values(is_live=False))


# --------------------------------------------------------------------------- learning data


def scored_comments(
    session: Session, *, limit: int
) -> list[tuple[int, str, int | None, int | None, int | None, int | None]]:
    """The newest comments that came with a score: (id, comment, nps, csat, ces, rating)."""
    query = (
        select(Feedback.id, Feedback.comment, Feedback.nps, Feedback.csat, Feedback.ces, Feedback.rating)
        .where(
            Feedback.comment.is_not(None),
            Feedback.comment != "",
            or_(
                Feedback.nps.is_not(None),
                Feedback.csat.is_not(None),
                Feedback.ces.is_not(None),
                Feedback.rating.is_not(None),
            ),
        )
        .order_by(Feedback.id.desc())
        .limit(limit)
    )
    return [tuple(r) for r in session.execute(query)]  # type: ignore[misc]


def sentiment_corrections(session: Session) -> list[tuple[int, str, str]]:
    """(id, comment, label) of every comment whose sentiment a person corrected."""
    query = (
        select(Feedback.id, Feedback.comment, FeedbackText.corrected_sentiment)
        .join(FeedbackText, FeedbackText.feedback_id == Feedback.id)
        .where(FeedbackText.corrected_sentiment.is_not(None))
    )
    return [(int(i), str(c or ""), str(label)) for i, c, label in session.execute(query)]


def topic_corrections(session: Session) -> list[tuple[int, str, list[str]]]:
    """(id, comment, topic keys) of every comment whose topics a person set."""
    query = (
        select(Feedback.id, Feedback.comment)
        .join(FeedbackText, FeedbackText.feedback_id == Feedback.id)
        .where(FeedbackText.topics_corrected.is_(True))
        .order_by(Feedback.id)
    )
    rows = [(int(i), str(c or "")) for i, c in session.execute(query)]
    topics = topics_of(session, [i for i, _ in rows])
    return [(i, c, [t.topic_key for t in topics[i]]) for i, c in rows]


def unassigned_comments(session: Session, *, limit: int) -> list[tuple[int, str, str]]:
    """The newest analysed comments with no topic: (id, comment, language), for discovery."""
    query = (
        select(Feedback.id, Feedback.comment, FeedbackText.language)
        .join(FeedbackText, FeedbackText.feedback_id == Feedback.id)
        .where(FeedbackText.topics == "")
        .order_by(Feedback.id.desc())
        .limit(limit)
    )
    return [(int(i), str(c or ""), str(lang)) for i, c, lang in session.execute(query)]


def themes(session: Session, status: str | None = "proposed") -> list[DiscoveredTheme]:
    query = select(DiscoveredTheme).order_by(DiscoveredTheme.size.desc(), DiscoveredTheme.id)
    if status:
        query = query.where(DiscoveredTheme.status == status)
    return list(session.scalars(query))


# ---- pages
# The Topics page's aggregates, on the analytic store (DuckDB): each comment's topics are the string
# "key:sentiment|key:" in feedback_facts.topics ('' when none, NULL when not analysed), unnested here.

# The fact columns a Topics filter may name (the page's filter → the column); values are bound, never inlined.
FACT_FILTER_COLUMNS = ("channel", "team_id", "agent_id", "touchpoint_id", "product_id", "segment", "language")


def _fact_where(filters: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    parts, params = [], {}
    for index, (column, value) in enumerate(sorted(filters.items())):
        if column not in FACT_FILTER_COLUMNS:
            raise ValueError(f"not a filterable fact column: {column!r}")
        parts.append(f"{column} = :f{index}")
        params[f"f{index}"] = value
    return "".join(f" AND {p}" for p in parts), params


def _parents_values(parents: Mapping[str, str | None]) -> tuple[str, dict[str, Any]]:
    """A VALUES list of (topic, parent) with bound keys; a dummy row keeps it valid when empty."""
    rows, params = [], {}
    for index, (key, parent) in enumerate(sorted(parents.items())):
        rows.append(f"(:k{index}, :p{index})")
        params[f"k{index}"], params[f"p{index}"] = key, parent or key
    if not rows:
        rows.append("(NULL, NULL)")
    return "(VALUES " + ", ".join(rows) + ") AS tax(topic, parent)", params


def _nps_counts(prefix: str = "") -> str:
    """Promoters, passives and detractors, each comment once."""
    return (
        f"count(DISTINCT {prefix}id) FILTER (WHERE {prefix}nps >= 9) AS promoters, "
        f"count(DISTINCT {prefix}id) FILTER (WHERE {prefix}nps BETWEEN 7 AND 8) AS passives, "
        f"count(DISTINCT {prefix}id) FILTER (WHERE {prefix}nps <= 6) AS detractors"
    )


def analysed_totals(conn: Connection, *, start: date, end: date, split: date, filters: Mapping[str, Any]) -> list[Any]:
    """Per period ('now' from `split`, 'before' earlier): analysed comments, NPS groups, sentiment labels."""
    where, params = _fact_where(filters)
    sql = f"""
        SELECT CASE WHEN local_day >= :split THEN 'now' ELSE 'before' END AS period,
               count(*) AS comments, {_nps_counts()},
               count(*) FILTER (WHERE sentiment = 'negative') AS negative,
               count(*) FILTER (WHERE sentiment = 'neutral') AS neutral,
               count(*) FILTER (WHERE sentiment = 'positive') AS positive
        FROM feedback_facts
        WHERE local_day BETWEEN :start AND :end AND topics IS NOT NULL{where}
        GROUP BY period
    """
    return list(conn.execute(text(sql), {"start": start, "end": end, "split": split, **params}))


def topic_counts(
    conn: Connection,
    *,
    start: date,
    end: date,
    split: date,
    filters: Mapping[str, Any],
    parents: Mapping[str, str | None],
) -> list[Any]:
    """Per period, per parent and per (parent, topic): comments mentioning it, NPS groups, sentiment.

    A parent's row counts each comment once even when it names two of its children (count DISTINCT id);
    the sentiment is the topic's clause sentiment where the model gave one, else the comment's score.
    """
    where, params = _fact_where(filters)
    values, tax_params = _parents_values(parents)
    sql = f"""
        WITH mentions AS (
            SELECT f.id, f.nps, CASE WHEN f.local_day >= :split THEN 'now' ELSE 'before' END AS period,
                   split_part(u.t, ':', 1) AS topic,
                   coalesce(TRY_CAST(NULLIF(split_part(u.t, ':', 2), '') AS DOUBLE), f.sentiment_score) AS sentiment
            FROM feedback_facts AS f, unnest(string_split(f.topics, '|')) AS u(t)
            WHERE f.local_day BETWEEN :start AND :end AND f.topics IS NOT NULL AND f.topics <> ''{where}
        ), placed AS (
            SELECT m.*, coalesce(tax.parent, m.topic) AS parent
            FROM mentions AS m LEFT JOIN {values} ON tax.topic = m.topic
        )
        SELECT period, parent, CASE WHEN grouping(topic) = 0 THEN topic END AS topic,
               count(DISTINCT id) AS comments, {_nps_counts()},
               sum(sentiment) AS sentiment_sum, count(sentiment) AS sentiment_n
        FROM placed
        GROUP BY GROUPING SETS ((period, parent, topic), (period, parent))
    """
    return list(conn.execute(text(sql), {"start": start, "end": end, "split": split, **params, **tax_params}))


def topic_weeks(
    conn: Connection, *, start: date, end: date, filters: Mapping[str, Any], parents: Mapping[str, str | None]
) -> list[Any]:
    """Per week (its Monday): analysed comments (topic NULL), and comments mentioning each topic and parent."""
    where, params = _fact_where(filters)
    values, tax_params = _parents_values(parents)
    sql = f"""
        WITH analysed AS (
            SELECT id, CAST(date_trunc('week', local_day) AS DATE) AS week, topics
            FROM feedback_facts
            WHERE local_day BETWEEN :start AND :end AND topics IS NOT NULL{where}
        ), mentions AS (
            SELECT a.id, a.week, split_part(u.t, ':', 1) AS topic
            FROM analysed AS a, unnest(string_split(a.topics, '|')) AS u(t)
            WHERE a.topics <> ''
        )
        SELECT week, NULL AS topic, count(*) AS comments FROM analysed GROUP BY week
        UNION ALL
        SELECT m.week, m.topic, count(*) FROM mentions AS m GROUP BY m.week, m.topic
        UNION ALL
        SELECT m.week, tax.parent, count(DISTINCT m.id)
        FROM mentions AS m JOIN {values} ON tax.topic = m.topic
        WHERE tax.parent <> tax.topic
        GROUP BY m.week, tax.parent
    """
    return list(conn.execute(text(sql), {"start": start, "end": end, **params, **tax_params}))


# --------------------------------------------------------------------------- distinctive terms


def _group_column(dimension: str) -> tuple[Any, list[tuple[Any, Any]]]:
    """The column that names a comment's group, and the joins it needs (read-only, like analytics/facts.py)."""
    from pulso.catalog.models import Product
    from pulso.customers.models import Customer
    from pulso.journeys.models import Touchpoint

    if dimension == "channel":
        return Feedback.channel, []
    if dimension == "sentiment":
        return func.coalesce(FeedbackText.corrected_sentiment, FeedbackText.sentiment), []
    if dimension == "segment":
        return Customer.segment, [(Customer, Customer.id == Feedback.customer_id)]
    if dimension == "touchpoint":
        return Touchpoint.name, [(Touchpoint, Touchpoint.id == Feedback.touchpoint_id)]
    if dimension == "product":
        return Product.name, [(Product, Product.id == Feedback.product_id)]
    raise KeyError(dimension)


GROUP_DIMENSIONS = ("segment", "channel", "touchpoint", "product", "sentiment")


def grouped_comments(session: Session, dimension: str, language: str, *, limit: int) -> list[tuple[str, str]]:
    """(group, comment) of the newest `limit` analysed comments in `language` that have a group."""
    column, joins = _group_column(dimension)
    query = (
        select(column, Feedback.comment)
        .select_from(Feedback)
        .join(FeedbackText, FeedbackText.feedback_id == Feedback.id)
        .where(FeedbackText.language == language, column.is_not(None))
        .order_by(Feedback.id.desc())
        .limit(limit)
    )
    for model, condition in joins:
        query = query.join(model, condition)
    return [(str(getattr(g, "value", g)), str(c or "")) for g, c in session.execute(query)]
