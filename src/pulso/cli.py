"""The `pulso` command: the Typer root, with each domain's commands added to it."""

from __future__ import annotations

import importlib
import logging
import sys
from typing import Annotated

import typer
from rich.console import Console

from pulso.runtime import get_runtime

console = Console(stderr=True)

app = typer.Typer(
    name="pulso",
    help="Pulso — Customer Experience Management. / Gestión de la experiencia del cliente.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

# (module, attribute, name): a Typer sub-app (group) or a plain function (single command).
DOMAIN_COMMANDS = (
    ("pulso.feedback.cli", "import_app", "import"),
    ("pulso.metrics.cli", "kpi", "kpi"),
    ("pulso.accounts.cli", "token_app", "token"),
    ("pulso.accounts.cli", "user_app", "user"),
    ("pulso.analytics.cli", "analytics_app", "analytics"),
    ("pulso.demo.cli", "demo", "demo"),
    ("pulso.bench.cli", "bench", "bench"),
    ("pulso.text.cli", "text_app", "text"),
    ("pulso.notifications.cli", "notifications_app", "notifications"),
    ("pulso.cases.cli", "cases_app", "cases"),
)


@app.command()
def init(
    org_name: Annotated[str, typer.Option("--org", help="Organisation name.")] = "Mi empresa",
    timezone: Annotated[str | None, typer.Option(help="IANA time zone, e.g. America/Mexico_City.")] = None,
    admin_email: Annotated[str, typer.Option(help="E-mail of the first administrator.")] = "admin@localhost",
    admin_name: Annotated[str, typer.Option(help="Name of the first administrator.")] = "Administrador",
) -> None:
    """Create or upgrade the database, the organisation and the first admin. / Crea o actualiza la base de datos."""
    from pulso.accounts import service as accounts
    from pulso.kit.errors import PulsoError

    runtime = get_runtime()
    runtime.migrate()
    try:
        with runtime.sessions() as session, session.begin():
            org = accounts.ensure_organization(session, name=org_name, timezone=timezone or runtime.settings.timezone)
            password = accounts.ensure_first_admin(session, email=admin_email, name=admin_name)
            summary = f"{runtime.settings.resolved_database_url} — {org.name} ({org.timezone})"
    except PulsoError as exc:
        console.print(f"[red]error[/]: {exc.message}")
        raise typer.Exit(2) from exc
    console.print(f"[green]Ready / Listo[/]: {summary}")
    if password is None:
        console.print("An administrator already exists / ya existe un administrador.")
        return
    settings = runtime.settings
    console.print(
        f"First administrator / primer administrador: [bold]{admin_email.strip().lower()}[/]\n"
        "Password, shown only once / contraseña, se muestra una sola vez:"
    )
    console.print(password, markup=False, highlight=False, soft_wrap=True)
    console.print(f"Sign in at / entre en: http://{settings.host}:{settings.port}/login  (uv run pulso serve)")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Serve the web pages and the API. / Sirve las páginas y la API."""
    import uvicorn

    from pulso.app import create_app

    runtime = get_runtime()
    runtime.migrate()
    uvicorn.run(
        create_app(runtime),
        host=host or runtime.settings.host,
        port=port or runtime.settings.port,
        log_level="info",
    )


@app.command()
def worker(
    workers: Annotated[int, typer.Option(help="Worker threads.")] = 3,
) -> None:
    """Run the job queue's consumer. / Ejecuta los trabajos en segundo plano."""
    from huey.consumer import Consumer

    from pulso.worker import CONSUMER_OPTIONS, huey
    from pulso.worker_tasks import load_all_tasks

    load_all_tasks()
    get_runtime().migrate()
    Consumer(huey, workers=workers, worker_type="thread", **CONSUMER_OPTIONS).run()


def _register() -> None:
    for module_name, attribute, name in DOMAIN_COMMANDS:
        target = getattr(importlib.import_module(module_name), attribute)
        if isinstance(target, typer.Typer):
            app.add_typer(target, name=name)
        else:
            app.command(name=name)(target)


_register()


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except KeyboardInterrupt:
        console.print("interrupted / interrumpido")
        sys.exit(130)


if __name__ == "__main__":
    main()
