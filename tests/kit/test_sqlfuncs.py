"""Local time buckets: weeks start on Monday 00:00 in the organisation's zone, DST included."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pulso.kit.errors import ValidationFailed
from pulso.kit.sqlexpr import checked_grain, checked_timezone
from pulso.kit.sqlfuncs import truncate_local


@pytest.mark.parametrize(
    ("instant", "grain", "tz", "expected"),
    [
        # Sunday 21:00 in Mexico City is Monday 03:00 UTC: still the previous local week.
        (datetime(2026, 3, 2, 3, tzinfo=UTC), "week", "America/Mexico_City", datetime(2026, 2, 23)),
        (datetime(2026, 3, 2, 6, tzinfo=UTC), "week", "America/Mexico_City", datetime(2026, 3, 2)),
        (datetime(2026, 3, 2, 3, tzinfo=UTC), "week", "UTC", datetime(2026, 3, 2)),
        # Madrid moves to summer time on 2026-03-29; 23:30 UTC on the 31st is already April 1st there.
        (datetime(2026, 3, 31, 23, 30, tzinfo=UTC), "month", "Europe/Madrid", datetime(2026, 4, 1)),
        (datetime(2026, 3, 31, 21, 30, tzinfo=UTC), "month", "Europe/Madrid", datetime(2026, 3, 1)),
        (datetime(2026, 5, 17, 12, tzinfo=UTC), "quarter", "UTC", datetime(2026, 4, 1)),
        (datetime(2026, 1, 1, 2, tzinfo=UTC), "year", "America/Bogota", datetime(2025, 1, 1)),
        (datetime(2026, 1, 1, 2, tzinfo=UTC), "day", "America/Bogota", datetime(2025, 12, 31)),
    ],
)
def test_truncate_local(instant: datetime, grain: str, tz: str, expected: datetime) -> None:
    assert truncate_local(instant, grain, tz) == expected


def test_unknown_grain_and_zone_are_refused() -> None:
    with pytest.raises(ValueError, match="grain"):
        truncate_local(datetime(2026, 1, 1, tzinfo=UTC), "fortnight", "UTC")
    with pytest.raises(ValidationFailed):
        checked_grain("fortnight")
    with pytest.raises(ValidationFailed):
        checked_timezone("Mars/Olympus_Mons")
    with pytest.raises(ValidationFailed):
        checked_timezone("UTC'; DROP TABLE feedback; --")
