"""`pulso kpi`: any KPI by time grain and dimension, as a table, JSON or CSV."""

from __future__ import annotations

import csv
import sys
from datetime import date, timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from pulso.kit.errors import PulsoError
from pulso.metrics import service
from pulso.metrics.schemas import KpiPoint, KpiResult
from pulso.runtime import get_runtime

console = Console()
err = Console(stderr=True)


def parse_filters(values: list[str]) -> dict[str, list[str]]:
    """`team=Soporte` and `channel=web,chat` into {dimension: [values]}."""
    filters: dict[str, list[str]] = {}
    for item in values:
        dimension, sep, raw = item.partition("=")
        if not sep or not dimension.strip() or not raw.strip():
            raise typer.BadParameter(f"{item!r}: use dimension=value[,value] / use dimensión=valor")
        filters.setdefault(dimension.strip(), []).extend(v.strip() for v in raw.split(",") if v.strip())
    return filters


def _fmt(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _mark(point: KpiPoint) -> str:
    c = point.comparison
    if c is None or c.difference is None:
        return ""
    arrow = "▲" if c.difference > 0 else "▼" if c.difference < 0 else "="
    text = f"{arrow} {c.difference:+,.1f}"
    if c.p_value is not None:
        text += f" (p={c.p_value:.3f})"
    return f"[bold]{text} *[/]" if c.significant else text


def render_table(result: KpiResult) -> Table:
    k = result.kpi
    table = Table(
        title=f"{k.name_es} / {k.name_en} — {result.start} … {result.end} ({result.timezone})",
        caption=f"{k.unit}; {k.method}; {int(result.confidence * 100)}% CI; "
        f"* = significant change / cambio significativo; ⚠ n < {result.min_n}; "
        f"engine {result.engine}",
    )
    if result.grain:
        table.add_column("period / periodo")
    if result.by:
        table.add_column(f"{result.by}")
    table.add_column("n", justify="right")
    table.add_column("value / valor", justify="right")
    table.add_column("CI / IC", justify="right")
    if k.key in ("first_response_time", "resolution_time"):
        table.add_column("p90", justify="right")
    table.add_column("vs", justify="right")
    for point in [*result.rows, result.total]:
        cells: list[str] = []
        is_total = point is result.total
        if result.grain:
            cells.append("total" if is_total else str(point.period))
        if result.by:
            cells.append("total" if is_total else str(point.label if point.label is not None else "(none)"))
        cells += [
            f"{point.n:,}" + (" ⚠" if point.small_sample else ""),
            _fmt(point.value),
            f"{_fmt(point.low)} – {_fmt(point.high)}",
        ]
        if k.key in ("first_response_time", "resolution_time"):
            cells.append(_fmt(point.p90))
        cells.append(_mark(point))
        table.add_row(*cells, style="bold" if is_total else None)
    return table


def write_csv(result: KpiResult) -> None:
    writer = csv.writer(sys.stdout)
    writer.writerow(
        [
            "kpi",
            "period",
            "group",
            "label",
            "n",
            "value",
            "low",
            "high",
            "p90",
            "small_sample",
            "compared_with",
            "difference",
            "p_value",
            "significant",
        ]
    )
    for point in [*result.rows, result.total]:
        c = point.comparison
        writer.writerow(
            [
                result.kpi.key,
                point.period or "",
                "" if point.group is None else point.group,
                point.label or "",
                point.n,
                point.value,
                point.low,
                point.high,
                point.p90,
                point.small_sample,
                c.against if c else "",
                c.difference if c else "",
                c.p_value if c else "",
                c.significant if c else "",
            ]
        )


def kpi(
    name: Annotated[str, typer.Argument(help=f"KPI: {', '.join(service.KPIS)}")],
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            help="Dimension: channel, touchpoint, stage, team, agent, "
            "product, segment, region, language, source, key_account, category.",
        ),
    ] = None,
    grain: Annotated[str | None, typer.Option(help="day, week, month, quarter or year.")] = None,
    start: Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD); default: 90 days back.")] = None,
    end: Annotated[
        str | None,
        typer.Option("--to", help="Last day, included (YYYY-MM-DD); default: today in the organisation's zone."),
    ] = None,
    filters: Annotated[
        list[str] | None, typer.Option("--filter", "-f", help="dimension=value[,value]; repeat.")
    ] = None,
    compare: Annotated[
        str, typer.Option(help="previous (period or bucket), rest (other groups) or none.")
    ] = "previous",
    min_n: Annotated[int, typer.Option(help="Rows with fewer answers are flagged as small samples.")] = 30,
    only_min_n: Annotated[bool, typer.Option(help="Hide rows below --min-n.")] = False,
    sort: Annotated[str, typer.Option(help="key, value, -value or n.")] = "key",
    limit: Annotated[int | None, typer.Option(help="At most this many rows.")] = None,
    confidence: Annotated[float, typer.Option(help="Confidence level of the intervals.")] = 0.95,
    engine: Annotated[str, typer.Option(help="auto, analytic (DuckDB) or operational (SQL database).")] = "auto",
    output: Annotated[str, typer.Option("--format", help="table, json or csv.")] = "table",
) -> None:
    """Compute a KPI with its confidence interval and significance. / Calcula un KPI con su intervalo."""
    try:
        last = date.fromisoformat(end) if end else service.today(get_runtime())
        first = date.fromisoformat(start) if start else last - timedelta(days=89)
    except ValueError as exc:
        raise typer.BadParameter(f"dates as YYYY-MM-DD / fechas como AAAA-MM-DD: {exc}") from exc
    if output not in ("table", "json", "csv"):
        raise typer.BadParameter("--format: table, json or csv")
    if compare not in ("previous", "rest", "none") or sort not in ("key", "value", "-value", "n"):
        raise typer.BadParameter("--compare: previous|rest|none; --sort: key|value|-value|n")
    if engine not in service.ENGINES:
        raise typer.BadParameter("--engine: auto, analytic or operational")
    query = service.KpiQuery(
        kpi=name,
        start=first,
        end=last,
        grain=grain,
        by=by,
        filters=parse_filters(filters or []),
        compare=compare,  # type: ignore[arg-type]
        confidence=confidence,
        min_n=min_n,
        sort=sort,  # type: ignore[arg-type]
        limit=limit,
        only_min_n=only_min_n,
    )
    try:
        result = service.compute(get_runtime(), query, engine=engine)  # type: ignore[arg-type]
    except PulsoError as exc:
        err.print(f"[red]error[/]: {exc.message}")
        raise typer.Exit(2) from exc
    if output == "json":
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    elif output == "csv":
        write_csv(result)
    else:
        console.print(render_table(result))
