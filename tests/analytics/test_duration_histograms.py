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


SORTED_FACTS = "SELECT metric, b, x, local_day, team_id FROM duration_facts ORDER BY metric, b, x, local_day, team_id"
FACTS_AS_DURATIONS = " UNION ALL ".join(
    f"SELECT '{m}', {b}, {m}, local_day, team_id FROM interaction_facts WHERE {b} IS NOT NULL"
    for m, b in (("first_response_seconds", "first_response_bucket"), ("resolution_seconds", "resolution_bucket"))
)


def _assert_duration_facts_match(runtime: Runtime) -> None:
    """duration_facts holds each duration once, with its bucket, day and dimensions."""
    assert _duck(runtime, SORTED_FACTS) == _duck(runtime, f"SELECT * FROM ({FACTS_AS_DURATIONS}) ORDER BY ALL")


def _assert_histograms_match_facts(runtime: Runtime) -> None:
    _assert_duration_facts_match(runtime)
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


def test_duration_facts_are_sorted_by_bucket_and_sorted_again_when_syncs_appended_a_tenth(
    runtime: Runtime, session: Session
) -> None:
    opened = datetime(2026, 3, 2, 15, tzinfo=UTC)
    with session.begin():
        make_org(session)
        rows = [
            make_interaction(
                session,
                opened_at=opened + timedelta(days=i % 5),
                first_response_at=opened + timedelta(days=i % 5, seconds=(i * 7919) % 5000),
            )
            for i in range(40)
        ]
    analytics.sync(runtime)
    store = runtime.analytics
    in_storage_order = _duck(runtime, "SELECT metric, b, x FROM duration_facts ORDER BY rowid")
    assert in_storage_order == sorted(in_storage_order)  # the full copy is stored in bucket order
    assert store.state("duration_facts_unsorted") == "0"
    with session.begin():
        for row in rows[0:10:5]:  # a later sync touches one day: its rows are appended after the sorted part
            row.first_response_at = row.opened_at + timedelta(seconds=1)
    analytics.sync(runtime)
    _assert_duration_facts_match(runtime)
    appended = int(store.state("duration_facts_unsorted") or 0)
    assert appended > 0
    assert _duck(runtime, "SELECT metric, b, x FROM duration_facts ORDER BY rowid") != sorted(
        _duck(runtime, "SELECT metric, b, x FROM duration_facts")
    )
    store.ensure_schema()  # as on opening: a tenth or more appended, so sorted anew
    assert store.state("duration_facts_unsorted") == "0"
    again = _duck(runtime, "SELECT metric, b, x FROM duration_facts ORDER BY rowid")
    assert again == sorted(again)
    _assert_duration_facts_match(runtime)
