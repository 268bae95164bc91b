"""create_app(): routers, error handling, OpenAPI."""

from __future__ import annotations

import importlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pulso.kit.errors import PulsoError
from pulso.runtime import Runtime, get_runtime
from pulso.web.deps import SignInRequired
from pulso.web.templating import STATIC_DIR, is_htmx, redirect, render

log = logging.getLogger(__name__)

# Each domain with a JSON API exposes `router` in its routes module.
ROUTE_MODULES = (
    "pulso.feedback.routes",
    "pulso.metrics.routes",
    "pulso.accounts.routes",
    "pulso.analytics.routes",
    "pulso.notifications.routes",
    "pulso.cases.routes",
)

# Each domain with pages exposes `router` (made by web.deps.page_router) in its pages module.
PAGE_MODULES = (
    "pulso.accounts.pages",
    "pulso.accounts.admin_pages",
    "pulso.metrics.pages",
    "pulso.feedback.pages",
    "pulso.feedback.import_pages",
    "pulso.customers.pages",
    "pulso.interactions.pages",
    "pulso.text.pages",
    "pulso.notifications.pages",
    "pulso.cases.pages",
)

SESSION_COOKIE = "pulso_session"
SESSION_MAX_AGE = 14 * 24 * 3600

# No inline scripts and nothing from another origin; ECharts draws on canvas, exported as data: URLs.
SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
        b"frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]


class SecurityHeaders:
    """Adds the security headers to every page (not to the API's JSON)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + SECURITY_HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)


# Starlette's own errors, in the "english / español" form the error page picks a half of.
HTTP_MESSAGES = {
    404: "there is no page at this address / no hay ninguna página en esta dirección",
    405: "this page does not accept that request / esta página no acepta esa solicitud",
}


def _is_page(request: Request) -> bool:
    return not request.url.path.startswith("/api/")


def create_app(runtime: Runtime | None = None, *, sync_loop: bool = True, worker: bool = True) -> FastAPI:
    """The app; `sync_loop` and `worker` start its background threads (analytic sync, the job consumer)."""
    runtime = runtime or get_runtime()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        from pulso.analytics.tasks import SyncLoop

        interval = runtime.settings.analytics_sync_seconds
        loop = SyncLoop(runtime, interval) if sync_loop and interval > 0 else None
        if loop is not None:
            loop.start()
        consumer = None
        if worker and runtime.settings.serve_worker and runtime.settings.queue != "immediate":
            from pulso.worker import start_embedded_consumer

            consumer = start_embedded_consumer()
        try:
            yield
        finally:
            if consumer is not None:
                consumer.stop(graceful=True)
            if loop is not None:
                loop.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="Pulso",
        version="0.1.0",
        description="Customer Experience Management: listen, understand, act.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    app.state.runtime = runtime

    app.add_middleware(SecurityHeaders)
    app.add_middleware(
        SessionMiddleware,
        secret_key=runtime.secret_key,
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE,
        same_site="lax",
        https_only=runtime.settings.session_cookie_secure,
    )
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.exception_handler(PulsoError)
    async def pulso_error(request: Request, exc: PulsoError) -> Response:
        if _is_page(request):
            return error_page(request, exc.status_code, exc.message)
        return JSONResponse(exc.to_dict(), status_code=exc.status_code)

    @app.exception_handler(SignInRequired)
    async def sign_in_required(request: Request, _exc: SignInRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return redirect(request, "/login?" + urlencode({"next": target}))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _is_page(request):
            return error_page(request, exc.status_code, HTTP_MESSAGES.get(exc.status_code, str(exc.detail)))
        return JSONResponse({"error": "http_error", "message": str(exc.detail)}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def request_invalid(request: Request, exc: RequestValidationError) -> Response:
        if _is_page(request):
            fields = ", ".join(".".join(str(p) for p in e.get("loc", ())[1:]) for e in exc.errors())
            return error_page(request, 422, f"check the fields: {fields} / revise los campos: {fields}")
        details = [
            {"field": ".".join(str(p) for p in e.get("loc", ())), "reason": e.get("msg", "")} for e in exc.errors()
        ]
        body = {
            "error": "validation_failed",
            "message": "the request is not valid / la solicitud no es válida",
            "details": details,
        }
        return JSONResponse(body, status_code=422)

    @app.get("/api/v1/health", tags=["system"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    for name in ROUTE_MODULES + PAGE_MODULES:
        module = importlib.import_module(name)
        app.include_router(module.router)
    return app


def error_page(request: Request, status_code: int, message: str) -> Response:
    """A domain error as a page (or, for HTMX, as a fragment its error handler shows)."""
    user = request.scope.get("pulso_user")
    template = "_error.html" if is_htmx(request) else "error.html"
    return render(request, template, {"status": status_code, "message": message}, user=user, status_code=status_code)
