"""Duration histograms and interaction rollups follow the facts: inserts, corrections, deletions, and a
store made before them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from pulso.analytics import service as analytics
from pulso.analytics.facts import DURATION_HISTOGRAMS, INTERACTION_ROLLUPS
from pulso.runtime import Runtime
from tests.factories import make_agent, make_interaction, make_org, make_team

# The histogram rows of each metric, summed over the dimensions, next to the facts they count.
FROM_HISTOGRAM = "SELECT metric, local_day, b, sum(n) FROM {table} GROUP BY ALL ORDER BY ALL"
FROM_FACTS = (
    "SELECT '{metric}', local_day, {bucket}, count(*) FROM interaction_facts WHERE {bucket} IS NOT NULL GROUP BY ALL"
)


def _duck(runtime: Runtime, sql: str) -> list[tuple[object, ...]]:
    return runtime.analytics.cursor().execute(sql).fetchall()


def _expected(runtime: Runtime) -> list[tuple[object, ...]]:
    parts = [
        FROM_FACTS.format(metric="first_response_seconds", bucket="first_response_bucket"),
        FROM_FACTS.format(metric="resolution_seconds", bucket="resolution_bucket"),
    ]
    return _duck(runtime, " UNION ALL ".join(parts) + " ORDER BY ALL")


def _assert_histograms_match_facts(runtime: Runtime) -> None:
    expected = _expected(runtime)
    assert expected  # the test counts something
    for histogram in DURATION_HISTOGRAMS:
        assert _duck(runtime, FROM_HISTOGRAM.format(table=histogram.name)) == expected, histogram.name
    facts = _duck(
        runtime,
        "SELECT local_day, count(*), count(contacts_to_resolve), count(*) FILTER (WHERE contacts_to_resolve = 1) "
        "FROM interaction_facts GROUP BY ALL ORDER BY ALL",
    )
    for rollup in INTERACTION_ROLLUPS:
        rolled = (
            f"SELECT local_day, sum(n_rows), sum(n_fcr), sum(fcr_first) FROM {rollup.name} GROUP BY ALL ORDER BY ALL"
        )
        assert _duck(runtime, rolled) == facts, rollup.name


def test_histograms_follow_inserts_corrections_and_deletions(runtime: Runtime, session: Session) -> None:
    opened = datetime(2026, 3, 2, 15, tzinfo=UTC)
    with session.begin():
        make_org(session, timezone="America/Mexico_City")
        agent = make_agent(session, make_team(session, "Norte"))
        rows = [
            make_interaction(
                session,
                opened_at=opened + timedelta(days=i % 3),
                first_response_at=opened + timedelta(days=i % 3, seconds=seconds),
                resolved_at=None if i % 4 == 0 else opened + timedelta(days=i % 3, hours=i),
                contacts_to_resolve=None if i % 4 == 0 else 1 + i % 2,
                agent_id=agent.id,
                team_id=agent.team_id,
            )
            for i, seconds in enumerate([0, 1, 30, 30, 59, 600, 3600, 86_400, 7, 2])
        ]
    analytics.sync(runtime)
    # A duration's bucket: 32 per doubling of (seconds + 1); 0 s is bucket 0, one day log2(86401) * 32.
    assert _duck(runtime, "SELECT min(first_response_bucket), max(first_response_bucket) FROM interaction_facts") == [
        (0, 524)
    ]
    _assert_histograms_match_facts(runtime)

    with session.begin():
        rows[5].first_response_at = rows[5].opened_at + timedelta(hours=5)  # a corrected time
        rows[6].first_response_at = None
        rows[7].contacts_to_resolve = 1
    analytics.sync(runtime)
    _assert_histograms_match_facts(runtime)
    assert _duck(runtime, "SELECT sum(n) FROM duration_hist_day WHERE metric = 'first_response_seconds'") == [(9,)]

    with session.begin():
        session.delete(rows[1])
    analytics.sync(runtime)
    _assert_histograms_match_facts(runtime)
    assert _duck(runtime, "SELECT sum(n) FROM duration_hist_day WHERE metric = 'first_response_seconds'") == [(8,)]


def test_a_store_made_before_the_histograms_gets_them_from_its_facts(runtime: Runtime, session: Session) -> None:
    opened = datetime(2026, 3, 2, 15, tzinfo=UTC)
    with session.begin():
        make_org(session)
        for minutes in (1, 5, 5, 42):
            make_interaction(session, opened_at=opened, first_response_at=opened + timedelta(minutes=minutes))
    analytics.sync(runtime)
    expected = _expected(runtime)
    store = runtime.analytics
    cur = store.cursor()
    for table in (*DURATION_HISTOGRAMS, *INTERACTION_ROLLUPS):
        cur.execute(f"DROP TABLE {table.name}")
    for column in ("first_response_bucket", "resolution_bucket"):
        cur.execute(f"ALTER TABLE interaction_facts DROP COLUMN {column}")
    store.ensure_schema()
    assert _expected(runtime) == expected
    _assert_histograms_match_facts(runtime)
    # Another bucket width recorded (an older version of Pulso): buckets and histograms are made again.
    store.set_state("duration_buckets", "8")
    cur.execute("UPDATE interaction_facts SET first_response_bucket = 0")
    store.ensure_schema()
    assert _expected(runtime) == expected
    _assert_histograms_match_facts(runtime)
