"""`pulso analytics`: sync, check and rebuild the analytic store."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from pulso.analytics import service
from pulso.kit.errors import PulsoError
from pulso.runtime import get_runtime

analytics_app = typer.Typer(help="The analytic store (DuckDB). / El almacén analítico.", no_args_is_help=True)
console = Console()


def _run(full: bool) -> None:
    runtime = get_runtime()
    runtime.migrate()
    try:
        result = service.sync(runtime, full=full)
    except PulsoError as exc:
        console.print(f"[red]error[/]: {exc.message}")
        raise typer.Exit(2) from exc
    console.print(
        f"versions / versiones {result.from_version} → {result.to_version}: {result.feedback_rows:,} feedback / "
        f"opiniones, {result.interaction_rows:,} interactions / interacciones, {result.deleted:,} deleted / "
        f"borradas, {result.seconds:.2f}s"
    )


@analytics_app.command()
def sync() -> None:
    """Copy the changes since the last sync. / Copia los cambios desde la última sincronización."""
    _run(full=False)


@analytics_app.command()
def rebuild() -> None:
    """Drop the analytic copy and copy everything again. / Reconstruye el almacén analítico."""
    _run(full=True)


@analytics_app.command()
def check() -> None:
    """Compare the analytic store with the operational store. / Compara ambos almacenes."""
    runtime = get_runtime()
    runtime.migrate()
    try:
        report = service.check(runtime)
    except PulsoError as exc:
        console.print(f"[red]error[/]: {exc.message}")
        raise typer.Exit(2) from exc
    table = Table("fact / hecho", "measure / medida", "operational / operacional", "analytic / analítico", "")
    for fact in report.facts:
        for key, value in fact.operational.items():
            other = fact.analytic.get(key)
            table.add_row(
                fact.fact,
                key,
                f"{value:,.0f}",
                "—" if other is None else f"{other:,.0f}",
                "" if other == value else "[red]differs / difiere[/]",
            )
    console.print(table)
    console.print(
        f"versions / versiones: operational / operacional {report.operational_version}, "
        f"analytic / analítico {report.analytic_version}"
    )
    if report.consistent:
        console.print("[green]consistent / consistentes[/]")
        return
    console.print(
        "[red]inconsistent / inconsistentes[/]: run / ejecute `pulso analytics sync` (or / o `pulso analytics rebuild`)"
    )
    raise typer.Exit(1)
