"""Typed domain errors that carry their HTTP status; one handler renders them."""

from __future__ import annotations

from typing import Any


class PulsoError(Exception):
    """Base of every error a client can cause; never rendered as a 500."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return body


class ValidationFailed(PulsoError):
    status_code = 422
    code = "validation_failed"


class NotFound(PulsoError):
    status_code = 404
    code = "not_found"


class Unauthorized(PulsoError):
    status_code = 401
    code = "unauthorized"


class Forbidden(PulsoError):
    status_code = 403
    code = "forbidden"


class Conflict(PulsoError):
    status_code = 409
    code = "conflict"


class PayloadTooLarge(PulsoError):
    status_code = 413
    code = "payload_too_large"


class TooManyRequests(PulsoError):
    status_code = 429
    code = "too_many_requests"
