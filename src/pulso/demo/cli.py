"""`pulso demo`: build Casa Nova (or find it already built), say how to sign in, and serve it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from pulso.config import Settings
from pulso.demo import company
from pulso.demo.generator import MAX_SIZE
from pulso.demo.service import (
    DemoMarker,
    DemoSummary,
    build_demo,
    new_token,
    read_marker,
    store_is_empty,
    write_marker,
)
from pulso.kit.db import utcnow
from pulso.runtime import Runtime, get_runtime, set_runtime


def _out() -> Console:
    return Console()


def _err() -> Console:
    return Console(stderr=True)


STEP_LABELS = {
    "generate": "Generando datos / generating data",
    "comments": "Redactando comentarios / writing comments",
    "organisation": "Organización, equipos y viaje / organisation, teams, journey",
    "customers": "Importando clientes / importing customers",
    "interactions": "Importando interacciones / importing interactions",
    "feedback": "Importando opiniones / importing feedback",
    "text": "Analizando comentarios / analysing comments",
    "cases": "Abriendo y trabajando casos / opening and working cases",
}
# Files of the embedded stores that --rebuild may remove (nothing else in the data dir is touched).
_STORE_FILES = ("pulso.db", "pulso.db-wal", "pulso.db-shm", "analytics.duckdb", "analytics.duckdb.wal", "demo.json")


def demo(
    size: Annotated[
        int,
        typer.Option(
            min=100,
            max=MAX_SIZE,
            help="Feedback rows over twelve months (up to 10 million). / Opiniones en doce meses.",
        ),
    ] = 50_000,
    seed: Annotated[int, typer.Option(help="Same seed, same company. / Misma semilla, misma empresa.")] = 7,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the app when ready. / Servir la aplicación al terminar.")
    ] = True,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir", help="Where to keep the demo (default: the settings' data_dir). / Carpeta de la demo."
        ),
    ] = None,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Replace the demo already in the data dir. / Reconstruir la demo.")
    ] = False,
) -> None:
    """Build the demo company Casa Nova and serve it. / Crea la empresa de demostración y la sirve."""
    runtime = _runtime(data_dir)
    settings = runtime.settings
    if rebuild:
        runtime = _wipe(runtime)
    runtime.migrate()

    marker = read_marker(settings.data_dir)
    if marker is not None and marker.same_as(size, seed) and not store_is_empty(runtime):
        token = new_token(runtime)
        _print_ready(settings, marker=marker, token=token, data_dir=data_dir)
    else:
        if not store_is_empty(runtime):
            what = (
                f"a demo of --size {marker.size} --seed {marker.seed} / una demo de otro tamaño o semilla"
                if marker is not None
                else "other data / otros datos"
            )
            _err().print(
                f"[red]{settings.data_dir} already holds {what}.[/]\n"
                "Add --rebuild to replace it, or choose another --data-dir. / "
                "Añada --rebuild para reemplazarla, o elija otra --data-dir."
            )
            raise typer.Exit(1)
        summary = _build(runtime, size=size, seed=seed)
        write_marker(settings.data_dir, summary, now=utcnow())
        _print_ready(settings, summary=summary, token=summary.api_token, data_dir=data_dir)

    if serve:
        import uvicorn

        from pulso.app import create_app

        mailbox = None
        if settings.smtp_host is None:
            # No SMTP server configured: the demo's own mailbox receives the cases' e-mails.
            from pulso.demo.mailbox import Mailbox

            mailbox = Mailbox(settings.data_dir / "mail").start()
            runtime.close()
            runtime = Runtime(settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": mailbox.port}))
            set_runtime(runtime)
            _out().print(f"Correos / E-mails: {mailbox.folder} (.eml)")
        try:
            uvicorn.run(create_app(runtime), host=settings.host, port=settings.port, log_level="info")
        finally:
            if mailbox is not None:
                mailbox.stop()


def _runtime(data_dir: Path | None) -> Runtime:
    if data_dir is None:
        return get_runtime()
    runtime = Runtime(Settings(data_dir=data_dir))
    set_runtime(runtime)
    return runtime


def _wipe(runtime: Runtime) -> Runtime:
    """Remove the embedded stores of the data dir and return a fresh runtime on it."""
    settings = runtime.settings
    folder = settings.data_dir.resolve()
    database = settings.resolved_database_url
    if not (database.startswith("sqlite:///") and Path(database.removeprefix("sqlite:///")).parent == folder):
        _err().print(
            "[red]--rebuild only removes the embedded stores of the data dir; the database "
            f"{database.split('@')[-1]} must be emptied by hand.[/] / "
            "--rebuild solo borra los almacenes incrustados; vacíe esa base de datos a mano."
        )
        raise typer.Exit(1)
    runtime.close()
    for name in _STORE_FILES:
        (folder / name).unlink(missing_ok=True)
    fresh = Runtime(settings)
    set_runtime(fresh)
    return fresh


def _build(runtime: Runtime, *, size: int, seed: int) -> DemoSummary:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    tasks: dict[str, TaskID] = {}
    with Progress(*columns, console=_err(), transient=False) as bar:

        def progress(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = bar.add_task(STEP_LABELS.get(step, step), total=total)
            bar.update(tasks[step], completed=done, total=total)

        _err().print(
            f"Construyendo {company.ORG_NAME} con {size:,} opiniones (semilla {seed}) / "
            f"building {company.ORG_NAME} with {size:,} feedback rows (seed {seed})"
        )
        summary = build_demo(runtime, size=size, seed=seed, now=utcnow(), progress=progress)
    if summary.rejected:
        _err().print(f"[yellow]{summary.rejected} rows were rejected / filas rechazadas[/]")
    return summary


def _env_prefix(data_dir: Path | None) -> str:
    return f"PULSO_DATA_DIR={data_dir} " if data_dir is not None else ""


def _print_ready(
    settings: Settings,
    *,
    token: str,
    data_dir: Path | None,
    summary: DemoSummary | None = None,
    marker: DemoMarker | None = None,
) -> None:
    base = f"http://{settings.host}:{settings.port}"
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    if summary is not None:
        grid.add_row("Periodo / Period", f"{summary.start} → {summary.end} ({summary.timezone})")
        grid.add_row("Opiniones / Feedback", f"{summary.feedback:,}")
        grid.add_row("Interacciones / Interactions", f"{summary.interactions:,}")
        grid.add_row("Clientes / Customers", f"{summary.customers:,}")
        grid.add_row("Casos / Cases", f"{summary.cases:,}")
        grid.add_row(
            "Organización / Organisation",
            f"{summary.teams} equipos / teams, {summary.users} usuarios / users, "
            f"{summary.products} productos / products",
        )
        grid.add_row(
            "Viaje / Journey",
            f"{summary.stages} etapas / stages, {summary.touchpoints} puntos de contacto / touchpoints",
        )
        grid.add_row("Construida en / Built in", f"{summary.seconds:.0f} s")
    elif marker is not None:
        grid.add_row("Periodo / Period", f"{marker.start} → {marker.end}")
        grid.add_row("Demo", f"--size {marker.size} --seed {marker.seed}, construida / built {marker.built_at}")
    grid.add_row("", "")
    grid.add_row("Abra / Open", f"[link={base}/]{base}/[/link]")
    grid.add_row("API", f"[link={base}/api/v1/docs]{base}/api/v1/docs[/link]")
    grid.add_row("Usuario / User", company.ADMIN_EMAIL)
    if summary is not None:
        grid.add_row(
            "Contraseña / Password",
            f"[bold yellow]{summary.admin_password}[/]  (se muestra una sola vez / shown only once)",
        )
    else:
        grid.add_row(
            "Contraseña / Password",
            "se mostró al construir la demo; para una nueva / printed when the demo was built; for a new one: "
            f"{_env_prefix(data_dir)}uv run pulso user reset-password {company.ADMIN_EMAIL} "
            "(--rebuild: una demo nueva / a new demo)",
        )
    console = _out()
    console.print(Panel(grid, title=f"{company.ORG_NAME} — demo de Pulso / Pulso demo", border_style="green"))
    # The token and the commands go outside the panel, unwrapped, so that they can be copied as they are.
    env = _env_prefix(data_dir)
    console.print("Token de API nuevo / new API token: ", style="bold", end="")
    console.print(token, soft_wrap=True, markup=False)
    console.print("Pruebe / Try:", style="bold")
    console.print(f"  {env}uv run pulso kpi nps --by touchpoint --grain month", soft_wrap=True, markup=False)
    console.print(
        f'  curl -H "Authorization: Bearer {token}" "{base}/api/v1/metrics/nps?by=team"',
        soft_wrap=True,
        markup=False,
    )
