"""The overview benchmark's pure parts: the seeded plan of varied loads and the timing statistics."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from pulso.bench import logic
from pulso.bench.logic import Choices, Load

CHOICES = Choices(
    today=date(2026, 12, 4),
    first_day=date(2025, 12, 4),
    last_day=date(2026, 12, 3),
    values={
        "channel": ["web", "phone", "chat"],
        "team": ["1", "2"],
        "touchpoint": ["TP-A", "TP-B", "TP-C"],
        "segment": ["Hogar", "Pyme"],
        "product": ["7"],
        "language": ["es", "en"],
    },
)


def test_same_seed_same_plan_other_seed_other_plan() -> None:
    one = logic.plan(CHOICES, loads=80, seed=3)
    assert one == logic.plan(CHOICES, loads=80, seed=3)
    assert one != logic.plan(CHOICES, loads=80, seed=4)
    assert [x.index for x in one] == list(range(80))


def test_first_load_is_the_page_as_first_opened() -> None:
    first = logic.plan(CHOICES, loads=5, seed=9)[0]
    assert (first.fragment, first.period, first.filters, first.grain) == (False, "90d", (), None)
    assert (first.start, first.end) == (date(2026, 9, 6), date(2026, 12, 4))
    assert first.params() == {"period": "90d", "trend": "nps", "table": "nps", "by": "touchpoint", "sort": "-n"}


def test_plan_varies_every_axis() -> None:
    loads = logic.plan(CHOICES, loads=500, seed=1)
    seen: dict[str, set[str]] = {}
    for load in loads:
        for axis, value in load.axes().items():
            seen.setdefault(axis, set()).add(value)
    assert seen["kind"] == {"full", "fragment"}
    assert seen["filters"] == {"0", "1", "2"}
    assert seen["period"] == {*logic.PERIODS, "custom"}
    assert {d for f in seen["filter"] for d in f.split("+")} == {*logic.FILTER_DIMENSIONS, "none"}
    assert seen["trend"] == seen["table"] == set(logic.CARD_KPIS)
    assert seen["by"] == set(logic.BREAKDOWNS)
    assert seen["grain"] == {"auto", *logic.GRAINS}
    assert {x.sort for x in loads} == set(logic.SORTS)


def test_every_load_is_a_view_the_page_accepts() -> None:
    for load in logic.plan(CHOICES, loads=500, seed=2):
        assert len({d for d, _ in load.filters}) == len(load.filters) <= 2
        for dimension, value in load.filters:
            assert value in CHOICES.values[dimension]
        assert not (load.table in logic.INTERACTION_KPIS and load.by in logic.FEEDBACK_ONLY)
        if load.period == "custom":
            assert CHOICES.first_day <= load.start <= load.end <= CHOICES.last_day
            assert 7 <= (load.end - load.start).days + 1 <= 365
            assert (load.params()["from"], load.params()["to"]) == (load.start.isoformat(), load.end.isoformat())
        else:
            assert (load.start, load.end) == logic.preset_range(load.period, CHOICES.today)
            assert "from" not in load.params()


def test_presets_count_days_as_the_page_does() -> None:
    today = date(2026, 3, 15)
    assert logic.preset_range("7d", today) == (date(2026, 3, 9), today)
    assert logic.preset_range("30d", today) == (date(2026, 2, 14), today)
    assert logic.preset_range("90d", today) == (date(2025, 12, 16), today)
    assert logic.preset_range("this_month", today) == (date(2026, 3, 1), today)
    assert logic.preset_range("last_month", today) == (date(2026, 2, 1), date(2026, 2, 28))
    assert logic.preset_range("12m", today) == (date(2025, 3, 16), today)
    with pytest.raises(ValueError, match="unknown period"):
        logic.preset_range("ytd", today)


def test_a_dimension_without_values_is_never_filtered() -> None:
    choices = Choices(CHOICES.today, CHOICES.first_day, CHOICES.last_day, {"channel": ["web"], "team": []})
    loads = logic.plan(choices, loads=100, seed=5)
    assert {d for x in loads for d, _ in x.filters} == {"channel"}


def test_api_stand_in_computes_what_the_page_plans() -> None:
    load = Load(
        1,
        False,
        "custom",
        date(2026, 1, 1),
        date(2026, 3, 31),
        (("language", "es"),),
        "fcr",
        "nps",
        "language",
        "-n",
        None,
    )
    calls = logic.api_requests(load)
    paths = [path for path, _ in calls]
    # Trend and table first; the five other cards; the two lists behind the selects of a full page.
    assert paths[:2] == ["/api/v1/metrics/fcr", "/api/v1/metrics/nps"]
    assert sorted(paths[2:7]) == sorted(f"/api/v1/metrics/{k}" for k in logic.CARD_KPIS if k not in ("fcr", "nps"))
    assert [params["by"] for _, params in calls[7:]] == ["segment", "language"]
    assert calls[0][1]["grain"] == "week"  # 90 days
    assert "language" not in calls[0][1]  # FCR records no language
    assert calls[1][1]["language"] == ["es"]
    assert calls[1][1]["by"] == "language"
    fragment = Load(2, True, "7d", date(2026, 3, 9), date(2026, 3, 15), (), "nps", "nps", "team", "n", "month")
    calls = logic.api_requests(fragment)
    assert len(calls) == 2 + 6
    assert calls[0][1]["grain"] == "month"


def test_auto_grain_follows_the_range() -> None:
    assert logic.auto_grain(date(2026, 1, 1), date(2026, 2, 14)) == "day"
    assert logic.auto_grain(date(2026, 1, 1), date(2026, 2, 15)) == "week"
    assert logic.auto_grain(date(2026, 1, 1), date(2026, 12, 31)) == "month"


@pytest.mark.parametrize("q", [0, 5, 50, 90, 95, 99, 100])
def test_percentile_is_numpys_linear_one(q: float) -> None:
    values = [5.0, 1.0, 9.0, 3.0, 3.0, 12.5, 7.0, 100.0, 0.5, 2.0, 8.0]
    assert logic.percentile(values, q) == pytest.approx(float(np.percentile(values, q)))


def test_percentile_edges() -> None:
    assert logic.percentile([4.0], 95) == 4.0
    assert logic.percentile([1.0, 2.0], 50) == 1.5
    with pytest.raises(ValueError, match="no values"):
        logic.percentile([], 50)
    with pytest.raises(ValueError, match="between 0 and 100"):
        logic.percentile([1.0], 101)


def test_summary_and_grouping_by_axis() -> None:
    loads = logic.plan(CHOICES, loads=6, seed=11)
    times = [10.0, 20.0, 30.0, 40.0, 50.0, 1000.0]
    summary = logic.summarise(times)
    assert (summary.n, summary.median, summary.max, summary.min) == (6, 35.0, 1000.0, 10.0)
    assert summary.p95 == pytest.approx(float(np.percentile(times, 95)))
    groups = logic.by_axis(loads, times)
    assert set(groups) == set(loads[0].axes())
    for per in groups.values():
        assert sum(s.n for s in per.values()) == 6
    full = [t for x, t in zip(loads, times, strict=True) if not x.fragment]
    assert groups["kind"]["full"].n == len(full)
    assert groups["kind"]["full"].median == pytest.approx(float(np.median(full)))
    with pytest.raises(ValueError, match="one time per load"):
        logic.by_axis(loads, times[:-1])
