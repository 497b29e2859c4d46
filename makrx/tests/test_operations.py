"""Health probes, metrics, API docs, security headers, request logs and rate limits."""

import json
import logging

import pytest
from django.db import connection
from django.test import override_settings

from makrx import health

pytestmark = pytest.mark.django_db


def test_live_answers_ok(client):
    response = client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_checks_the_database(client):
    response = client.get("/health/ready")
    assert response.status_code == 200
    assert response.json()["checks"]["database"] == {"ok": True}


def test_ready_names_the_failing_check(client, monkeypatch):
    def broken_database():
        raise ConnectionError("database is down")

    monkeypatch.setattr(health, "check_database", broken_database)
    response = client.get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["failed"] == ["database"]
    assert "database is down" in body["checks"]["database"]["error"]


def test_ready_checks_the_identity_provider_when_configured(client, settings):
    settings.OIDC_ISSUER = "http://127.0.0.1:9"  # nothing listens on the discard port
    settings.OIDC_ENABLED = True
    settings.OIDC_TIMEOUT = 0.5
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["failed"] == ["oidc"]


def test_ready_checks_cache_and_broker_when_redis_is_configured(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:9/0"
    assert set(health.readiness_checks()) == {"database", "cache", "broker"}


def test_metrics_are_exposed_in_prometheus_format(client):
    client.get("/health/live")
    response = client.get("/metrics")
    assert response.status_code == 200
    text = response.content.decode()
    assert "django_http_requests_total_by_method_total" in text
    assert "django_db_new_connections_total" in text or "django_db_execute_total" in text


def test_openapi_schema_and_docs_are_served_offline(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    document = schema.json()
    assert document["info"]["title"] == "MakrX API"
    assert "/api/v1/me/" in document["paths"]
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"

    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    page = docs.content.decode()
    # Swagger UI comes from the bundled sidecar package, never from a CDN.
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert "cdn" not in page.lower()
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200


def test_security_headers_and_content_security_policy(client):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_http_is_redirected_to_https_except_probes(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/").status_code == 301
    assert client.get("/health/live").status_code == 200


def test_requests_are_logged_as_json_with_request_id_and_user(client, django_user_model, caplog):
    user = django_user_model.objects.create_user("logged", password="pass-word-123")
    client.force_login(user)
    with caplog.at_level(logging.INFO, logger="makrx.request"):
        response = client.get("/api/v1/me/", HTTP_X_REQUEST_ID="req-abc-123")
    assert response["X-Request-ID"] == "req-abc-123"
    record = next(r for r in caplog.records if r.name == "makrx.request")
    from makrx.observability import JsonFormatter

    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "req-abc-123"
    assert line["user"] == "logged"
    assert line["path"] == "/api/v1/me/"
    assert line["status"] == 200
    assert line["method"] == "GET"


def test_a_request_id_is_made_when_none_is_given(client):
    response = client.get("/health/live")
    assert len(response["X-Request-ID"]) == 32


def test_unauthenticated_api_call_is_401_with_bearer_challenge(client):
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def _rates(settings, **rates):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


class TestRateLimits:
    def test_reads_are_limited_per_user_through_the_cache(self, client, settings, django_user_model):
        _rates(settings, reads="3/hour", writes="10/hour")
        client.force_login(django_user_model.objects.create_user("reader", password="pass-word-123"))
        assert [client.get("/api/v1/me/").status_code for _ in range(4)] == [200, 200, 200, 429]
        # The counter lives in the shared cache, not in the process: clearing it resets the budget.
        from django.core.cache import cache

        cache.clear()
        assert client.get("/api/v1/me/").status_code == 200

    def test_writes_have_their_own_budget(self, client, settings, django_user_model):
        _rates(settings, reads="1/hour", writes="2/hour")
        client.force_login(django_user_model.objects.create_user("writer", password="pass-word-123"))
        assert client.get("/api/v1/me/").status_code == 200
        assert client.get("/api/v1/me/").status_code == 429
        assert [client.post("/api/v1/me/").status_code for _ in range(3)] == [405, 405, 429]

    def test_sign_in_attempts_are_limited_per_client_ip(self, client, settings):
        _rates(settings, auth="2/hour")
        settings.TRUST_PROXY = False
        attempts = [
            client.post("/accounts/login/", {"username": "x", "password": "y"}, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
            for n in range(3)
        ]
        # Without a trusted proxy a forged X-Forwarded-For does not buy a fresh allowance.
        assert [response.status_code for response in attempts] == [200, 200, 429]

    def test_forwarded_address_counts_behind_a_trusted_proxy(self, client, settings):
        _rates(settings, auth="2/hour")
        settings.TRUST_PROXY = True
        for _ in range(2):
            client.post(
                "/accounts/login/", {"username": "x", "password": "y"}, HTTP_X_FORWARDED_FOR="10.0.0.1, 10.9.9.9"
            )
        again = client.post("/accounts/login/", {"username": "x", "password": "y"}, HTTP_X_FORWARDED_FOR="10.0.0.1")
        other = client.post("/accounts/login/", {"username": "x", "password": "y"}, HTTP_X_FORWARDED_FOR="10.0.0.2")
        assert (again.status_code, other.status_code) == (429, 200)


@pytest.mark.parametrize(
    ("rate", "expected"),
    [("20/hour", (20, 3600)), ("10/5min", (10, 300)), ("50/5m", (50, 300)), ("3/s", (3, 1)), ("7/2d", (7, 172800))],
)
def test_rates_accept_multi_unit_periods(rate, expected):
    from makrx.api.throttling import EndpointThrottle

    assert EndpointThrottle().parse_rate(rate) == expected


def test_database_is_the_configured_one():
    # Guards the CI matrix: the PostgreSQL pass must really run on PostgreSQL.
    import os

    expected = "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
    assert connection.vendor == expected


@override_settings(METRICS_ENABLED=False)
def test_metrics_setting_is_read_at_startup():
    from django.conf import settings

    assert settings.METRICS_ENABLED is False


def test_business_counters_are_exposed_and_count_only_committed_work(client, django_capture_on_commit_callbacks):
    from django.db import transaction

    from makrx.metrics import count_on_commit, reorder_alerts

    def value():
        text = client.get("/metrics").content.decode()
        line = next(line for line in text.splitlines() if line.startswith("makrx_reorder_alerts_total "))
        return float(line.split()[1])

    before = value()
    try:
        with transaction.atomic():
            count_on_commit(reorder_alerts)
            raise RuntimeError("roll back")
    except RuntimeError:
        pass
    assert value() == before
    with django_capture_on_commit_callbacks(execute=True):
        count_on_commit(reorder_alerts)
    assert value() == before + 1
    text = client.get("/metrics").content.decode()
    for name in ("makrx_orders_placed_total", "makrx_reservations_booked_total", "makrx_stock_movements_total"):
        assert f"# TYPE {name} counter" in text
