"""Structured request logs: one JSON line per request, with a request id and the user."""

import contextvars
import json
import logging
import time
import uuid

from .net import client_ip

request_id_var = contextvars.ContextVar("request_id", default=None)
user_var = contextvars.ContextVar("user", default=None)

access_log = logging.getLogger("makrx.request")

_STANDARD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class RequestContextFilter(logging.Filter):
    """Stamps every log record emitted while serving a request with its id and user."""

    def filter(self, record):
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id_var.get()
        if getattr(record, "user", None) is None:
            record.user = user_var.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record):
        payload = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str)


def _incoming_request_id(request):
    candidate = request.headers.get("X-Request-ID", "")
    # Accept a proxy's id only when it is short and printable; otherwise make one.
    if candidate and len(candidate) <= 128 and candidate.isprintable():
        return candidate
    return uuid.uuid4().hex


class RequestLogMiddleware:
    """Assigns a request id (echoed as ``X-Request-ID``) and logs the request as JSON."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = _incoming_request_id(request)
        id_token = request_id_var.set(request.request_id)
        user_token = user_var.set(None)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            user = getattr(request, "user", None)
            username = user.get_username() if user is not None and user.is_authenticated else None
            user_var.set(username)
            response["X-Request-ID"] = request.request_id
            access_log.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "client_ip": client_ip(request),
                    "user": username,
                },
            )
            return response
        finally:
            request_id_var.reset(id_token)
            user_var.reset(user_token)
