"""`pulso token` and `pulso user`: API tokens for machines, accounts for people (secrets shown once, stored hashed)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from pulso.accounts import service
from pulso.accounts.enums import Role
from pulso.kit.db import utcnow
from pulso.kit.errors import PulsoError, ValidationFailed
from pulso.runtime import get_runtime

token_app = typer.Typer(help="API tokens. / Tokens de API.", no_args_is_help=True)
console = Console()


@token_app.command("create")
def create(
    name: Annotated[str, typer.Option(help="What the token is for, e.g. 'Zendesk sync'.")],
    role: Annotated[Role, typer.Option(help="Role the token acts with.")] = Role.CX_MANAGER,
    user: Annotated[str | None, typer.Option(help="E-mail of the user the token acts for (scopes it).")] = None,
) -> None:
    """Create a token; it is printed once. / Crea un token; se muestra una sola vez."""
    runtime = get_runtime()
    runtime.migrate()
    try:
        with runtime.sessions() as session, session.begin():
            user_id = None
            if user:
                found = service.find_user(session, user)
                user_id = found.id
            created = service.create_token(session, name=name, role=role, user_id=user_id)
    except PulsoError as exc:
        console.print(f"[red]error[/]: {exc.message}")
        raise typer.Exit(2) from exc
    console.print(
        f"Token [bold]{created.name}[/] (id {created.id}, role {role.value}) — "
        "copy it now, it will not be shown again / cópielo ahora, no se volverá a mostrar:"
    )
    print(created.token)


@token_app.command("list")
def list_tokens() -> None:
    """List tokens (never their secret). / Lista los tokens."""
    runtime = get_runtime()
    with runtime.sessions() as session:
        rows = service.list_tokens(session)
    table = Table("id", "name", "prefix", "role", "created", "last used", "revoked")
    for t in rows:
        table.add_row(
            str(t.id),
            t.name,
            t.prefix + "…",
            t.role.value,
            f"{t.created_at:%Y-%m-%d %H:%M}",
            f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "—",
            f"{t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "",
        )
    console.print(table)


@token_app.command("revoke")
def revoke(token_id: Annotated[int, typer.Argument(help="Token id from `pulso token list`.")]) -> None:
    """Revoke a token at once. / Revoca un token."""
    runtime = get_runtime()
    try:
        with runtime.sessions() as session, session.begin():
            service.revoke_token(session, token_id, now=utcnow())
    except PulsoError as exc:
        console.print(f"[red]error[/]: {exc.message}")
        raise typer.Exit(2) from exc
    console.print(f"token {token_id} revoked / revocado")


user_app = typer.Typer(
    help="People who sign in to the pages. / Personas que entran en las páginas.", no_args_is_help=True
)


def _print_password(email: str, password: str) -> None:
    console.print(f"[bold]{email}[/] — change it under / cámbiela en /account", soft_wrap=True)
    console.print("Password, shown only once / contraseña, se muestra una sola vez:", soft_wrap=True)
    print(password)


@user_app.command("create")
def create_user(
    email: Annotated[str, typer.Option(help="E-mail used to sign in.")],
    name: Annotated[str, typer.Option(help="Full name.")],
    role: Annotated[Role, typer.Option(help="Role.")] = Role.VIEWER,
    team: Annotated[str | None, typer.Option(help="Team name (needed by supervisors and agents).")] = None,
    locale: Annotated[str, typer.Option(help="Interface language: es or en.")] = "es",
) -> None:
    """Create a user with a generated password, printed once. / Crea un usuario con contraseña generada."""
    from pulso.accounts import logic

    runtime = get_runtime()
    runtime.migrate()
    password = logic.new_password()
    try:
        with runtime.sessions() as session, session.begin():
            team_id = service.find_team(session, team).id if team else None
            if role in (Role.SUPERVISOR, Role.AGENT) and team_id is None:
                raise ValidationFailed(f"team: a {role.value} needs a team (--team) / necesita un equipo (--team)")
            user = service.create_user(
                session, email=email, name=name, role=role, team_id=team_id, password=password, locale=locale
            )
            email = user.email
    except PulsoError as exc:
        console.print(f"[red]error[/]: {exc.message}")
        raise typer.Exit(2) from exc
    _print_password(email, password)


@user_app.command("reset-password")
def reset_password(email: Annotated[str, typer.Argument(help="The user's e-mail.")]) -> None:
    """Give a user a new generated password, printed once. / Genera una contraseña nueva."""
    runtime = get_runtime()
    runtime.migrate()
    try:
        with runtime.sessions() as session, session.begin():
            user = service.find_user(session, email)
            password = service.reset_password(session, user.id)
            email = user.email
    except PulsoError as exc:
        console.print(f"[red]error[/]: {exc.message}")
        raise typer.Exit(2) from exc
    _print_password(email, password)
