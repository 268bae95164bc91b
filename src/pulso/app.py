"""create_app(): routers, error handling, OpenAPI."""

from __future__ import annotations

import importlib
import logging

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


def create_app(runtime: Runtime | None = None) -> FastAPI:
    app = FastAPI(
        title="Pulso",
        version="0.1.0",
        description="Customer Experience Management: listen, understand, act.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    app.state.runtime = runtime or get_runtime()

    @app.exception_handler(PulsoError)
    async def pulso_error(_request: Request, exc: PulsoError) -> JSONResponse:
        return JSONResponse(exc.to_dict(), status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def request_invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {"field": ".".join(str(p) for p in e.get("loc", ())), "reason": e.get("msg", "")}
            for e in exc.errors()
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
