"""Interface languages: gettext catalogues (English msgids, Spanish .po files) and locale-aware formatting.

Each area of the interface keeps its own catalogue file, `web/locale/<lang>/<area>.po`; the files of
a language are compiled in memory at start-up (babel) and merged into one `Translations`. English is
the source language, so it needs no catalogue.
"""

from __future__ import annotations

import io
import math
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES = ("es", "en")
DEFAULT_LOCALE = "es"
LOCALE_NAMES = {"es": "Español", "en": "English"}
LOCALE_DIR = Path(__file__).parent / "locale"


def N_(message: str) -> str:  # noqa: N802 — the gettext convention for "translate later"
    """Marks a constant for extraction; it is translated where it is shown."""
    return message


def normalise_locale(value: str | None) -> str:
    """One of LOCALES: 'es-MX' → 'es', unknown → the default."""
    if not value:
        return DEFAULT_LOCALE
    short = value.replace("_", "-").split("-")[0].strip().lower()
    return short if short in LOCALES else DEFAULT_LOCALE


def catalogue_files(locale: str) -> list[Path]:
    return sorted((LOCALE_DIR / locale).glob("*.po"))


@cache
def translations(locale: str) -> NullTranslations:
    """The merged catalogue of a locale (English: identity)."""
    locale = normalise_locale(locale)
    merged: NullTranslations | None = None
    for path in catalogue_files(locale):
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=locale)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        part = Translations(buffer, domain="messages")
        if merged is None:
            merged = part
        elif isinstance(merged, Translations):
            merged.merge(part)
    return merged if merged is not None else NullTranslations()


def localized_message(message: str, locale: str) -> str:
    """The half of a domain error's 'english / español' message that suits the locale."""
    if " / " not in message:
        return message
    english, spanish = message.rsplit(" / ", 1)
    return spanish if normalise_locale(locale) == "es" else english


def format_number(value: float | int | None, locale: str, digits: int = 1) -> str:
    """A number with the locale's separators (1.234,5 in Spanish); '—' when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return babel_numbers.format_decimal(value, format=pattern, locale=locale)


def format_integer(value: int | float | None, locale: str) -> str:
    return format_number(value, locale, digits=0)


def format_percent(value: float | None, locale: str, digits: int = 1) -> str:
    """A share (0.5) as a percentage in the locale's style ('50,0 %')."""
    if value is None or math.isnan(value):
        return "—"
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "") + " %"
    return babel_numbers.format_percent(value, format=pattern, locale=locale)


def format_date(value: date | datetime | None, locale: str, fmt: str = "medium") -> str:
    if value is None:
        return "—"
    day = value.date() if isinstance(value, datetime) else value
    return babel_dates.format_date(day, format=fmt, locale=locale)


def format_datetime(value: datetime | None, locale: str, timezone: str, fmt: str = "medium") -> str:
    """An instant in the organisation's time zone."""
    if value is None:
        return "—"
    return babel_dates.format_datetime(value, format=fmt, tzinfo=ZoneInfo(timezone), locale=locale)


def local_date(value: datetime, timezone: str) -> date:
    return value.astimezone(ZoneInfo(timezone)).date()


def format_duration(seconds: float | None, locale: str) -> str:
    """A duration such as a response time, in the locale's words ('3 horas')."""
    if seconds is None or math.isnan(seconds):
        return "—"
    return babel_dates.format_timedelta(timedelta(seconds=seconds), threshold=1.5, locale=locale)
