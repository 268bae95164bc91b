"""When another process owns the analytic store (a running server), the CLI-side paths degrade clearly."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.orm import Session

from pulso.analytics.store import AnalyticStoreBusy
from pulso.feedback import service as feedback
from pulso.feedback.enums import ImportKind
from pulso.feedback.schemas import ImportOptions
from pulso.metrics import service as metrics
from pulso.runtime import Runtime
from tests.factories import make_feedback, make_org

HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("held", flush=True)
time.sleep(60)
"""


@pytest.fixture
def held_store(runtime: Runtime) -> Iterator[None]:
    """Another process holds the DuckDB file, as `pulso serve` does."""
    path = runtime.settings.resolved_analytics_path
    path.parent.mkdir(parents=True, exist_ok=True)
    runtime.release_analytics()
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "held"
    yield
    holder.kill()
    holder.wait()
    time.sleep(0.1)


def test_kpi_falls_back_to_the_operational_store(runtime: Runtime, session: Session, held_store: None) -> None:
    with session.begin():
        make_org(session)
        make_feedback(session, nps=10, received_at=datetime(2026, 2, 3, tzinfo=UTC))
    query = metrics.KpiQuery("nps", date(2026, 2, 1), date(2026, 2, 28))
    result = metrics.compute(runtime, query)
    assert result.engine.startswith("operational:")
    assert result.total.value == 100.0
    with pytest.raises(AnalyticStoreBusy, match="in use by another process"):
        metrics.compute(runtime, query, engine="analytic")


def test_import_leaves_the_sync_to_the_owner(runtime: Runtime, session: Session, held_store: None) -> None:
    import polars as pl

    with session.begin():
        make_org(session)
    frame = pl.DataFrame({"external_id": ["A"], "received_at": [datetime(2026, 2, 3, tzinfo=UTC)], "nps": [9]})
    report = feedback.import_frame(runtime, frame, ImportOptions(kind=ImportKind.FEEDBACK), name="f")
    assert report.inserted == 1
    assert report.synced is False
