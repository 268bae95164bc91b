"""create_app(): routers, error handling, OpenAPI."""

from __future__ import annotations

import importlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from pulso.kit.errors import PulsoError
from pulso.runtime import Runtime, get_runtime

log = logging.getLogger(__name__)

# Each domain with a JSON API exposes `router` in its routes module.
ROUTE_MODULES = (
    "pulso.feedback.routes",
    "pulso.metrics.routes",
    "pulso.accounts.routes",
    "pulso.analytics.routes",
)


def create_app(runtime: Runtime | None = None, *, sync_loop: bool = True) -> FastAPI:
    runtime = runtime or get_runtime()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        from pulso.analytics.tasks import SyncLoop

        interval = runtime.settings.analytics_sync_seconds
        loop = SyncLoop(runtime, interval) if sync_loop and interval > 0 else None
        if loop is not None:
            loop.start()
        try:
            yield
        finally:
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

    @app.exception_handler(PulsoError)
    async def pulso_error(_request: Request, exc: PulsoError) -> JSONResponse:
        return JSONResponse(exc.to_dict(), status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def request_invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
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

    for name in ROUTE_MODULES:
        module = importlib.import_module(name)
        app.include_router(module.router)
    return app
