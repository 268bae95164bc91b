from __future__ import annotations

import json
from bisect import bisect_left
from datetime import UTC, date, datetime, timedelta, timezone
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pulso.kit.business_hours import (
    PRESETS,
    BusinessCalendar,
    WeeklyHours,
    add_business_time,
    business_time_between,
    is_open,
    national_holidays,
    next_opening,
    preset_calendar,
)

ZONES = (
    "Europe/Madrid",
    "America/Santiago",
    "America/Mexico_City",
    "America/New_York",
    "Australia/Lord_Howe",
    "UTC",
    "Asia/Kolkata",
)
MADRID = ZoneInfo("Europe/Madrid")
SANTIAGO = ZoneInfo("America/Santiago")
MEXICO = ZoneInfo("America/Mexico_City")
HOUR = timedelta(hours=1)
MICRO = timedelta(microseconds=1)
ALWAYS = WeeklyHours((((0, 1440),),) * 7)


def _transitions(key: str) -> list[datetime]:
    """UTC instants (to the second) at which the zone's offset changed in 2024-2027."""
    zone = ZoneInfo(key)
    found = []
    instant = datetime(2024, 1, 1, tzinfo=UTC)
    offset = instant.astimezone(zone).utcoffset()
    while instant.year < 2028:
        instant += timedelta(hours=6)
        if instant.astimezone(zone).utcoffset() != offset:
            low, high = 0, 6 * 3600  # seconds after the previous step; the offset changes in (low, high]
            while high - low > 1:
                middle = (low + high) // 2
                if (instant - timedelta(seconds=6 * 3600 - middle)).astimezone(zone).utcoffset() == offset:
                    low = middle
                else:
                    high = middle
            found.append(instant - timedelta(seconds=6 * 3600 - high))
            offset = instant.astimezone(zone).utcoffset()
    return found


TRANSITIONS = {key: _transitions(key) for key in ZONES}
ALL_TRANSITIONS = sorted(t for found in TRANSITIONS.values() for t in found)
# Minutes where the zones above jump (00:00, 01:30, 02:00, 02:30, 03:00, 23:00, 24:00) and their neighbours.
EDGE_MINUTES = (0, 30, 60, 90, 120, 135, 150, 180, 210, 240, 1380, 1410, 1440)


# Strategies are built once: building them inside every draw costs more than the arithmetic under test.
DAY_KINDS = st.sampled_from(["closed", "always", "intervals", "intervals"])
CUTS = st.sets(st.one_of(st.integers(0, 1440), st.sampled_from(EDGE_MINUTES)), min_size=2, max_size=6)
ANCHORS = {
    key: st.one_of(
        st.sampled_from(TRANSITIONS[key] or ALL_TRANSITIONS),
        st.sampled_from(TRANSITIONS[key] or ALL_TRANSITIONS),
        st.datetimes(datetime(2024, 1, 1), datetime(2027, 12, 31), timezones=st.just(UTC)),
    )
    for key in ZONES
}
SHIFTS = st.tuples(st.one_of(st.integers(-4 * 1440, 4 * 1440), st.integers(-180, 180)), st.integers(0, 999_999))
FORMS = {key: st.sampled_from([UTC, ZoneInfo(key), timezone(timedelta(hours=-5, minutes=-30))]) for key in ZONES}
HOLIDAY_OFFSETS = st.lists(st.integers(-3, 30), max_size=12)
DURATION_KINDS = st.sampled_from(["zero", "minutes", "microseconds"])
FRACTIONS = st.integers(1, 2**32)

JUMPS = st.sampled_from([(key, jump) for key in ZONES for jump in TRANSITIONS[key]])
NEAR_SHIFTS = st.lists(st.one_of(st.integers(-90, 90), st.none()), min_size=2, max_size=6)
NEAR_HOLIDAYS = st.sets(st.sampled_from([-2, -1, 1, 2]), max_size=1)


def _intervals(cuts: set[int]) -> tuple[tuple[int, int], ...]:
    """Distinct minutes paired up in order: {60, 120, 300} is ((60, 120),)."""
    ordered = sorted(cuts)[: len(cuts) // 2 * 2]
    return tuple(zip(ordered[::2], ordered[1::2], strict=True))


@st.composite
def weekly_hours(draw: st.DrawFn) -> WeeklyHours:
    days: list[tuple[tuple[int, int], ...]] = []
    for _ in range(7):
        kind = draw(DAY_KINDS)
        days.append(() if kind == "closed" else ((0, 1440),) if kind == "always" else _intervals(draw(CUTS)))
    hours = WeeklyHours(tuple(days))
    assume(hours.weekly_minutes > 0)
    return hours


@st.composite
def instants(draw: st.DrawFn, key: str) -> datetime:
    """Mostly within four days of a DST transition (of this zone when it has one), with microseconds."""
    minutes, micros = draw(SHIFTS)
    instant: datetime = draw(ANCHORS[key]) + timedelta(minutes=minutes, microseconds=micros)
    # The same instant in any aware form must give the same answers.
    return instant.astimezone(draw(FORMS[key]))


@st.composite
def calendars_and_starts(draw: st.DrawFn) -> tuple[BusinessCalendar, datetime]:
    key = draw(st.sampled_from(ZONES))
    start = draw(instants(key))
    first_day = start.astimezone(ZoneInfo(key)).date()
    holidays = frozenset(first_day + timedelta(days=offset) for offset in draw(HOLIDAY_OFFSETS))
    return BusinessCalendar(timezone=key, hours=draw(weekly_hours()), holidays=holidays), start


@st.composite
def durations(draw: st.DrawFn, calendar: BusinessCalendar) -> timedelta:
    """Zero, whole minutes or any microsecond count, up to about three weeks of the calendar's open time."""
    top = calendar.hours.weekly_minutes * 3
    kind, fraction = draw(DURATION_KINDS), draw(FRACTIONS)
    if kind == "zero":
        return timedelta(0)
    if kind == "minutes":
        return timedelta(minutes=max(1, top * fraction // 2**32))
    return timedelta(microseconds=max(1, top * 60_000_000 * fraction // 2**32))


def _clock_reading(instant: datetime, key: str) -> datetime:
    """The latest local time the clock has shown by `instant`: its own, or during a repeat the one before it."""
    zone = ZoneInfo(key)
    local = instant.astimezone(zone)
    if local.fold == 0:
        return local.replace(tzinfo=None)
    back = max(jump for jump in TRANSITIONS[key] if jump <= instant)
    return (back - MICRO).astimezone(zone).replace(tzinfo=None)


def _clock_open(instant: datetime, calendar: BusinessCalendar) -> bool:
    """The oracle: open when the latest clock reading falls in an open interval of a working date.

    This is the module's rule restated: a local time maps to the first instant the clock shows it or later.
    """
    reading = _clock_reading(instant, calendar.timezone)
    minute = reading.hour * 60 + reading.minute
    return reading.date() not in calendar.holidays and any(
        start <= minute < end for start, end in calendar.hours.days[reading.weekday()]
    )


@cache
def _readings_around(key: str, jump: datetime) -> tuple[list[datetime], list[datetime]]:
    """Every UTC minute within two days and two hours of a transition, and the latest clock reading at each."""
    zone = ZoneInfo(key)
    minutes = [jump + timedelta(minutes=n) for n in range(-2 * 1440 - 120, 2 * 1440 + 120)]
    latest: list[datetime] = []
    for minute in minutes:
        reading = minute.astimezone(zone).replace(tzinfo=None)
        latest.append(max(reading, latest[-1]) if latest else reading)
    return minutes, latest


def _first_instant_showing(key: str, jump: datetime, wall: datetime) -> datetime:
    """The first instant the clock shows `wall` or later, by search over the readings (independent of the module)."""
    minutes, latest = _readings_around(key, jump)
    index = bisect_left(latest, wall)
    assert 0 < index < len(minutes)
    return minutes[index]


@st.composite
def transition_calendars(draw: st.DrawFn) -> tuple[BusinessCalendar, datetime]:
    """A calendar whose hours on the days of one DST transition start or end near the clock's jump."""
    key, jump = draw(JUMPS)
    zone = ZoneInfo(key)
    hours = list(draw(weekly_hours()).days)
    for reading in ((jump - MICRO).astimezone(zone), jump.astimezone(zone)):
        # the minute the clock jumps from (rounded up) or to, and cuts up to an hour and a half either side
        near = reading.hour * 60 + reading.minute + (1 if reading.second or reading.microsecond else 0)
        cuts = {1440 if shift is None else min(max(near + shift, 0), 1440) for shift in draw(NEAR_SHIFTS)}
        hours[reading.weekday()] = _intervals(cuts)
    assume(sum(end - start for day in hours for start, end in day) > 0)
    around = jump.astimezone(zone).date()
    holidays = {around + timedelta(days=n) for n in draw(NEAR_HOLIDAYS)}
    return BusinessCalendar(timezone=key, hours=WeeklyHours(tuple(hours)), holidays=frozenset(holidays)), jump


def _local(zone: ZoneInfo, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=zone)


# --- properties -----------------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_between_measures_exactly_what_add_added(data: st.DataObject) -> None:
    calendar, start = data.draw(calendars_and_starts())
    duration = data.draw(durations(calendar))
    end = add_business_time(start, duration, calendar)
    assert end.tzinfo is UTC
    assert end >= start
    assert business_time_between(start, end, calendar) == duration  # exact to the microsecond


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_add_is_monotonic_and_composes_from_any_start(data: st.DataObject) -> None:
    calendar, start = data.draw(calendars_and_starts())
    first, second = data.draw(durations(calendar)), data.draw(durations(calendar))
    midway = add_business_time(start, first, calendar)
    total = add_business_time(start, first + second, calendar)
    assert midway <= total
    assert add_business_time(midway, second, calendar) == total


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_between_adds_up_and_never_exceeds_elapsed_time(data: st.DataObject) -> None:
    calendar, a = data.draw(calendars_and_starts())
    step = st.integers(-10 * 86_400_000_000, 10 * 86_400_000_000).map(lambda micros: timedelta(microseconds=micros))
    # aware datetimes add and subtract in wall-clock time within one tzinfo: step in UTC
    b, c = a.astimezone(UTC) + data.draw(step), a.astimezone(UTC) + data.draw(step)
    ab, bc, ac = (business_time_between(x, y, calendar) for x, y in ((a, b), (b, c), (a, c)))
    assert ac == ab + bc
    assert business_time_between(b, a, calendar) == -ab
    assert timedelta(0) <= abs(ab) <= abs(b - a.astimezone(UTC))
    assert (ab < timedelta(0)) <= (b < a)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_a_positive_add_ends_in_open_hours_or_at_their_end(data: st.DataObject) -> None:
    calendar, start = data.draw(calendars_and_starts())
    duration = data.draw(durations(calendar))
    assume(duration > timedelta(0))
    end = add_business_time(start, duration, calendar)
    just_before = end - MICRO
    assert is_open(just_before, calendar)
    local = just_before.astimezone(ZoneInfo(calendar.timezone))
    assert local.date() not in calendar.holidays
    assert calendar.hours.days[local.weekday()]
    assert _clock_open(just_before, calendar)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_is_open_agrees_with_the_clock_reading(data: st.DataObject) -> None:
    calendar, instant = data.draw(calendars_and_starts())
    assert is_open(instant, calendar) == _clock_open(instant, calendar)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_next_opening_is_the_first_open_instant(data: st.DataObject) -> None:
    calendar, instant = data.draw(calendars_and_starts())
    opening = next_opening(instant, calendar)
    assert opening.tzinfo is UTC
    assert opening >= instant
    assert is_open(opening, calendar)
    assert business_time_between(instant, opening, calendar) == timedelta(0)
    assert (opening == instant.astimezone(UTC)) == is_open(instant, calendar)  # == across zones ignores fold=1
    assert add_business_time(instant, MICRO, calendar) == opening + MICRO


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(ZONES), st.data())
def test_always_open_is_plain_elapsed_time_in_every_zone(key: str, data: st.DataObject) -> None:
    calendar = BusinessCalendar(timezone=key, hours=ALWAYS)
    start, other = data.draw(instants(key)), data.draw(instants(key))
    duration = timedelta(microseconds=data.draw(st.integers(0, 20 * 86_400_000_000)))
    assert add_business_time(start, duration, calendar) == start.astimezone(UTC) + duration
    assert business_time_between(start, other, calendar) == other.astimezone(UTC) - start.astimezone(UTC)
    assert is_open(start, calendar)


@settings(max_examples=100, deadline=None)
@given(calendars_and_starts())
def test_a_calendar_survives_json(pair: tuple[BusinessCalendar, datetime]) -> None:
    calendar, _ = pair
    assert BusinessCalendar.from_dict(json.loads(json.dumps(calendar.to_dict()))) == calendar
    assert WeeklyHours.from_dict(calendar.hours.to_dict()) == calendar.hours


@settings(max_examples=200, deadline=None)
@given(transition_calendars(), st.data())
def test_transition_days_count_what_the_clock_shows(
    pair: tuple[BusinessCalendar, datetime], data: st.DataObject
) -> None:
    calendar, jump = pair
    key, zone = calendar.timezone, ZoneInfo(calendar.timezone)
    around = jump.astimezone(zone).date()
    days = [around + timedelta(days=n) for n in range(-1, 2)]
    expected = timedelta(0)
    for day in days:
        if day in calendar.holidays:
            continue
        midnight = datetime(day.year, day.month, day.day)
        for start, end in calendar.hours.days[day.weekday()]:
            opens = _first_instant_showing(key, jump, midnight + timedelta(minutes=start))
            closes = _first_instant_showing(key, jump, midnight + timedelta(minutes=end))
            expected += max(closes - opens, timedelta(0))
    window_start = _first_instant_showing(key, jump, datetime.combine(days[0], datetime.min.time()))
    window_end = _first_instant_showing(key, jump, datetime.combine(days[-1] + timedelta(days=1), datetime.min.time()))
    assert business_time_between(window_start, window_end, calendar) == expected
    instant = jump + timedelta(seconds=data.draw(st.integers(-4 * 3600, 4 * 3600)))
    assert is_open(instant, calendar) == _clock_open(instant, calendar)
    duration = data.draw(durations(calendar))
    assert business_time_between(instant, add_business_time(instant, duration, calendar), calendar) == duration


# --- hand-checked examples ------------------------------------------------------------------------------


def test_madrid_friday_afternoon_rolls_to_monday() -> None:
    spain = preset_calendar("ES", [2026, 2027])
    friday = _local(MADRID, 2026, 12, 4, 17)
    due = add_business_time(friday, 2 * HOUR, spain)
    assert due == _local(MADRID, 2026, 12, 7, 10)
    assert due.tzinfo is UTC
    assert due == datetime(2026, 12, 7, 9, tzinfo=UTC)
    assert business_time_between(friday, due, spain) == 2 * HOUR
    assert add_business_time(friday, HOUR, spain) == _local(MADRID, 2026, 12, 4, 18)  # the close, not Monday


def test_madrid_skips_the_immaculate_conception_and_christmas() -> None:
    assert national_holidays("ES", [2026])[date(2026, 12, 8)] == "Immaculate Conception"
    assert national_holidays("ES", [2026], language="es")[date(2026, 12, 8)] == "Inmaculada Concepción"
    assert national_holidays("ES", [2026])[date(2026, 12, 25)] == "Christmas Day"
    assert national_holidays("ES", [2027])[date(2027, 1, 1)] == "New Year's Day"
    spain = preset_calendar("ES", [2026, 2027])
    assert add_business_time(_local(MADRID, 2026, 12, 7, 17), 2 * HOUR, spain) == _local(MADRID, 2026, 12, 9, 10)
    assert add_business_time(_local(MADRID, 2026, 12, 24, 17), 2 * HOUR, spain) == _local(MADRID, 2026, 12, 28, 10)
    assert add_business_time(_local(MADRID, 2026, 12, 31, 17), 2 * HOUR, spain) == _local(MADRID, 2027, 1, 4, 10)
    # the week of 7 December 2026: Monday, Wednesday, Thursday, Friday
    assert business_time_between(_local(MADRID, 2026, 12, 7), _local(MADRID, 2026, 12, 14), spain) == 36 * HOUR
    assert not is_open(_local(MADRID, 2026, 12, 8, 12), spain)
    assert next_opening(_local(MADRID, 2026, 12, 8, 12), spain) == _local(MADRID, 2026, 12, 9, 9)


def test_mexico_skips_revolution_day_on_its_monday() -> None:
    assert national_holidays("MX", [2026])[date(2026, 11, 16)] == "Revolution Day"
    assert date(2026, 11, 16).weekday() == 0
    saturday = _local(MEXICO, 2026, 11, 14, 13)
    mexico = preset_calendar("MX", [2026])
    assert add_business_time(saturday, 2 * HOUR, mexico) == _local(MEXICO, 2026, 11, 17, 10)
    # the same calendar without 2026's holidays works that Monday
    assert add_business_time(saturday, 2 * HOUR, preset_calendar("MX", [2025])) == _local(MEXICO, 2026, 11, 16, 10)
    assert business_time_between(_local(MEXICO, 2026, 11, 14), _local(MEXICO, 2026, 11, 15), mexico) == 5 * HOUR


def test_santiago_across_its_dst_change() -> None:
    chile = preset_calendar("CL", [2026])
    names = national_holidays("CL", [2026])
    assert names[date(2026, 4, 3)] == "Good Friday"
    assert names[date(2026, 4, 4)] == "Holy Saturday"
    thursday = _local(SANTIAGO, 2026, 4, 2, 17)
    assert thursday.utcoffset() == -3 * HOUR
    due = add_business_time(thursday, 2 * HOUR, chile)
    assert due == _local(SANTIAGO, 2026, 4, 6, 10)
    assert due == datetime(2026, 4, 6, 14, tzinfo=UTC)  # -04:00 since the night of 4 to 5 April
    # Chile's clocks go back at Sunday 00:00: Saturday 23:00-24:00 happens twice, so that day lasts 25 h
    always = BusinessCalendar(timezone="America/Santiago", hours=ALWAYS)
    assert (
        business_time_between(_local(SANTIAGO, 2026, 4, 4, 12), _local(SANTIAGO, 2026, 4, 5, 12), always) == 25 * HOUR
    )
    assert (
        business_time_between(_local(SANTIAGO, 2026, 9, 5, 12), _local(SANTIAGO, 2026, 9, 6, 12), always) == 23 * HOUR
    )
    # 24:00 on Saturday 4 April is Sunday 00:00 (-04:00): 22:00-24:00 that night is three real hours
    late = BusinessCalendar("America/Santiago", WeeklyHours.from_dict({"sat": ["22:00-24:00"]}))
    assert business_time_between(_local(SANTIAGO, 2026, 4, 4), _local(SANTIAGO, 2026, 4, 6), late) == 3 * HOUR
    # Sunday 6 September starts at 01:00 (00:00 does not exist), so 00:00-02:00 is one hour
    early = BusinessCalendar("America/Santiago", WeeklyHours.from_dict({"sun": ["00:00-02:00"]}))
    assert next_opening(_local(SANTIAGO, 2026, 9, 5, 12), early) == datetime(2026, 9, 6, 4, tzinfo=UTC)
    assert business_time_between(_local(SANTIAGO, 2026, 9, 5), _local(SANTIAGO, 2026, 9, 7), early) == HOUR


def test_a_lunch_break_is_not_counted() -> None:
    lunch = BusinessCalendar("UTC", WeeklyHours.from_dict({"mon": ["09:00-14:00", "15:00-18:00"]}))
    monday = datetime(2026, 6, 1, tzinfo=UTC)
    assert add_business_time(monday.replace(hour=13, minute=30), HOUR, lunch) == monday.replace(hour=15, minute=30)
    assert business_time_between(monday.replace(hour=13), monday.replace(hour=16), lunch) == 2 * HOUR
    assert not is_open(monday.replace(hour=14, minute=30), lunch)
    assert is_open(monday.replace(hour=14), lunch) is False  # an interval's end is closed
    assert is_open(monday.replace(hour=15), lunch)  # its start is open
    assert next_opening(monday.replace(hour=14, minute=30), lunch) == monday.replace(hour=15)
    assert next_opening(monday.replace(hour=18), lunch) == datetime(2026, 6, 8, 9, tzinfo=UTC)
    assert add_business_time(monday, 8 * HOUR, lunch) == monday.replace(hour=18)
    assert add_business_time(monday, 8 * HOUR + MICRO, lunch) == datetime(2026, 6, 8, 9, tzinfo=UTC) + MICRO


def test_the_spring_forward_day_lasts_23_hours_and_the_fall_back_day_25() -> None:
    always = BusinessCalendar(timezone="Europe/Madrid", hours=ALWAYS)
    spring, fall = _local(MADRID, 2026, 3, 29), _local(MADRID, 2026, 10, 25)
    assert business_time_between(spring, _local(MADRID, 2026, 3, 30), always) == 23 * HOUR
    assert business_time_between(fall, _local(MADRID, 2026, 10, 26), always) == 25 * HOUR
    assert add_business_time(spring, 23 * HOUR, always) == _local(MADRID, 2026, 3, 30)


def test_a_local_time_in_the_gap_opens_at_the_jump() -> None:
    # Madrid, 29 March 2026: 02:00 CET is followed by 03:00 CEST (01:00 UTC)
    sunday, monday = _local(MADRID, 2026, 3, 29), _local(MADRID, 2026, 3, 30)
    night = BusinessCalendar("Europe/Madrid", WeeklyHours.from_dict({"sun": ["01:00-04:00"]}))
    assert business_time_between(sunday, monday, night) == 2 * HOUR
    from_gap = BusinessCalendar("Europe/Madrid", WeeklyHours.from_dict({"sun": ["02:30-04:00"]}))
    assert next_opening(sunday, from_gap) == datetime(2026, 3, 29, 1, tzinfo=UTC)
    assert business_time_between(sunday, monday, from_gap) == HOUR
    inside_gap = BusinessCalendar("Europe/Madrid", WeeklyHours.from_dict({"sun": ["02:00-02:45"]}))
    assert business_time_between(sunday, monday, inside_gap) == timedelta(0)
    assert next_opening(sunday, inside_gap) == _local(MADRID, 2026, 4, 5, 2)


def test_an_ambiguous_local_time_is_its_first_occurrence() -> None:
    # Madrid, 25 October 2026: 02:00-03:00 happens at 00:00 UTC (CEST) and again at 01:00 UTC (CET)
    sunday, monday = _local(MADRID, 2026, 10, 25), _local(MADRID, 2026, 10, 26)
    night = BusinessCalendar("Europe/Madrid", WeeklyHours.from_dict({"sun": ["01:00-04:00"]}))
    assert business_time_between(sunday, monday, night) == 4 * HOUR
    across = BusinessCalendar("Europe/Madrid", WeeklyHours.from_dict({"sun": ["02:30-03:30"]}))
    assert next_opening(sunday, across) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert business_time_between(sunday, monday, across) == 2 * HOUR
    inside = BusinessCalendar("Europe/Madrid", WeeklyHours.from_dict({"sun": ["02:00-02:30"]}))
    assert business_time_between(sunday, monday, inside) == 30 * timedelta(minutes=1)
    assert is_open(datetime(2026, 10, 25, 0, 15, tzinfo=UTC), inside)  # 02:15 CEST
    assert not is_open(datetime(2026, 10, 25, 1, 15, tzinfo=UTC), inside)  # 02:15 CET, the repeat


def test_zero_duration_returns_the_start_even_when_closed() -> None:
    spain = preset_calendar("ES", [2026])
    saturday = _local(MADRID, 2026, 6, 6, 12)
    assert add_business_time(saturday, timedelta(0), spain) == saturday
    tuesday = _local(MADRID, 2026, 6, 2, 12, 0)
    assert add_business_time(tuesday, timedelta(0), spain) == tuesday


def _working_days(start: date, calendar: BusinessCalendar) -> list[date]:
    return [
        start + timedelta(days=n)
        for n in range(800)
        if (start + timedelta(days=n)).weekday() < 5 and start + timedelta(days=n) not in calendar.holidays
    ]


def test_two_thousand_business_hours_step_by_day() -> None:
    spain = preset_calendar("ES", [2026, 2027])
    start = _local(MADRID, 2026, 1, 5, 9)
    due = add_business_time(start, 2000 * HOUR, spain)
    # 2000 h = 222 days of 9 h and 2 h of the 223rd working day
    last = _working_days(date(2026, 1, 5), spain)[222]
    assert due == _local(MADRID, last.year, last.month, last.day, 11)
    assert business_time_between(start, due, spain) == 2000 * HOUR


def test_a_holiday_heavy_year() -> None:
    # Every Monday to Thursday of 2026 is a holiday: only Fridays are open
    closed = frozenset(date(2026, 1, 1) + timedelta(days=n) for n in range(365))
    fridays_only = frozenset(day for day in closed if day.weekday() < 4)
    calendar = BusinessCalendar("Europe/Madrid", PRESETS["ES"].hours, fridays_only)
    due = add_business_time(_local(MADRID, 2026, 1, 1), 100 * HOUR, calendar)
    fridays = [day for day in sorted(closed) if day.weekday() == 4]
    twelfth = fridays[11]
    assert due == _local(MADRID, twelfth.year, twelfth.month, twelfth.day, 10)  # 11 x 9 h + 1 h
    # past the last holiday Mondays open again
    everything = BusinessCalendar("Europe/Madrid", PRESETS["ES"].hours, closed)
    assert next_opening(_local(MADRID, 2026, 1, 1), everything) == _local(MADRID, 2027, 1, 1, 9)


# --- errors and forms -----------------------------------------------------------------------------------


def test_naive_datetimes_are_refused() -> None:
    spain = preset_calendar("ES", [2026])
    naive = datetime(2026, 6, 1, 10)
    with pytest.raises(ValueError, match="no time zone"):
        add_business_time(naive, HOUR, spain)
    with pytest.raises(ValueError, match="no time zone"):
        business_time_between(datetime(2026, 6, 1, tzinfo=UTC), naive, spain)
    with pytest.raises(ValueError, match="no time zone"):
        is_open(naive, spain)
    with pytest.raises(ValueError, match="no time zone"):
        next_opening(naive, spain)


def test_a_calendar_without_open_hours_is_refused_for_arithmetic() -> None:
    empty = BusinessCalendar("Europe/Madrid", WeeklyHours.from_dict({}))
    instant = datetime(2026, 6, 1, tzinfo=UTC)
    for call in (
        lambda: add_business_time(instant, HOUR, empty),
        lambda: add_business_time(instant, timedelta(0), empty),
        lambda: business_time_between(instant, instant + HOUR, empty),
        lambda: is_open(instant, empty),
        lambda: next_opening(instant, empty),
    ):
        with pytest.raises(ValueError, match="no open hours"):
            call()


def test_a_negative_duration_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_business_time(datetime(2026, 6, 1, tzinfo=UTC), -HOUR, preset_calendar("ES", [2026]))


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"tue": ["9-18"]}, r"'tue' \(Tuesday\): '9-18' is not HH:MM-HH:MM"),
        ({"wed": ["25:00-26:00"]}, r"'wed' \(Wednesday\): '25:00-26:00' is not a time of day"),
        ({"thu": ["09:60-10:00"]}, r"'thu' \(Thursday\): '09:60-10:00'"),
        ({"fri": ["18:00-09:00"]}, r"'fri' \(Friday\): '18:00-09:00' ends before it starts"),
        ({"sat": ["24:00-24:00"]}, r"'sat' \(Saturday\)"),
        ({"sun": ["09:00-12:00", "11:00-13:00"]}, r"'sun' \(Sunday\).*overlap"),
        ({"mon": "09:00-18:00"}, r"'mon' \(Monday\).*not a list"),
        ({"mon": [900]}, r"'mon' \(Monday\): 900"),
        ({"mo": ["09:00-18:00"]}, r"unknown day 'mo'"),
        ({"mon": ["09:00-18:00"], "Mon": ["09:00-10:00"]}, r"'mon' \(Monday\) are given twice"),
    ],
)
def test_bad_hours_text_names_the_day(mapping: dict[str, list[str]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WeeklyHours.from_dict(mapping)


def test_bad_intervals_name_the_weekday() -> None:
    with pytest.raises(ValueError, match="Wednesday"):
        WeeklyHours(((), (), ((540, 1500),), (), (), (), ()))
    with pytest.raises(ValueError, match="Sunday: intervals overlap"):
        WeeklyHours(((), (), (), (), (), (), ((540, 700), (600, 800))))
    with pytest.raises(ValueError, match="7 days"):
        WeeklyHours(((),) * 6)
    with pytest.raises(ValueError, match="Monday: 0 is not an interval"):
        WeeklyHours(((0, 1440),) * 7)  # type: ignore[arg-type]
    assert WeeklyHours([[[540, 1080]], [], [], [], [], [], []]).days[0] == ((540, 1080),)  # type: ignore[arg-type]


def test_hours_forms() -> None:
    hours = WeeklyHours.from_dict({"MON": [" 9:00 - 14:00", "15:00-18:00"], "sun": ["00:00-24:00"]})
    assert hours.days[0] == ((540, 840), (900, 1080))
    assert hours.days[6] == ((0, 1440),)
    assert hours.weekly_minutes == 8 * 60 + 24 * 60
    assert hours.to_dict() == {
        "mon": ["09:00-14:00", "15:00-18:00"],
        "tue": [],
        "wed": [],
        "thu": [],
        "fri": [],
        "sat": [],
        "sun": ["00:00-24:00"],
    }


def test_calendar_forms_and_validation() -> None:
    calendar = BusinessCalendar(
        "America/Bogota", PRESETS["CO"].hours, frozenset({date(2026, 12, 25), date(2026, 1, 1)})
    )
    data = calendar.to_dict()
    assert data["timezone"] == "America/Bogota"
    assert data["holidays"] == ["2026-01-01", "2026-12-25"]
    assert data["hours"]["mon"] == ["08:00-17:00"]
    assert BusinessCalendar.from_dict(data) == calendar
    assert BusinessCalendar.from_dict({"timezone": "UTC", "hours": {}}).holidays == frozenset()
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        BusinessCalendar("Mars/Olympus", ALWAYS)
    with pytest.raises(ValueError, match="time zone"):
        BusinessCalendar("../etc/passwd", ALWAYS)
    with pytest.raises(ValueError, match="'2026-13-01' is not a date"):
        BusinessCalendar.from_dict({"timezone": "UTC", "hours": {}, "holidays": ["2026-13-01"]})
    with pytest.raises(ValueError, match="is not a date"):
        BusinessCalendar("UTC", ALWAYS, frozenset({datetime(2026, 1, 1)}))


def test_presets() -> None:
    assert {code: (p.name, p.timezone) for code, p in PRESETS.items()} == {
        "ES": ("Spain", "Europe/Madrid"),
        "MX": ("Mexico", "America/Mexico_City"),
        "AR": ("Argentina", "America/Argentina/Buenos_Aires"),
        "CO": ("Colombia", "America/Bogota"),
        "CL": ("Chile", "America/Santiago"),
    }
    weekdays_9_18 = {key: ["09:00-18:00"] for key in ("mon", "tue", "wed", "thu", "fri")}
    assert PRESETS["ES"].hours == WeeklyHours.from_dict(weekdays_9_18)
    assert PRESETS["MX"].hours == WeeklyHours.from_dict({**weekdays_9_18, "sat": ["09:00-14:00"]})
    assert PRESETS["CO"].hours.to_dict()["fri"] == ["08:00-17:00"]
    for code in PRESETS:
        calendar = preset_calendar(code.lower(), range(2026, 2028))
        assert calendar.timezone == PRESETS[code].timezone
        assert {day.year for day in calendar.holidays} == {2026, 2027}
        assert date(2026, 12, 25) in calendar.holidays
    assert national_holidays("AR", [2026])[date(2026, 7, 9)] == "Independence Day"
    custom = preset_calendar("CO", [2026], hours=ALWAYS)
    assert custom.hours == ALWAYS
    assert date(2026, 12, 25) in custom.holidays
    with pytest.raises(ValueError, match="valid codes: ES, MX, AR, CO, CL"):
        preset_calendar("PE", [2026])
    with pytest.raises(ValueError, match="valid codes"):
        national_holidays("US", [2026])
