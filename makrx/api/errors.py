from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from makrx.errors import DomainError


def exception_handler(exc, context):
    """DRF's handler plus domain errors: each becomes its status with ``detail``, ``code`` and details."""
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.status)
    return drf_exception_handler(exc, context)
