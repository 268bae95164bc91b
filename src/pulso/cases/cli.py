"""`pulso cases rules|backtest|run|clocks`: the closed loop from the command line."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from pulso.accounts.enums import Role
from pulso.accounts.schemas import Principal

cases_app = typer.Typer(
    help="Follow-up cases: rules, back-tests, the SLA clock. / Casos de seguimiento: reglas, SLA.",
    no_args_is_help=True,
)
console = Console()

# The command line acts with a CX manager's rights, as the person who runs the installation.
OPERATOR = Principal(role=Role.CX_MANAGER)


@cases_app.command("rules")
def list_rules() -> None:
    """List the rules in the order they are tried. / Lista las reglas en el orden en que se prueban."""
    from pulso.cases import service
    from pulso.runtime import get_runtime

    runtime = get_runtime()
    runtime.migrate()
    with runtime.sessions() as session, session.begin():
        counts = service.rule_case_counts(session)
        table = Table("id", "position", "name", "active", "priority", "condition", "cases")
        for rule in service.rules(session):
            table.add_row(
                str(rule.id),
                str(rule.position),
                rule.name,
                "yes" if rule.is_active else "no",
                rule.priority.value,
                json.dumps(rule.condition, ensure_ascii=False),
                str(counts.get(rule.id, 0)),
            )
    console.print(table)


@cases_app.command()
def backtest(
    rule: Annotated[int | None, typer.Option(help="A saved rule's id.")] = None,
    condition: Annotated[
        str | None, typer.Option(help='A condition as JSON, e.g. {"field":"nps","op":"lte","value":6}.')
    ] = None,
    days: Annotated[int, typer.Option(min=1, max=3660, help="How far back.")] = 30,
) -> None:
    """How many cases a rule would have opened over past feedback. / Cuántos casos habría abierto una regla."""
    from pulso.cases import service
    from pulso.kit.db import utcnow
    from pulso.kit.errors import PulsoError
    from pulso.runtime import get_runtime

    if (rule is None) == (condition is None):
        console.print("[red]error[/]: give --rule or --condition / indica --rule o --condition")
        raise typer.Exit(2)
    runtime = get_runtime()
    runtime.migrate()
    end = utcnow()
    try:
        with runtime.sessions() as session, session.begin():
            data = service.get_rule(session, rule).condition if rule is not None else json.loads(condition or "")
            result = service.backtest(session, OPERATOR, data, start=end - timedelta(days=days), end=end)
    except json.JSONDecodeError as exc:
        console.print(f"[red]error[/]: --condition is not JSON: {exc}")
        raise typer.Exit(2) from None
    except PulsoError as exc:
        console.print(f"[red]error[/]: {exc.message}")
        raise typer.Exit(2) from None
    console.print(f"{result.matched:,} cases in the last {days} days / casos en los últimos {days} días")
    for week, n in result.weeks:
        console.print(f"  {week:%Y-%m-%d}  {n:>7,}")


@cases_app.command()
def run() -> None:
    """Run the rules over the feedback they have not read yet. / Ejecuta las reglas sobre lo nuevo."""
    from pulso.cases import service
    from pulso.kit.db import utcnow
    from pulso.runtime import get_runtime

    runtime = get_runtime()
    runtime.migrate()
    opened = read = deferred = 0
    while True:
        with runtime.sessions() as session, session.begin():
            result = service.run_rules(session, now=utcnow(), text_analysis=runtime.settings.text_analysis)
        opened += len(result.opened)
        read += result.read
        deferred += result.deferred
        if not result.remaining:
            break
    console.print(f"{read:,} feedback read, {opened:,} cases opened, {deferred:,} waiting for their text analysis")


@cases_app.command()
def clocks() -> None:
    """Record SLA breaches and escalate what is due now. / Registra incumplimientos de SLA y escala."""
    from pulso.cases.tasks import check_clocks
    from pulso.runtime import get_runtime

    get_runtime().migrate()
    totals = check_clocks()
    console.print(
        f"{totals['checked']:,} cases checked: {totals['warned']:,} warnings, {totals['breached']:,} breaches, "
        f"{totals['escalated']:,} escalations"
    )
