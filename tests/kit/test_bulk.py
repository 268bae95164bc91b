"""The bulk upsert under the imports: counts, untouched equal rows, and CHECK constraints kept."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from pulso.feedback import repository
from pulso.feedback.models import Feedback
from pulso.kit import bulk
from pulso.kit.changes import next_version
from pulso.runtime import Runtime

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _frame(nps: list[int]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "external_id": [f"E{i}" for i in range(len(nps))],
            "received_at": [datetime(2025, 1, 1, 12, tzinfo=UTC)] * len(nps),
            "nps": nps,
        }
    )


def _write(runtime: Runtime, frame: pl.DataFrame) -> bulk.UpsertCounts:
    with runtime.sessions() as session, session.begin():
        return repository.upsert_feedback(
            session, frame, import_id=None, version=next_version(session), now=NOW, source="survey"
        )


def test_counts_inserted_updated_unchanged(runtime: Runtime) -> None:
    assert _write(runtime, _frame([1, 2, 3])) == bulk.UpsertCounts(3, 0, 0)
    assert _write(runtime, _frame([1, 2, 3])) == bulk.UpsertCounts(0, 0, 3)
    assert _write(runtime, _frame([1, 9, 3, 4])) == bulk.UpsertCounts(1, 1, 2)
    with runtime.sessions() as session:
        rows = {f.external_id: (f.nps, f.version, f.extras) for f in session.scalars(select(Feedback))}
    assert rows == {"E0": (1, 1, {}), "E1": (9, 3, {}), "E2": (3, 1, {}), "E3": (4, 3, {})}


def test_verify_checks_refuses_what_the_database_would() -> None:
    with pytest.raises(ValueError, match=r"nps outside 0\.\.10"):
        bulk.verify_checks(_frame([11]), ranges={"nps": (0, 10)})
    with pytest.raises(ValueError, match="channel not one of"):
        bulk.verify_checks(pl.DataFrame({"channel": ["fax"]}), allowed={"channel": ["web"]})


def test_check_constraints_are_back_on_after_a_bulk_write(runtime: Runtime) -> None:
    _write(runtime, _frame([5]))
    with pytest.raises(IntegrityError), runtime.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO feedback (source, external_id, received_at, nps, extras, version, created_at, updated_at)"
                " VALUES ('survey', 'bad', '2025-01-01 00:00:00', 11, '{}', 1, '2025-01-01', '2025-01-01')"
            )
        )
