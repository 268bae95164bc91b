"""Public entry points of the text domain: analyse comments, correct them, learn, edit the taxonomy, discover.

Every comment with text gets a FeedbackText row (language, sentiment, key phrases, the models' version)
and its FeedbackTopic rows. Writing them moves the feedback's version, so the next analytic sync copies
the sentiment and topics into the analytic store (analytics/facts.py). A person's correction is kept
when the comment is read again by a newer model; corrections are the clean labels the models learn from.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pulso.accounts.enums import Role
from pulso.accounts.schemas import Principal
from pulso.feedback import service as feedback
from pulso.kit.db import utcnow
from pulso.kit.errors import Forbidden, NotFound, ValidationFailed
from pulso.text import logic as text_logic
from pulso.text import repository
from pulso.text.analysis import sentiment as sentiment_lib
from pulso.text.analysis.discovery import discover
from pulso.text.analysis.embed import default_embedder
from pulso.text.analysis.pipeline import Analyzer
from pulso.text.analysis.taxonomy import Taxonomy, TaxonomyError, Topic, default_taxonomy, taxonomy_from_dict
from pulso.text.analysis.topics import TopicModel
from pulso.text.models import SENTIMENT_LABELS, DiscoveredTheme, FeedbackText, TaxonomyTopic, TextModel

if TYPE_CHECKING:
    from pulso.runtime import Runtime

log = logging.getLogger(__name__)

BATCH = 256
CORRECTORS = (Role.ADMIN, Role.CX_MANAGER, Role.SUPERVISOR)
EDITORS = (Role.ADMIN, Role.CX_MANAGER)


# --------------------------------------------------------------------------- the live models


_cache_lock = threading.Lock()
_cache: dict[tuple[str, str, str], Analyzer] = {}


def taxonomy(session: Session) -> Taxonomy:
    """The organisation's taxonomy: its edited copy, or the shipped one before any edit."""
    rows = repository.taxonomy_rows(session)
    if not rows:
        return default_taxonomy()
    data = {
        "version": "org-" + _taxonomy_digest(rows),
        "topics": [
            {
                "key": r.key,
                "parent": r.parent_key,
                "name_es": r.name_es,
                "name_en": r.name_en,
                "examples": list(r.examples),
                "keywords": list(r.keywords),
            }
            for r in rows
        ],
    }
    return taxonomy_from_dict(data)


def _taxonomy_digest(rows: Sequence[TaxonomyTopic]) -> str:
    import hashlib

    text = "\n".join(
        f"{r.key}|{r.parent_key}|{r.name_es}|{r.name_en}|{'¦'.join(r.examples)}|{'¦'.join(r.keywords)}" for r in rows
    )
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def analyzer(session: Session) -> Analyzer:
    """The live sentiment model and the topic model of the live taxonomy (cached per process)."""
    sentiment_row = repository.live_model(session, "sentiment")
    topics_row = repository.live_model(session, "topics")
    tax = taxonomy(session)
    key = (
        sentiment_row.version if sentiment_row else "shipped",
        topics_row.version if topics_row else "taxonomy",
        tax.version,
    )
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None:
            return cached
    embedder = default_embedder()
    sentiment = (
        sentiment_lib.SentimentModel.from_bytes(sentiment_row.data) if sentiment_row else sentiment_lib.shipped_model()
    )
    topics = None
    if topics_row is not None:
        learned = TopicModel.from_bytes(topics_row.data, embedder)
        # After a taxonomy edit the corrections of the topics that remain still count.
        topics = learned if learned.taxonomy.version == tax.version else learned.with_taxonomy(tax)
    built = Analyzer(sentiment, topics or TopicModel(tax, embedder), embedder)
    with _cache_lock:
        _cache.clear()  # one generation of models per process
        _cache[key] = built
    return built


# --------------------------------------------------------------------------- analysing


def _topics_text(topics: Sequence[tuple[str, float | None]]) -> str:
    """The analytic copy of a comment's topics: "key:sentiment|key:" (blank when it has none)."""
    return "|".join(f"{key}:{'' if s is None else f'{s:.3f}'}" for key, s in topics)


def analyze_batch(session: Session, items: Sequence[tuple[int, str]], engine: Analyzer) -> int:
    """Analyse these comments and store the results (keeping people's corrections); returns how many."""
    if not items:
        return 0
    ids = [i for i, _ in items]
    annotations = engine.analyze([c for _, c in items])
    existing = repository.analyses(session, ids)
    now = utcnow()
    topic_rows: list[dict[str, Any]] = []
    replaced: list[int] = []
    for (feedback_id, _), a in zip(items, annotations, strict=True):
        row = existing.get(feedback_id)
        if row is None:
            row = FeedbackText(feedback_id=feedback_id, topics_corrected=False)
            session.add(row)
        row.language = a.language
        row.sentiment = a.sentiment
        row.sentiment_score = max(-1.0, min(1.0, a.score))
        row.key_phrases = list(a.key_phrases)
        row.model_version = engine.version
        row.analysed_at = now
        if not row.topics_corrected:
            row.topics = _topics_text([(t.key, t.sentiment) for t in a.topics])
            replaced.append(feedback_id)
            topic_rows += [
                {
                    "feedback_id": feedback_id,
                    "topic_key": t.key,
                    "score": float(t.score),
                    "sentiment": t.sentiment,
                    "terms": list(t.terms),
                }
                for t in a.topics
            ]
    session.flush()
    repository.replace_topics(session, replaced, topic_rows)
    repository.fill_missing_languages(session, {i: a.language for i, a in zip(ids, annotations, strict=True)})
    feedback.mark_changed(session, ids)
    return len(items)


@dataclass
class BackfillResult:
    analysed: int = 0
    version: str = ""
    seconds: float = 0.0
    remaining: int = 0


def analyze_pending(
    sessions: Callable[[], Session],
    *,
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> BackfillResult:
    """Read every comment not yet read by the live models, in committed batches (idempotent, resumable).

    `sessions` makes a session per batch, so a long backfill never holds one transaction; two
    runs at once only repeat work (an upsert keyed by feedback id), never duplicate it.
    """
    import time

    started = time.perf_counter()
    with sessions() as session, session.begin():
        engine = analyzer(session)
        total = repository.count_pending(session, engine.version)
    if limit is not None:
        total = min(total, limit)
    result = BackfillResult(version=engine.version)
    after = 0
    while result.analysed < total:
        try:
            with sessions() as session, session.begin():
                items = repository.pending_comments(
                    session, engine.version, after_id=after, limit=min(BATCH, total - result.analysed)
                )
                if not items:
                    break
                analyze_batch(session, items, engine)
        except IntegrityError:
            # Another worker stored some of these first (PostgreSQL lets two batches overlap): theirs stand.
            log.info("comments after %s were analysed by another worker; going on", after)
        after = items[-1][0]
        result.analysed += len(items)
        if progress is not None:
            progress(result.analysed, total)
    with sessions() as session, session.begin():
        result.remaining = repository.count_pending(session, engine.version)
    result.seconds = time.perf_counter() - started
    return result


# --------------------------------------------------------------------------- what people see and correct


@dataclass(frozen=True)
class TopicView:
    key: str
    name: str
    parent_name: str | None
    score: float
    sentiment: float | None
    terms: tuple[str, ...]


@dataclass
class CommentAnalysis:
    feedback_id: int
    language: str
    sentiment: str
    model_sentiment: str
    score: float
    corrected: bool
    topics_corrected: bool
    topics: list[TopicView] = field(default_factory=list)
    key_phrases: list[str] = field(default_factory=list)
    model_version: str = ""
    analysed_at: datetime | None = None


def analyses_of(session: Session, ids: Sequence[int], locale: str = "es") -> dict[int, CommentAnalysis]:
    """The analyses of these comments, for lists and detail pages (missing ids are not analysed yet)."""
    rows = repository.analyses(session, ids)
    topics = repository.topics_of(session, list(rows))
    tax = taxonomy(session)
    names = {t.key: (t.name_es if locale.startswith("es") else t.name_en) for t in tax.topics}
    parents = {t.key: t.parent for t in tax.topics}
    out: dict[int, CommentAnalysis] = {}
    for feedback_id, row in rows.items():
        out[feedback_id] = CommentAnalysis(
            feedback_id=feedback_id,
            language=row.language,
            sentiment=row.effective_sentiment,
            model_sentiment=row.sentiment,
            score=row.sentiment_score,
            corrected=row.corrected_sentiment is not None,
            topics_corrected=row.topics_corrected,
            topics=[
                TopicView(
                    t.topic_key,
                    names.get(t.topic_key, t.topic_key),
                    names.get(parents.get(t.topic_key) or ""),
                    t.score,
                    t.sentiment,
                    tuple(t.terms),
                )
                for t in topics[feedback_id]
            ],
            key_phrases=list(row.key_phrases),
            model_version=row.model_version,
            analysed_at=row.analysed_at,
        )
    return out


def _correctable(session: Session, principal: Principal, feedback_id: int) -> FeedbackText:
    if principal.role not in CORRECTORS:
        raise Forbidden("your role cannot correct the analysis / su rol no puede corregir el análisis")
    feedback.get_feedback(session, principal, feedback_id)  # 404 outside the principal's scope
    row = repository.analyses(session, [feedback_id]).get(feedback_id)
    if row is None:
        raise NotFound("this comment is not analysed yet / este comentario aún no está analizado")
    return row


def correct_sentiment(session: Session, principal: Principal, feedback_id: int, label: str | None) -> FeedbackText:
    """Set (or, with None, clear) a person's sentiment for a comment."""
    if label is not None and label not in SENTIMENT_LABELS:
        raise ValidationFailed(
            f"sentiment: use one of {', '.join(SENTIMENT_LABELS)} / sentimiento: negative, neutral o positive"
        )
    row = _correctable(session, principal, feedback_id)
    row.corrected_sentiment = label
    row.corrected_by, row.corrected_at = principal.user_id, utcnow()
    feedback.mark_changed(session, [feedback_id])
    return row


def correct_topics(session: Session, principal: Principal, feedback_id: int, keys: Sequence[str]) -> FeedbackText:
    """Set the topics of a comment by hand (an empty list means "other"); the models keep it."""
    row = _correctable(session, principal, feedback_id)
    leaves = {t.key for t in taxonomy(session).leaves()}
    unknown = [k for k in keys if k not in leaves]
    if unknown:
        raise ValidationFailed(f"topics: unknown topic {unknown[0]!r} / tema desconocido {unknown[0]!r}")
    chosen = list(dict.fromkeys(keys))
    old = {t.topic_key: t for t in repository.topics_of(session, [feedback_id])[feedback_id]}
    rows = [
        {
            "feedback_id": feedback_id,
            "topic_key": k,
            "score": old[k].score if k in old else 1.0,
            "sentiment": old[k].sentiment if k in old else None,
            "terms": list(old[k].terms) if k in old else [],
        }
        for k in chosen
    ]
    repository.replace_topics(session, [feedback_id], rows)
    row.topics = "|".join(
        f"{r['topic_key']}:{'' if r['sentiment'] is None else format(r['sentiment'], '.3f')}" for r in rows
    )
    row.topics_corrected = True
    row.corrected_by, row.corrected_at = principal.user_id, utcnow()
    feedback.mark_changed(session, [feedback_id])
    return row


# --------------------------------------------------------------------------- learning


SCORE_KINDS = (("nps", 2), ("csat", 3), ("ces", 4), ("rating", 5))


@dataclass
class RetrainReport:
    kind: str
    examples: int
    held_out: int
    live_version: str
    candidate_version: str
    live: dict[str, float]
    candidate: dict[str, float]
    promoted: bool
    reason: str


def _examples(session: Session, *, limit: int) -> list[tuple[int, sentiment_lib.TrainingExample]]:
    corrections = repository.sentiment_corrections(session)
    corrected = {i for i, _, _ in corrections}
    out = [(i, sentiment_lib.TrainingExample(text, label, 1.0, "correction")) for i, text, label in corrections]  # type: ignore[arg-type]
    for row in repository.scored_comments(session, limit=limit):
        if row[0] in corrected:
            continue
        for kind, index in SCORE_KINDS:
            value = row[index]
            if value is None:
                continue
            found = sentiment_lib.label_from_score("stars" if kind == "rating" else kind, float(value))  # type: ignore[arg-type]
            if found is not None:
                out.append((row[0], sentiment_lib.TrainingExample(row[1], found[0], found[1], "score")))
            break  # one label per comment: its first score
    return out


def _seed_fill(examples: Sequence[sentiment_lib.TrainingExample], per_label: int = 200) -> list[Any]:
    """Seed-corpus examples of the labels an organisation's data lacks (NPS alone gives no neutral one)."""
    present = {e.label for e in examples}
    missing = [label for label in SENTIMENT_LABELS if label not in present]
    fill: list[sentiment_lib.TrainingExample] = []
    for label in missing:
        texts = [t for t, lab in sentiment_lib.seed_corpus() if lab == label][:per_label]
        fill += [sentiment_lib.TrainingExample(t, label, 0.5, "score") for t in texts]  # type: ignore[arg-type]
    return fill


def _scores_dict(s: sentiment_lib.SentimentScores) -> dict[str, float]:
    return {"accuracy": s.accuracy, "macro_f1": s.macro_f1, "auc": s.auc, "n": float(s.n)}


def retrain_sentiment(
    session: Session, *, min_examples: int = 200, limit: int = 20_000, seed: int = 0
) -> RetrainReport:
    """Train a sentiment model on the organisation's labels; it goes live only if it beats the live one
    on a held-out slice of the same labels (the slice never trains the candidate)."""
    examples = _examples(session, limit=limit)
    live_row = repository.live_model(session, "sentiment")
    live = sentiment_lib.SentimentModel.from_bytes(live_row.data) if live_row else sentiment_lib.shipped_model()
    if len(examples) < min_examples:
        return RetrainReport(
            "sentiment",
            len(examples),
            0,
            live.version,
            "",
            {},
            {},
            False,
            f"{len(examples)} labelled comments; at least {min_examples} are needed",
        )
    train_idx, test_idx = sentiment_lib.holdout_split(len(examples), 0.2, seed)
    train_set = [examples[i][1] for i in train_idx]
    test_set = [examples[i][1] for i in test_idx]
    texts = [e.text for e in test_set]
    labels = [e.label for e in test_set]
    vectors = default_embedder().encode([e.text for e in test_set])
    candidate = sentiment_lib.train(train_set + _seed_fill(train_set), seed=seed)
    live_scores = sentiment_lib.evaluate(live, texts, labels, vectors)
    candidate_scores = sentiment_lib.evaluate(candidate, texts, labels, vectors)
    promoted = sentiment_lib.should_replace(live_scores, candidate_scores)
    report = RetrainReport(
        "sentiment",
        len(train_set),
        len(test_set),
        live.version,
        candidate.version,
        _scores_dict(live_scores),
        _scores_dict(candidate_scores),
        promoted,
        "better on the held-out slice" if promoted else "not better on the held-out slice",
    )
    if promoted:
        repository.retire_models(session, "sentiment")
    session.add(
        TextModel(
            kind="sentiment",
            version=candidate.version,
            data=candidate.to_bytes(),
            report=report.__dict__,
            is_live=promoted,
        )
    )
    session.flush()
    return report


def retrain_topics(session: Session) -> RetrainReport:
    """A topic model that knows every correction by staff; live at once (corrections are the truth)."""
    corrections = repository.topic_corrections(session)
    tax = taxonomy(session)
    base = TopicModel(tax, default_embedder())
    if not corrections:
        return RetrainReport("topics", 0, 0, base.version, "", {}, {}, False, "no corrections yet")
    leaves = {t.key for t in tax.leaves()}
    texts = [c for _, c, _ in corrections]
    sets = [[k for k in keys if k in leaves] for _, _, keys in corrections]
    learned = base.learn(texts, sets)
    repository.retire_models(session, "topics")
    session.add(TextModel(kind="topics", version=learned.version, data=learned.to_bytes(), report={}, is_live=True))
    session.flush()
    return RetrainReport("topics", len(texts), 0, base.version, learned.version, {}, {}, True, "corrections learned")


# --------------------------------------------------------------------------- taxonomy editing


def seed_taxonomy(session: Session) -> int:
    """Copy the shipped taxonomy into the organisation's, once (the editor then changes the copy)."""
    if repository.taxonomy_rows(session):
        return 0
    for position, t in enumerate(default_taxonomy().topics):
        session.add(
            TaxonomyTopic(
                key=t.key,
                parent_key=t.parent,
                name_es=t.name_es,
                name_en=t.name_en,
                examples=list(t.examples),
                keywords=list(t.keywords),
                origin="shipped",
                position=position,
            )
        )
    session.flush()
    return len(default_taxonomy().topics)


def _require_editor(principal: Principal) -> None:
    if principal.role not in EDITORS:
        raise Forbidden("only CX managers and admins edit the taxonomy / solo gestión CX y administración")


def save_topic(session: Session, principal: Principal, topic: Topic, *, origin: str = "custom") -> TaxonomyTopic:
    """Create or change one topic; the whole taxonomy is validated first, so nothing invalid is stored."""
    _require_editor(principal)
    seed_taxonomy(session)
    rows = repository.taxonomy_rows(session)
    current = {r.key: r for r in rows}
    proposed = [
        Topic(r.key, r.parent_key, r.name_es, r.name_en, tuple(r.examples), tuple(r.keywords))
        for r in rows
        if r.key != topic.key
    ]
    proposed.append(topic)
    try:
        Taxonomy(tuple(proposed), "check")
    except TaxonomyError as error:
        raise ValidationFailed(str(error)) from error
    row = current.get(topic.key)
    if row is None:
        row = TaxonomyTopic(key=topic.key, origin=origin, position=max((r.position for r in rows), default=0) + 1)
        session.add(row)
    row.parent_key, row.name_es, row.name_en = topic.parent, topic.name_es, topic.name_en
    row.examples, row.keywords = list(topic.examples), list(topic.keywords)
    row.updated_by = principal.user_id
    session.flush()
    return row


def delete_topic(session: Session, principal: Principal, key: str) -> None:
    """Remove a topic with no children; comments that had it are read again by the next analysis."""
    _require_editor(principal)
    seed_taxonomy(session)
    rows = {r.key: r for r in repository.taxonomy_rows(session)}
    if key not in rows:
        raise NotFound(f"topic {key!r} / tema {key!r}")
    children = [r.key for r in rows.values() if r.parent_key == key]
    if children:
        raise ValidationFailed(
            f"{key}: has {len(children)} subtopics; move or remove them first / tiene subtemas: muévalos antes"
        )
    session.delete(rows[key])
    session.flush()


# --------------------------------------------------------------------------- discovery


def discover_themes(session: Session, *, limit: int = 5_000, min_size: int = 10) -> list[DiscoveredTheme]:
    """Look for themes among the newest comments no topic fits; replaces the undecided proposals."""
    rows = repository.unassigned_comments(session, limit=limit)
    for old in repository.themes(session, "proposed"):
        session.delete(old)
    if len(rows) < min_size:
        session.flush()
        return []
    texts = [c for _, c, _ in rows]
    vectors = default_embedder().encode(texts)
    found = discover(texts, vectors, languages=[lang for _, _, lang in rows], min_size=min_size)
    out = []
    for theme in found:
        row = DiscoveredTheme(key_words=list(theme.key_words), examples=list(theme.examples), size=theme.size)
        session.add(row)
        out.append(row)
    session.flush()
    return out


def decide_theme(
    session: Session,
    principal: Principal,
    theme_id: int,
    *,
    accept: bool,
    key: str | None = None,
    parent: str | None = None,
    name_es: str | None = None,
    name_en: str | None = None,
) -> DiscoveredTheme:
    """Accept a theme into the taxonomy as a new topic, or reject it."""
    from pulso.text.analysis.discovery import Theme, theme_to_topic

    _require_editor(principal)
    theme = session.get(DiscoveredTheme, theme_id)
    if theme is None or theme.status != "proposed":
        raise NotFound(f"theme {theme_id} / tema descubierto {theme_id}")
    if accept:
        if not (key and name_es and name_en):
            raise ValidationFailed("key, name_es, name_en: required to accept a theme / obligatorios para aceptar")
        topic = theme_to_topic(
            Theme(tuple(theme.key_words), tuple(theme.examples), theme.size, ()), key, parent, name_es, name_en
        )
        save_topic(session, principal, topic, origin="discovered")
        theme.topic_key = key
    theme.status = "accepted" if accept else "rejected"
    theme.decided_by, theme.decided_at = principal.user_id, utcnow()
    session.flush()
    return theme


# ---- pages


@dataclass(frozen=True)
class TopicQuery:
    """A Topics page's question: the days (the previous period is as long), and the fact filters (the
    role's scope included) as fact column → value."""

    start: date
    end: date
    filters: dict[str, Any] = field(default_factory=dict)

    @property
    def previous(self) -> tuple[date, date]:
        days = (self.end - self.start).days + 1
        return self.start - timedelta(days=days), self.start - timedelta(days=1)


@dataclass
class TopicRow:
    """A topic of the report: a parent (with its children) or a leaf."""

    key: str
    name: str
    parent_key: str | None
    stats: text_logic.TopicStats
    weeks: list[float | None]  # the share of the week's analysed comments that mention it
    children: list[TopicRow] = field(default_factory=list)


@dataclass
class TopicReport:
    query: TopicQuery
    total: text_logic.GroupCounts
    total_before: text_logic.GroupCounts
    overall_nps: text_logic.NpsPoint
    sentiment: list[text_logic.SentimentShare]
    weeks: list[date]
    groups: list[TopicRow]


def _counts(row: Any) -> text_logic.GroupCounts:
    return text_logic.GroupCounts(
        comments=int(row.comments or 0),
        nps=text_logic.NpsCounts(int(row.promoters or 0), int(row.passives or 0), int(row.detractors or 0)),
        sentiment_sum=float(getattr(row, "sentiment_sum", 0.0) or 0.0),
        sentiment_n=int(getattr(row, "sentiment_n", 0) or 0),
    )


def topic_report(runtime: Runtime, query: TopicQuery, *, locale: str = "es") -> TopicReport:
    """The Topics page's numbers: a few aggregate queries on the analytic store (synced first).

    Raises AnalyticStoreBusy (409) when another process holds the store.
    """
    from pulso.analytics import service as analytics

    previous_start, _ = query.previous
    with runtime.sessions() as session, session.begin():
        tax = taxonomy(session)
        store = runtime.analytics
        analytics.sync_store(session, store)
    parents = {t.key: t.parent for t in tax.topics}
    names = {t.key: t.name("es" if locale.startswith("es") else "en") for t in tax.topics}
    window: dict[str, Any] = {"start": previous_start, "end": query.end, "filters": query.filters}
    with store.engine.connect() as conn:
        totals = {r.period: r for r in repository.analysed_totals(conn, split=query.start, **window)}
        counts = repository.topic_counts(conn, split=query.start, parents=parents, **window)
        weekly = repository.topic_weeks(conn, start=query.start, end=query.end, filters=query.filters, parents=parents)
    total = _counts(totals["now"]) if "now" in totals else text_logic.EMPTY
    before = _counts(totals["before"]) if "before" in totals else text_logic.EMPTY
    labels = {label: int(getattr(totals["now"], label) or 0) if "now" in totals else 0 for label in SENTIMENT_LABELS}

    first_week = query.start - timedelta(days=query.start.weekday())
    weeks = [first_week + timedelta(days=7 * i) for i in range((query.end - first_week).days // 7 + 1)]
    analysed_by_week = {r.week: int(r.comments) for r in weekly if r.topic is None}
    mentions_by_week: dict[str, dict[date, int]] = {}
    for r in weekly:
        if r.topic is not None:
            mentions_by_week.setdefault(r.topic, {})[r.week] = int(r.comments)

    def shares(key: str) -> list[float | None]:
        found = mentions_by_week.get(key, {})
        return [found.get(w, 0) / analysed_by_week[w] if analysed_by_week.get(w) else None for w in weeks]

    by_key: dict[tuple[str, str | None], dict[str, text_logic.GroupCounts]] = {}
    for r in counts:
        by_key.setdefault((r.parent, r.topic), {})[r.period] = _counts(r)

    def row(key: str, parent: str | None, periods: dict[str, text_logic.GroupCounts]) -> TopicRow:
        stats = text_logic.topic_stats(
            key, periods.get("now", text_logic.EMPTY), total, periods.get("before", text_logic.EMPTY), before
        )
        return TopicRow(key, names.get(key, key), parent, stats, shares(key))

    groups: dict[str, TopicRow] = {}
    for (parent, topic), periods in by_key.items():
        if topic is None:
            groups[parent] = row(parent, None, periods)
    for (parent, topic), periods in by_key.items():
        if topic is not None and topic != parent and parent in groups:
            groups[parent].children.append(row(topic, parent, periods))
    return TopicReport(
        query=query,
        total=total,
        total_before=before,
        overall_nps=text_logic.nps_point(total.nps),
        sentiment=text_logic.sentiment_shares(labels, SENTIMENT_LABELS),
        weeks=weeks,
        groups=list(groups.values()),
    )


def leaf_keys(session: Session, key: str) -> list[str] | None:
    """The leaf topics a topic filter stands for: a parent's children, or the topic itself; None if unknown.

    A key no longer in the taxonomy still names itself (comments may keep a deleted topic).
    """
    tax = taxonomy(session)
    if key in tax:
        children = [t.key for t in tax.children(key)]
        return [key, *children] if children else [key]
    found = repository.topic_usage(session, [key])
    return [key] if found else None


def taxonomy_usage(session: Session) -> dict[str, int]:
    """How many comments carry each topic now."""
    return repository.topic_usage(session)


def themes_proposed(session: Session) -> list[DiscoveredTheme]:
    return repository.themes(session, "proposed")


@dataclass(frozen=True)
class TaxonomyEntry:
    """A topic as the taxonomy editor lists it."""

    key: str
    parent: str | None
    name_es: str
    name_en: str
    examples: tuple[str, ...]
    keywords: tuple[str, ...]
    origin: str


def taxonomy_entries(session: Session) -> list[TaxonomyEntry]:
    """The organisation's topics in order (the shipped ones before the first edit)."""
    rows = repository.taxonomy_rows(session)
    if rows:
        return [
            TaxonomyEntry(r.key, r.parent_key, r.name_es, r.name_en, tuple(r.examples), tuple(r.keywords), r.origin)
            for r in rows
        ]
    return [
        TaxonomyEntry(t.key, t.parent, t.name_es, t.name_en, t.examples, t.keywords, "shipped")
        for t in default_taxonomy().topics
    ]


def taxonomy_is_edited(session: Session) -> bool:
    """Whether the organisation has its own copy of the taxonomy yet."""
    return bool(repository.taxonomy_rows(session))


# --------------------------------------------------------------------------- distinctive terms per segment


@dataclass(frozen=True)
class GroupTerms:
    group: str
    comments: int
    terms: list[tuple[str, float]]  # (term, z): over-represented against the other groups' comments


def distinctive_terms_by(
    session: Session,
    dimension: str,
    *,
    language: str = "es",
    limit: int = 20_000,
    top: int = 12,
    min_comments: int = 30,
) -> list[GroupTerms]:
    """The words each group's comments use more than the rest (log-odds with an informative prior, z-scores)."""
    from pulso.text.analysis.keyphrases import distinctive_terms

    if dimension not in repository.GROUP_DIMENSIONS:
        names = ", ".join(repository.GROUP_DIMENSIONS)
        raise ValidationFailed(f"by: use one of {names} / use una de {names}")
    if language not in ("es", "en"):
        raise ValidationFailed("language: es or en / idioma: es o en")
    rows = repository.grouped_comments(session, dimension, language, limit=limit)
    by_group: dict[str, list[str]] = {}
    for group, comment in rows:
        by_group.setdefault(group, []).append(comment)
    out = []
    for group, comments in sorted(by_group.items(), key=lambda item: -len(item[1])):
        if len(comments) < min_comments:
            continue
        rest = [c for g, cs in by_group.items() if g != group for c in cs]
        out.append(GroupTerms(group, len(comments), distinctive_terms(comments, rest, language, top=top)))
    return out
