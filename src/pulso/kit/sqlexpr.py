"""SQL constructs written once and compiled for each engine (SQLite, PostgreSQL, DuckDB)."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Float
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import DateTime

from pulso.kit.errors import ValidationFailed
from pulso.kit.sqlfuncs import GRAINS

_TZ_PATTERN = re.compile(r"^[A-Za-z0-9_+\-/]+$")


def checked_timezone(name: str) -> str:
    """An IANA zone name, verified: it is rendered into SQL, so only known names pass."""
    if not _TZ_PATTERN.match(name):
        raise ValidationFailed(f"timezone: {name!r} is not a time zone name / no es una zona horaria")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationFailed(f"timezone: unknown zone {name!r} / zona desconocida") from exc
    return name


def checked_grain(grain: str) -> str:
    if grain not in GRAINS:
        raise ValidationFailed(f"grain: {grain!r} is not one of {', '.join(GRAINS)} / granularidad no válida")
    return grain


class local_trunc(FunctionElement[Any]):  # noqa: N801 - reads as a SQL function
    """Start of the day/week/month/quarter/year holding a UTC timestamp, in an IANA time zone.

    The result is the local wall-clock time (no zone). Grain and zone are validated and rendered as
    literals, so GROUP BY sees one expression on every engine.
    """

    type = DateTime()
    # Grain and zone live on the element, not in bind parameters: never reuse a cached compilation.
    inherit_cache = False
    name = "local_trunc"

    def __init__(self, expr: ColumnElement[Any], grain: str, tz: str) -> None:
        self.grain = checked_grain(grain)
        self.tz = checked_timezone(tz)
        super().__init__(expr)


def _arg(element: local_trunc, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(next(iter(element.clauses)), **kw)


@compiles(local_trunc, "sqlite")
def _local_trunc_sqlite(element: local_trunc, compiler: SQLCompiler, **kw: Any) -> str:
    return f"pulso_local_trunc({_arg(element, compiler, **kw)}, '{element.grain}', '{element.tz}')"


@compiles(local_trunc, "postgresql")
def _local_trunc_pg(element: local_trunc, compiler: SQLCompiler, **kw: Any) -> str:
    return f"date_trunc('{element.grain}', ({_arg(element, compiler, **kw)}) AT TIME ZONE '{element.tz}')"


@compiles(local_trunc, "duckdb")
def _local_trunc_duckdb(element: local_trunc, compiler: SQLCompiler, **kw: Any) -> str:
    return f"date_trunc('{element.grain}', timezone('{element.tz}', {_arg(element, compiler, **kw)}))"


class trunc_date(FunctionElement[Any]):  # noqa: N801
    """date_trunc of a DATE column (already local) to a validated grain."""

    type = DateTime()
    inherit_cache = False
    name = "trunc_date"

    def __init__(self, expr: ColumnElement[Any], grain: str) -> None:
        self.grain = checked_grain(grain)
        super().__init__(expr)


@compiles(trunc_date)
def _trunc_date(element: trunc_date, compiler: SQLCompiler, **kw: Any) -> str:
    arg = compiler.process(next(iter(element.clauses)), **kw)
    return f"CAST(date_trunc('{element.grain}', {arg}) AS TIMESTAMP)"


class epoch_seconds(FunctionElement[Any]):  # noqa: N801
    """Seconds since 1970 of a timestamp, for durations between two timestamps."""

    type = Float()
    inherit_cache = True
    name = "epoch_seconds"


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    # Built-in arithmetic (no registered function), so any SQLite client, ADBC included, can run it.
    # julianday carries ~20 µs of float error at today's dates; rounding to the millisecond removes it.
    return f"round((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0, 3)"


@compiles(epoch_seconds)
def _epoch_default(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    return f"extract(epoch FROM {compiler.process(element.clauses, **kw)})"


class quantile(FunctionElement[Any]):  # noqa: N801
    """The discrete q-quantile of a column (the smallest value with at least q of the values at or below it)."""

    type = Float()
    inherit_cache = False  # q lives on the element
    name = "quantile"

    def __init__(self, column: Any, q: float) -> None:
        if not 0 < q < 1:
            raise ValueError("q must lie strictly between 0 and 1")
        self.q = float(q)
        super().__init__(column)


@compiles(quantile, "sqlite")
def _quantile_sqlite(element: quantile, compiler: SQLCompiler, **kw: Any) -> str:
    return f"pulso_quantile({compiler.process(element.clauses, **kw)}, {element.q!r})"


@compiles(quantile)
def _quantile_default(element: quantile, compiler: SQLCompiler, **kw: Any) -> str:
    return f"percentile_disc({element.q!r}) WITHIN GROUP (ORDER BY {compiler.process(element.clauses, **kw)})"
