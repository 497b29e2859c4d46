"""Project-wide test fixtures."""

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _isolated_site(settings):
    """Each test starts with an empty cache (rate-limit counters, cached JWKS) and plain-HTTP test requests."""
    settings.SECURE_SSL_REDIRECT = False
    cache.clear()
    yield
    cache.clear()


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    on_postgres = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://… to run it")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_pg)
