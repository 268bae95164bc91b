"""An import's batches reach the analytic store while it runs, and land as one consistent sync."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from sqlalchemy.orm import Session

from pulso.analytics import service as analytics
from pulso.feedback import service as feedback
from pulso.feedback.enums import ImportKind
from pulso.feedback.schemas import ImportOptions
from pulso.runtime import Runtime
from tests.factories import make_org


def _frame(n: int, *, nps: int, offset: int = 0) -> pl.DataFrame:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return pl.DataFrame(
        {
            "external_id": [f"E{i}" for i in range(offset, offset + n)],
            "received_at": [start + timedelta(hours=i) for i in range(offset, offset + n)],
            "nps": [nps] * n,
            "source": ["survey"] * n,
        }
    )


@pytest.mark.parametrize("bulk_rows", [1, 1_000_000], ids=["adbc", "cursor"])
def test_import_batches_are_followed(
    runtime: Runtime, session: Session, monkeypatch: pytest.MonkeyPatch, bulk_rows: int
) -> None:
    monkeypatch.setattr(analytics, "BULK_ROWS", bulk_rows)
    with session.begin():
        make_org(session)
    first = feedback.import_frame(
        runtime, _frame(500, nps=9), ImportOptions(kind=ImportKind.FEEDBACK, batch_size=60), name="a"
    )
    assert first.synced
    assert runtime.analytics.counts()["feedback_facts"] == 500
    # E400..E699: 100 corrections (now detractors) and 200 new rows, over many batches.
    frame = pl.concat([_frame(100, nps=2, offset=400), _frame(200, nps=10, offset=500)])
    second = feedback.import_frame(runtime, frame, ImportOptions(kind=ImportKind.FEEDBACK, batch_size=70), name="b")
    assert (second.inserted, second.updated, second.synced) == (200, 100, True)
    cursor = runtime.analytics.cursor()
    assert cursor.execute("SELECT count(*), count(DISTINCT id), sum(nps) FROM feedback_facts").fetchall() == [
        (700, 700, 400 * 9 + 100 * 2 + 200 * 10)
    ]
    assert cursor.execute("SELECT sum(promoters), sum(detractors) FROM rollup_day").fetchall() == [(600, 100)]
    report = analytics.check(runtime)
    assert report.consistent
    assert report.analytic_version == report.operational_version


def test_a_failed_import_leaves_the_analytic_store_as_it_was(runtime: Runtime, session: Session) -> None:
    with session.begin():
        make_org(session)
    feedback.import_frame(runtime, _frame(50, nps=9), ImportOptions(kind=ImportKind.FEEDBACK), name="a")
    before = runtime.analytics.watermark
    follower = analytics.Follower(runtime)

    def failing_import() -> None:
        with follower:
            options = ImportOptions(kind=ImportKind.FEEDBACK, sync_analytics=False)
            feedback.import_frame(runtime, _frame(5, nps=0, offset=50), options, name="b")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        failing_import()
    assert follower.finish() is None  # rolled back: nothing applied
    assert runtime.analytics.watermark == before
    assert runtime.analytics.counts()["feedback_facts"] == 50
    assert analytics.sync(runtime).feedback_rows == 5  # the next sync catches up
    assert analytics.check(runtime).consistent
