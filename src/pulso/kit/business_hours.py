"""Business-hours calendars: open hours per weekday, holidays, a time zone, and arithmetic on them.

Business time is real elapsed time (UTC, exact to the microsecond) inside the open intervals. Each
local interval of each non-holiday date is turned into a UTC span by converting its two ends with
zoneinfo and one rule for every end: a local time is the first instant at which the clock shows it or
a later time. The rule never reverses order, so spans keep the order of the local intervals and never
overlap. Spelled out:

- a local time that exists once is that instant;
- a local time that does not exist (the spring-forward gap) is the first instant that exists after
  it, the transition itself: a 02:30-04:00 interval on the night Madrid jumps from 02:00 to 03:00
  is open 03:00-04:00, and a 02:00-02:45 interval that night is not open at all;
- an ambiguous local time (the fall-back repeat) is its first occurrence (fold=0): a 01:00-04:00
  interval on that night is open four real hours, a 02:00-02:30 interval only the first 02:00-02:30.

So a local 01:00-04:00 interval lasts 2 h of business time on the spring-forward night and 4 h on the
fall-back one, a 00:00-24:00 day lasts 23 h or 25 h, and a calendar open 00:00-24:00 every day with
no holidays counts exactly the plain elapsed time. `24:00` is the next date's 00:00.

`add_business_time(start, d)` is the earliest instant `t >= start` with `business_time_between(start,
t) == d`. Counting begins at the next opening when `start` is closed; with `d > 0` the result lies in
an open span or exactly at its end (17:00 + 1 h on a 09:00-18:00 day is 18:00 that day, not 09:00 the
next), and a zero duration returns `start` itself even when closed (`next_opening` gives the opening).
This rule makes `business_time_between(s, add_business_time(s, d)) == d` and
`add_business_time(add_business_time(s, d1), d2) == add_business_time(s, d1 + d2)` hold exactly for
every start `s` and every `d, d1, d2 >= 0`.

Holidays are local dates closed all day; dates outside the years a preset was built for are ordinary
days, so build a calendar for every year its deadlines can reach. A calendar with no open minute in
its week is refused by the arithmetic (ValueError) instead of searching forever.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from itertools import pairwise
from types import MappingProxyType
from typing import NamedTuple, TypedDict
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib

DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MINUTES_PER_DAY = 1440

Interval = tuple[int, int]
"""Open minutes of a local day, start inclusive and end exclusive: (540, 1080) is 09:00-18:00."""

_INTERVAL_TEXT = re.compile(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*")


def _minute_text(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _parse_interval(day: int, text: object) -> Interval:
    where = f"hours for {DAY_KEYS[day]!r} ({DAY_NAMES[day]})"
    if not isinstance(text, str):
        raise ValueError(f"{where}: {text!r} is not a text like '09:00-18:00'")
    match = _INTERVAL_TEXT.fullmatch(text)
    if match is None:
        raise ValueError(f"{where}: {text!r} is not HH:MM-HH:MM (like '09:00-18:00')")
    start_h, start_m, end_h, end_m = (int(part) for part in match.groups())
    if start_m > 59 or end_m > 59 or start_h * 60 + start_m >= MINUTES_PER_DAY or end_h * 60 + end_m > MINUTES_PER_DAY:
        raise ValueError(f"{where}: {text!r} is not a time of day between 00:00 and 24:00")
    start, end = start_h * 60 + start_m, end_h * 60 + end_m
    if start >= end:
        raise ValueError(f"{where}: {text!r} ends before it starts")
    return start, end


@dataclass(frozen=True)
class WeeklyHours:
    """Open intervals of each weekday (0 = Monday), in local wall-clock minutes."""

    days: tuple[tuple[Interval, ...], ...]

    def __post_init__(self) -> None:
        if not isinstance(self.days, Sequence) or len(self.days) != 7:
            raise ValueError(f"weekly hours need 7 days (Monday to Sunday), got {self.days!r}")
        for day, intervals in enumerate(self.days):
            if not isinstance(intervals, Sequence):
                raise ValueError(f"{DAY_NAMES[day]}: {intervals!r} is not a sequence of intervals")
            previous_end = 0
            for interval in intervals:
                if (
                    not isinstance(interval, Sequence)
                    or len(interval) != 2
                    or not all(isinstance(v, int) and not isinstance(v, bool) for v in interval)
                    or not 0 <= interval[0] < interval[1] <= MINUTES_PER_DAY
                ):
                    raise ValueError(
                        f"{DAY_NAMES[day]}: {interval!r} is not an interval (start, end) of minutes "
                        f"with 0 <= start < end <= {MINUTES_PER_DAY}"
                    )
                if interval[0] < previous_end:
                    raise ValueError(f"{DAY_NAMES[day]}: intervals overlap or are out of order at {interval!r}")
                previous_end = interval[1]
        # lists given by the caller become tuples, so the hours stay immutable and hashable
        object.__setattr__(self, "days", tuple(tuple((start, end) for start, end in day) for day in self.days))

    @classmethod
    def from_dict(cls, mapping: Mapping[str, Sequence[str]]) -> WeeklyHours:
        """Read `{"mon": ["09:00-14:00", "15:00-18:00"], ...}`; a missing day is closed."""
        days: list[tuple[Interval, ...]] = [() for _ in DAY_KEYS]
        seen: set[int] = set()
        for key, texts in mapping.items():
            day_key = key.strip().lower() if isinstance(key, str) else key
            if day_key not in DAY_KEYS:
                raise ValueError(f"unknown day {key!r} in weekly hours; use {', '.join(DAY_KEYS)}")
            day = DAY_KEYS.index(day_key)
            if day in seen:
                raise ValueError(f"hours for {DAY_KEYS[day]!r} ({DAY_NAMES[day]}) are given twice")
            seen.add(day)
            if isinstance(texts, str) or not isinstance(texts, Sequence):
                raise ValueError(
                    f"hours for {DAY_KEYS[day]!r} ({DAY_NAMES[day]}): {texts!r} is not a list like ['09:00-18:00']"
                )
            intervals = tuple(_parse_interval(day, text) for text in texts)
            for (_, end), (start, _) in pairwise(intervals):
                if start < end:
                    raise ValueError(
                        f"hours for {DAY_KEYS[day]!r} ({DAY_NAMES[day]}): {list(texts)!r} overlap or are out of order"
                    )
            days[day] = intervals
        return cls(tuple(days))

    def to_dict(self) -> dict[str, list[str]]:
        """Every day as a list of 'HH:MM-HH:MM' texts (empty when closed), the form `from_dict` reads."""
        return {
            key: [f"{_minute_text(start)}-{_minute_text(end)}" for start, end in intervals]
            for key, intervals in zip(DAY_KEYS, self.days, strict=True)
        }

    @property
    def weekly_minutes(self) -> int:
        """Open minutes in a week of local wall-clock time."""
        return sum(end - start for intervals in self.days for start, end in intervals)


class CalendarDict(TypedDict):
    """The JSON-able form of a BusinessCalendar."""

    timezone: str
    hours: dict[str, list[str]]
    holidays: list[str]


@dataclass(frozen=True)
class BusinessCalendar:
    """Weekly open hours in a time zone, closed all day on the holidays (local dates)."""

    timezone: str
    hours: WeeklyHours
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        _zone(self.timezone)
        if not isinstance(self.hours, WeeklyHours):
            raise ValueError(f"hours must be WeeklyHours, not {type(self.hours).__name__}")
        days = frozenset(self.holidays)
        for day in days:
            if not isinstance(day, date) or isinstance(day, datetime):
                raise ValueError(f"holiday {day!r} is not a date")
        object.__setattr__(self, "holidays", days)  # a set or list given by the caller becomes frozen

    def to_dict(self) -> CalendarDict:
        """A JSON-able dict (holidays as sorted ISO dates), the form `from_dict` reads."""
        return {
            "timezone": self.timezone,
            "hours": self.hours.to_dict(),
            "holidays": [day.isoformat() for day in sorted(self.holidays)],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> BusinessCalendar:
        """Read the form `to_dict` writes; a missing holidays list means none."""
        timezone, hours, holiday_texts = data.get("timezone"), data.get("hours"), data.get("holidays", [])
        if not isinstance(timezone, str):
            raise ValueError(f"calendar timezone {timezone!r} is not a text")
        if not isinstance(hours, Mapping):
            raise ValueError(f"calendar hours {hours!r} are not a mapping of days")
        if isinstance(holiday_texts, str) or not isinstance(holiday_texts, Sequence):
            raise ValueError(f"calendar holidays {holiday_texts!r} are not a list of dates")
        days: set[date] = set()
        for text in holiday_texts:
            try:
                days.add(date.fromisoformat(text))
            except (TypeError, ValueError):
                raise ValueError(f"calendar holiday {text!r} is not a date like '2026-12-25'") from None
        return cls(timezone=timezone, hours=WeeklyHours.from_dict(hours), holidays=frozenset(days))


def _zone(key: str) -> ZoneInfo:
    if not isinstance(key, str) or not key:
        raise ValueError(f"time zone {key!r} is not an IANA name like 'Europe/Madrid'")
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {key!r}; use an IANA name like 'Europe/Madrid'") from None


def _utc(instant: datetime, what: str) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{what} {instant!r} has no time zone; pass an aware datetime")
    return instant.astimezone(UTC)


def _wall_to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """The instant of a local wall-clock time: the first occurrence, or the end of a gap it falls in."""
    first = wall.replace(tzinfo=zone).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first
    # In a gap fold=0 and fold=1 read the time with the offsets on either side of the jump, which
    # puts the two readings on either side of the transition; find it to the second (tzdata's unit).
    other = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    low, high = min(first, other), max(first, other)
    after = high.astimezone(zone).utcoffset()
    lo, hi = 0, int((high - low).total_seconds())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if (low + timedelta(seconds=mid)).astimezone(zone).utcoffset() == after:
            hi = mid
        else:
            lo = mid
    return low + timedelta(seconds=hi)


@lru_cache(maxsize=8192)
def _day_spans(zone_key: str, day: date, intervals: tuple[Interval, ...]) -> tuple[tuple[datetime, datetime], ...]:
    zone = ZoneInfo(zone_key)
    midnight = datetime(day.year, day.month, day.day)
    spans = []
    for start, end in intervals:
        span = (
            _wall_to_utc(midnight + timedelta(minutes=start), zone),
            _wall_to_utc(midnight + timedelta(minutes=end), zone),
        )
        if span[0] < span[1]:  # an interval wholly inside a spring-forward gap is never open
            spans.append(span)
    return tuple(spans)


def _spans_from(instant: datetime, calendar: BusinessCalendar) -> Iterator[tuple[datetime, datetime]]:
    """Open UTC spans in order, from the local day before `instant`'s on (some may end before it)."""
    # Checked here, before the first span is asked for: with no open minute the search never ends.
    if calendar.hours.weekly_minutes == 0:
        raise ValueError("the calendar has no open hours in its week; business time would never pass")
    return _spans_of_days(instant.astimezone(_zone(calendar.timezone)).date() - timedelta(days=1), calendar)


def _spans_of_days(day: date, calendar: BusinessCalendar) -> Iterator[tuple[datetime, datetime]]:
    while True:
        if day not in calendar.holidays:
            yield from _day_spans(calendar.timezone, day, calendar.hours.days[day.weekday()])
        day += timedelta(days=1)


def add_business_time(start: datetime, duration: timedelta, calendar: BusinessCalendar) -> datetime:
    """The earliest instant (UTC) by which `duration` of business time has passed since `start`."""
    remaining = duration
    if remaining < timedelta(0):
        raise ValueError(f"duration {duration!r} is negative; business time is only added forwards")
    origin = _utc(start, "start")
    spans = _spans_from(origin, calendar)
    if not remaining:
        return origin
    for span_start, span_end in spans:
        if span_end <= origin:
            continue
        begin = max(span_start, origin)
        if remaining <= span_end - begin:
            return begin + remaining
        remaining -= span_end - begin
    raise AssertionError("unreachable: open spans never run out")  # pragma: no cover


def business_time_between(a: datetime, b: datetime, calendar: BusinessCalendar) -> timedelta:
    """Business time from `a` to `b`; negative when `b` is before `a`."""
    a, b = _utc(a, "a"), _utc(b, "b")
    if b < a:
        return -business_time_between(b, a, calendar)
    total = timedelta(0)
    for span_start, span_end in _spans_from(a, calendar):
        if span_start >= b:
            break
        if span_end > a:
            total += min(span_end, b) - max(span_start, a)
    return total


def is_open(instant: datetime, calendar: BusinessCalendar) -> bool:
    """Whether `instant` is inside open hours (an interval's start is open, its end is not)."""
    at = _utc(instant, "instant")
    for span_start, span_end in _spans_from(at, calendar):
        if span_end > at:
            return span_start <= at
    raise AssertionError("unreachable: open spans never run out")  # pragma: no cover


def next_opening(instant: datetime, calendar: BusinessCalendar) -> datetime:
    """The first open instant (UTC) at or after `instant`: itself when open."""
    at = _utc(instant, "instant")
    for span_start, span_end in _spans_from(at, calendar):
        if span_end > at:
            return max(span_start, at)
    raise AssertionError("unreachable: open spans never run out")  # pragma: no cover


class CountryPreset(NamedTuple):
    """A country's usual calendar: its English name, IANA zone and default weekly hours."""

    name: str
    timezone: str
    hours: WeeklyHours


_WEEKDAYS_9_TO_6 = WeeklyHours.from_dict({key: ["09:00-18:00"] for key in DAY_KEYS[:5]})

PRESETS: Mapping[str, CountryPreset] = MappingProxyType(
    {
        "ES": CountryPreset("Spain", "Europe/Madrid", _WEEKDAYS_9_TO_6),
        "MX": CountryPreset(
            "Mexico",
            "America/Mexico_City",
            WeeklyHours.from_dict({**{key: ["09:00-18:00"] for key in DAY_KEYS[:5]}, "sat": ["09:00-14:00"]}),
        ),
        "AR": CountryPreset("Argentina", "America/Argentina/Buenos_Aires", _WEEKDAYS_9_TO_6),
        "CO": CountryPreset(
            "Colombia", "America/Bogota", WeeklyHours.from_dict({key: ["08:00-17:00"] for key in DAY_KEYS[:5]})
        ),
        "CL": CountryPreset("Chile", "America/Santiago", _WEEKDAYS_9_TO_6),
    }
)


def _preset_code(code: str) -> str:
    normal = code.strip().upper() if isinstance(code, str) else code
    if normal not in PRESETS:
        raise ValueError(f"no preset calendar for {code!r}; valid codes: {', '.join(PRESETS)}")
    return normal


def national_holidays(code: str, years: Iterable[int], *, language: str = "en_US") -> dict[date, str]:
    """A preset country's national public holidays in `years`, date → name (English unless `language`)."""
    found = holidays_lib.country_holidays(_preset_code(code), years=sorted(set(years)), language=language)
    return dict(sorted(found.items()))


def preset_calendar(code: str, years: Iterable[int], *, hours: WeeklyHours | None = None) -> BusinessCalendar:
    """A country's calendar with its national holidays of `years` (other years have none)."""
    normal = _preset_code(code)
    preset = PRESETS[normal]
    return BusinessCalendar(
        timezone=preset.timezone,
        hours=preset.hours if hours is None else hours,
        holidays=frozenset(national_holidays(normal, years)),
    )
