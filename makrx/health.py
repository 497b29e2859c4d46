"""Liveness and readiness probes.

``/health/live`` says the process answers. ``/health/ready`` checks what a
request needs: the database always; the cache and the Celery broker when Redis is
configured; the identity provider's discovery document when OIDC is configured.
A failure answers 503 naming the failing check.
"""

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.utils.crypto import get_random_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache():
    key, value = "health:probe", get_random_string(12)
    cache.set(key, value, 10)
    if cache.get(key) != value:
        raise RuntimeError("cache did not return what was stored")


def check_broker():
    from makrx.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


def check_oidc():
    from makrx.auth.discovery import fetch_provider_metadata

    fetch_provider_metadata()


def readiness_checks():
    checks = {"database": check_database}
    if settings.REDIS_URL:
        checks["cache"] = check_cache
        checks["broker"] = check_broker
    if settings.OIDC_ENABLED:
        checks["oidc"] = check_oidc
    return checks


@never_cache
@require_GET
def live(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def ready(request):
    results, failed = {}, []
    for name, check in readiness_checks().items():
        try:
            check()
            results[name] = {"ok": True}
        except Exception as exc:  # a probe reports every failure, whatever its type
            results[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            failed.append(name)
    status = 503 if failed else 200
    return JsonResponse({"status": "fail" if failed else "ok", "failed": failed, "checks": results}, status=status)
