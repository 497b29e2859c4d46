"""Where a request comes from."""

from django.conf import settings


def client_ip(request) -> str:
    """The client's address.

    ``X-Forwarded-For`` is read only when ``TRUST_PROXY`` is on: then the
    left-most address the proxy chain reports is the client. Without a trusted
    proxy the header is attacker-controlled and ignored.
    """
    if settings.TRUST_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        first = forwarded.split(",")[0].strip()
        if first:
            return first
    return request.META.get("REMOTE_ADDR", "") or "unknown"
