"""The page shell: one Jinja2 environment over every domain's templates, with gettext and locale filters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context

from pulso import __version__
from pulso.accounts.enums import Role
from pulso.web import i18n
from pulso.web.deps import SESSION_LOCALE, PageUser, csrf_token
from pulso.web.i18n import N_

PACKAGE_DIR = Path(__file__).resolve().parent.parent
STATIC_DIR = Path(__file__).resolve().parent / "static"


def template_dirs() -> list[Path]:
    """web/templates first, then each domain's own templates/ folder."""
    return [PACKAGE_DIR / "web" / "templates", *sorted(p for p in PACKAGE_DIR.glob("*/templates") if p.is_dir())]


@dataclass(frozen=True, slots=True)
class NavItem:
    path: str
    label: str  # an English msgid, translated when shown
    roles: tuple[Role, ...]


_EVERYONE = tuple(Role)
_WRITERS = (Role.ADMIN, Role.CX_MANAGER, Role.SUPERVISOR)

NAV = (
    NavItem("/", N_("Overview"), _EVERYONE),
    NavItem("/feedback", N_("Feedback"), _EVERYONE),
    NavItem("/topics", N_("Topics"), _EVERYONE),
    NavItem("/imports", N_("Imports"), _WRITERS),
    NavItem("/cases", N_("Cases"), (Role.ADMIN, Role.CX_MANAGER, Role.SUPERVISOR, Role.AGENT)),
    NavItem("/cases/dashboard", N_("Closed loop"), (Role.ADMIN, Role.CX_MANAGER, Role.SUPERVISOR, Role.AGENT)),
    NavItem("/cases/rules", N_("Case rules"), _WRITERS),
    NavItem("/admin/users", N_("Users"), (Role.ADMIN,)),
    NavItem("/admin/teams", N_("Teams"), (Role.ADMIN,)),
    NavItem("/settings/tokens", N_("API tokens"), (Role.ADMIN,)),
    NavItem("/admin/notifications", N_("Notifications"), (Role.ADMIN,)),
    NavItem("/admin/webhooks", N_("Webhooks"), (Role.ADMIN,)),
)

ROLE_NAMES = {
    Role.ADMIN: N_("Administrator"),
    Role.CX_MANAGER: N_("CX manager"),
    Role.SUPERVISOR: N_("Supervisor"),
    Role.AGENT: N_("Agent"),
    Role.VIEWER: N_("Viewer"),
}


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def request_locale(request: Request, user: PageUser | None) -> str:
    if user is not None:
        return i18n.normalise_locale(user.locale)
    return i18n.normalise_locale(request.session.get(SESSION_LOCALE))


@pass_context
def _gettext(context: Context, message: str) -> str:
    text: str = i18n.translations(context["locale"]).gettext(message)
    return text


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    text: str = i18n.translations(context["locale"]).ngettext(singular, plural, n)
    return text


@pass_context
def _number(context: Context, value: float | None, digits: int = 1) -> str:
    return i18n.format_number(value, context["locale"], digits)


@pass_context
def _integer(context: Context, value: float | None) -> str:
    return i18n.format_integer(value, context["locale"])


@pass_context
def _percent(context: Context, value: float | None, digits: int = 1) -> str:
    return i18n.format_percent(value, context["locale"], digits)


@pass_context
def _date(context: Context, value: date | datetime | None, fmt: str = "medium") -> str:
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = i18n.local_date(value, context["timezone"])
    return i18n.format_date(value, context["locale"], fmt)


@pass_context
def _datetime(context: Context, value: datetime | None, fmt: str = "medium") -> str:
    return i18n.format_datetime(value, context["locale"], context["timezone"], fmt)


@pass_context
def _duration(context: Context, seconds: float | None) -> str:
    return i18n.format_duration(seconds, context["locale"])


@pass_context
def _message(context: Context, message: str) -> str:
    return i18n.localized_message(message, context["locale"])


def _query(params: Mapping[str, Any], **changes: Any) -> str:
    """A query string from the current parameters with some changed (None or '' drops one)."""
    merged: dict[str, Any] = {k: v for k, v in params.items() if v not in (None, "", [])}
    for key, value in changes.items():
        if value in (None, "", []):
            merged.pop(key, None)
        else:
            merged[key] = value
    return urlencode(merged, doseq=True)


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader([str(p) for p in template_dirs()]),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(
        number=_number,
        integer=_integer,
        percent=_percent,
        date=_date,
        datetime=_datetime,
        duration=_duration,
        message=_message,
    )
    env.globals.update(query=_query, version=__version__, locales=i18n.LOCALE_NAMES, role_names=ROLE_NAMES)
    return env


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    user: PageUser | None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """A page or an HTMX fragment, with the shell's context (user, locale, CSRF token, navigation)."""
    locale = request_locale(request, user)
    full: dict[str, Any] = {
        "request": request,
        "user": user,
        "locale": locale,
        "timezone": user.timezone if user is not None else "UTC",
        "csrf_token": csrf_token(request),
        "nav": [item for item in NAV if user is not None and user.role in item.roles],
        "path": request.url.path,
        "htmx": is_htmx(request),
        "flashes": request.session.pop(SESSION_FLASH, []) if not is_htmx(request) else [],
        **(context or {}),
    }
    html = environment().get_template(template).render(full)
    return HTMLResponse(html, status_code=status_code, headers=dict(headers or {}))


SESSION_FLASH = "flash"


def flash(request: Request, message: str, kind: str = "ok") -> None:
    """A message shown once on the next full page (kind: ok, error)."""
    # A new list, not an append: the session is saved when one of its keys is set, not when a value mutates.
    request.session[SESSION_FLASH] = [*request.session.get(SESSION_FLASH, []), {"kind": kind, "text": message}]


def tr(request: Request, user: PageUser | None, message: str) -> str:
    """Translate a message in Python code (flash messages, form errors)."""
    text: str = i18n.translations(request_locale(request, user)).gettext(message)
    return text


def redirect(request: Request, url: str, status_code: int = 303) -> Response:
    """A redirect that HTMX follows as a full navigation."""
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return Response(status_code=status_code, headers={"Location": url})
