"""`pulso import feedback|interactions|customers FILE`: imports with a progress bar and a summary."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from pulso.feedback import service
from pulso.feedback.enums import FeedbackSource, ImportKind, ImportStatus
from pulso.feedback.logic import UnusableFile
from pulso.feedback.schemas import ImportOptions, ImportReport
from pulso.runtime import get_runtime

import_app = typer.Typer(
    help="Import feedback, interactions or customers from CSV, JSON Lines, Excel or Parquet. / "
    "Importa opiniones, interacciones o clientes desde CSV, JSON Lines, Excel o Parquet.",
    no_args_is_help=True,
)

console = Console(stderr=True)
out = Console()

EXIT_OK, EXIT_REJECTED, EXIT_UNUSABLE = 0, 1, 2
SHOWN_ERRORS = 20

FileArg = Annotated[
    Path,
    typer.Argument(
        help="CSV/TSV/TXT, JSONL, JSON, XLSX or Parquet file. / Archivo CSV, JSONL, XLSX o Parquet.",
        show_default=False,
    ),
]
MapOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--map",
        help='Column mapping, repeatable: --map "Columna X=nps"; "=ignore" drops a column. / '
        "Asignación de columnas, repetible.",
        show_default=False,
    ),
]
AllOrNothingOpt = Annotated[
    bool,
    typer.Option(
        "--all-or-nothing",
        help="Import nothing if any row is invalid. / No importar nada si alguna fila es inválida.",
    ),
]
EncodingOpt = Annotated[
    str | None,
    typer.Option(
        help="Text encoding (default: UTF-8, else Windows-1252). / Codificación (por defecto se detecta).",
        show_default=False,
    ),
]
SeparatorOpt = Annotated[
    str | None,
    typer.Option(
        help="Separator: ',', ';', 'tab' or '|' (default: sniffed from the header). / Separador (se detecta).",
        show_default=False,
    ),
]
DayFirstOpt = Annotated[
    bool,
    typer.Option(
        "--dayfirst/--monthfirst",
        help="How to read dates with slashes: dd/mm/yyyy or mm/dd/yyyy. / Orden de las fechas con barras.",
    ),
]
SheetOpt = Annotated[
    str | None,
    typer.Option(
        help="Excel sheet (default: the first). / Hoja de Excel (por defecto la primera).", show_default=False
    ),
]
BatchOpt = Annotated[
    int,
    typer.Option(help="Rows per transaction and checkpoint. / Filas por transacción y punto de control.", min=1),
]
NoSyncOpt = Annotated[
    bool,
    typer.Option(
        "--no-sync",
        help="Do not update the analytic store afterwards. / No actualizar el almacén analítico al terminar.",
    ),
]
BackgroundOpt = Annotated[
    bool,
    typer.Option(
        "--background",
        help="Queue the import for `pulso worker` instead of running it now. / Encola la importación.",
    ),
]
ErrorsCsvOpt = Annotated[
    Path | None,
    typer.Option(
        "--errors-csv",
        help="Write every rejected row's errors to this CSV. / Escribe todos los errores en este CSV.",
        show_default=False,
    ),
]


class _RowsPerSecond(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} rows/s" if speed else "— rows/s", style="progress.data.speed")


def _parse_mapping(items: list[str] | None) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for item in items or []:
        column, sep, target = item.rpartition("=")
        if not sep or not column.strip():
            raise UnusableFile(f'--map {item!r}: write it as "Column=field" / escríbalo como "Columna=campo"')
        mapping[column.strip()] = target.strip()
    return mapping


def _run(
    kind: ImportKind,
    path: Path,
    *,
    source: FeedbackSource | str,
    mapping: list[str] | None,
    all_or_nothing: bool,
    encoding: str | None,
    separator: str | None,
    dayfirst: bool,
    sheet: str | None,
    batch_size: int,
    no_sync: bool,
    errors_csv: Path | None,
    interaction_source: str = "import",
    background: bool = False,
) -> None:
    runtime = get_runtime()
    try:
        options = ImportOptions(
            kind=kind,
            mapping=_parse_mapping(mapping),
            all_or_nothing=all_or_nothing,
            encoding=encoding,
            separator=separator,
            dayfirst=dayfirst,
            default_source=source,
            batch_size=batch_size,
            sync_analytics=not no_sync,
            sheet=sheet,
            interaction_source=interaction_source,
        )
        runtime.migrate()
        if background:
            from pulso.feedback.tasks import import_file_job

            job = import_file_job(str(path.resolve()), options)
            out.print(f"queued as job {job.id}; `pulso worker` runs it / en cola; lo ejecuta `pulso worker`")
            return
        with Progress(
            TextColumn("[bold]{task.description}[/]"),
            BarColumn(),
            TaskProgressColumn(),
            MofNCompleteColumn(),
            _RowsPerSecond(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        ) as bar:
            task = bar.add_task(f"{kind}: reading / leyendo", total=None)

            def progress(done: int, total: int) -> None:
                if bar.tasks[0].total is None:
                    # Rows done by an interrupted run do not count towards this run's speed.
                    bar.reset(task, total=total, completed=done, description=str(kind))
                else:
                    bar.update(task, completed=done)

            report = service.import_file(runtime, path, options, progress=progress)
    except UnusableFile as exc:
        console.print(f"[red]Cannot import / No se puede importar:[/] {exc.message}")
        raise typer.Exit(EXIT_UNUSABLE) from None
    _print_report(report)
    if kind is ImportKind.FEEDBACK and (report.inserted or report.updated):
        from pulso.feedback.tasks import feedback_committed

        feedback_committed()  # read by `pulso serve` or `pulso worker`, or now by `pulso text backfill`
    if errors_csv is not None:
        _write_errors(errors_csv, report)
        console.print(f"Errors written to / Errores escritos en: {errors_csv}")
    raise typer.Exit(EXIT_OK if report.rejected == 0 and report.status is ImportStatus.DONE else EXIT_REJECTED)


def _print_report(report: ImportReport) -> None:
    if report.errors:
        table = Table(title="Rejected rows / Filas rechazadas", show_lines=False)
        table.add_column("row / fila", justify="right")
        table.add_column("field / campo")
        table.add_column("reason / motivo")
        for error in report.errors[:SHOWN_ERRORS]:
            table.add_row(str(error.row), error.field or "", error.reason)
        out.print(table)
        if len(report.errors) > SHOWN_ERRORS:
            more = len(report.errors) - SHOWN_ERRORS
            out.print(
                f"… and {more:,} more errors (--errors-csv PATH writes them all) / "
                f"… y {more:,} errores más (--errors-csv los escribe todos)"
            )
    summary = Table(title=f"Import {report.import_id} / Importación {report.import_id}", show_header=False)
    summary.add_column(style="bold")
    summary.add_column(justify="right")
    summary.add_row("status / estado", str(report.status))
    summary.add_row("rows in file / filas en el archivo", f"{report.rows_total:,}")
    if report.resumed_from:
        summary.add_row("resumed at row / reanudada en la fila", f"{report.resumed_from:,}")
    summary.add_row("inserted / insertadas", f"{report.inserted:,}")
    summary.add_row("updated / actualizadas", f"{report.updated:,}")
    summary.add_row("unchanged / sin cambios", f"{report.unchanged:,}")
    summary.add_row("rejected / rechazadas", f"{report.rejected:,}")
    if report.customers_created:
        summary.add_row("customers created / clientes creados", f"{report.customers_created:,}")
    summary.add_row(
        "analytic store / almacén analítico",
        "synced / sincronizado" if report.synced else "not synced / sin sincronizar",
    )
    summary.add_row("seconds / segundos", f"{report.seconds:,.2f}")
    summary.add_row("rows/s / filas/s", f"{report.rows_per_second:,.0f}")
    out.print(summary)
    if report.status is ImportStatus.REJECTED:
        out.print("[red]Nothing was imported (--all-or-nothing) / No se importó nada (--all-or-nothing)[/]")


def _write_errors(path: Path, report: ImportReport) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["row", "field", "reason", "value"])
        for error in report.errors:
            writer.writerow([error.row, error.field or "", error.reason, error.value or ""])


SourceOpt = Annotated[
    FeedbackSource,
    typer.Option(
        help="Source of rows without a source column. / Fuente de las filas sin columna de fuente.",
        case_sensitive=False,
    ),
]


@import_app.command("feedback")
def import_feedback(
    path: FileArg,
    source: SourceOpt = FeedbackSource.IMPORT,
    mapping: MapOpt = None,
    all_or_nothing: AllOrNothingOpt = False,
    encoding: EncodingOpt = None,
    separator: SeparatorOpt = None,
    dayfirst: DayFirstOpt = True,
    sheet: SheetOpt = None,
    batch_size: BatchOpt = 50_000,
    no_sync: NoSyncOpt = False,
    errors_csv: ErrorsCsvOpt = None,
    background: BackgroundOpt = False,
    interaction_source: Annotated[
        str,
        typer.Option(
            help="Source of the interactions the rows name. / Fuente de las interacciones referidas.",
        ),
    ] = "import",
) -> None:
    """Import survey answers, reviews, complaints... (exit 0 all imported, 1 rows rejected, 2 unusable file).
    / Importa opiniones (salida 0 todo importado, 1 filas rechazadas, 2 archivo inutilizable)."""
    _run(
        ImportKind.FEEDBACK,
        path,
        source=source,
        mapping=mapping,
        all_or_nothing=all_or_nothing,
        encoding=encoding,
        separator=separator,
        dayfirst=dayfirst,
        sheet=sheet,
        batch_size=batch_size,
        no_sync=no_sync,
        errors_csv=errors_csv,
        background=background,
        interaction_source=interaction_source,
    )


@import_app.command("interactions")
def import_interactions(
    path: FileArg,
    source: Annotated[
        str, typer.Option(help="Source of rows without a source column. / Fuente por defecto.")
    ] = "import",
    mapping: MapOpt = None,
    all_or_nothing: AllOrNothingOpt = False,
    encoding: EncodingOpt = None,
    separator: SeparatorOpt = None,
    dayfirst: DayFirstOpt = True,
    sheet: SheetOpt = None,
    batch_size: BatchOpt = 50_000,
    no_sync: NoSyncOpt = False,
    errors_csv: ErrorsCsvOpt = None,
    background: BackgroundOpt = False,
) -> None:
    """Import contacts and tickets (exit 0 all imported, 1 rows rejected, 2 unusable file).
    / Importa contactos y tickets (salida 0 todo importado, 1 filas rechazadas, 2 archivo inutilizable)."""
    _run(
        ImportKind.INTERACTIONS,
        path,
        source=source,
        mapping=mapping,
        all_or_nothing=all_or_nothing,
        encoding=encoding,
        separator=separator,
        dayfirst=dayfirst,
        sheet=sheet,
        batch_size=batch_size,
        no_sync=no_sync,
        errors_csv=errors_csv,
        background=background,
    )


@import_app.command("customers")
def import_customers(
    path: FileArg,
    mapping: MapOpt = None,
    all_or_nothing: AllOrNothingOpt = False,
    encoding: EncodingOpt = None,
    separator: SeparatorOpt = None,
    dayfirst: DayFirstOpt = True,
    sheet: SheetOpt = None,
    batch_size: BatchOpt = 50_000,
    no_sync: NoSyncOpt = False,
    errors_csv: ErrorsCsvOpt = None,
    background: BackgroundOpt = False,
) -> None:
    """Import customers; unmapped columns become attributes (exit 0, 1 rows rejected, 2 unusable file).
    / Importa clientes; las demás columnas son atributos (salida 0, 1 filas rechazadas, 2 inutilizable)."""
    _run(
        ImportKind.CUSTOMERS,
        path,
        source=FeedbackSource.IMPORT,
        mapping=mapping,
        all_or_nothing=all_or_nothing,
        encoding=encoding,
        separator=separator,
        dayfirst=dayfirst,
        sheet=sheet,
        batch_size=batch_size,
        no_sync=no_sync,
        errors_csv=errors_csv,
        background=background,
    )
