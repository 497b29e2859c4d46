"""Domain errors raised by services; mapped to HTTP once (``makrx.api.errors``) for the API and pages alike."""


class DomainError(Exception):
    """A business rule refused the operation. ``status`` is the HTTP status it maps to."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, **details):
        super().__init__(message)
        self.message = message
        self.details = details

    def as_dict(self) -> dict:
        return {"detail": self.message, "code": self.code, **self.details}


class ValidationFailed(DomainError):
    status = 400
    code = "invalid"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    """The request clashes with the current state (an overlap, a wrong status, too little stock)."""

    status = 409
    code = "conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"
