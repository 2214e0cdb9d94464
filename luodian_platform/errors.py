"""Errors that service functions raise; views and the API turn them into answers."""

from __future__ import annotations


class ServiceError(Exception):
    """A refusal a clerk can read. ``status`` is the HTTP status the API answers with."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, fields: dict | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields = fields or {}


class NotAllowed(ServiceError):
    """The user may see the object but not do this."""

    status = 403
    code = "not_allowed"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Conflict(ServiceError):
    """Illegal transition or a concurrent change: the request was valid but the state is not."""

    status = 409
    code = "conflict"
