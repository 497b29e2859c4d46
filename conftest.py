"""Project-wide test fixtures."""

import pytest
from django.core.cache import cache


def pytest_configure(config):
    from django.conf import settings

    # Tests read static files straight from the source folders; the hashed
    # manifest exists only after collectstatic, which deployments run.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _isolated_site(settings):
    """Each test starts with an empty cache (rate-limit counters, cached JWKS) and plain-HTTP test requests."""
    settings.SECURE_SSL_REDIRECT = False
    cache.clear()
    yield
    cache.clear()


def pytest_collection_modifyitems(config, items):
    from django.db import connection

    on_postgres = connection.vendor == "postgresql"
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://… to run it")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_pg)


@pytest.fixture(autouse=True)
def _eager_tasks_unless_a_worker_runs(request):
    """Tasks run in-process during tests, except in tests that start a real worker (``celery_worker_process``)."""
    from makrx.celery import app

    eager = "celery_worker_process" not in request.fixturenames
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = eager
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def celery_worker_process(transactional_db):
    """A real Celery worker on the configured Redis broker, using the test database.

    Needs ``REDIS_URL``; tests using it are skipped (with that reason) when it is unset.
    """
    import os
    import subprocess
    import sys
    import time

    from django.conf import settings
    from django.db import connection

    if not settings.REDIS_URL:
        pytest.skip("needs Redis: set REDIS_URL=redis://… to run a real worker")
    from makrx.celery import app

    env = dict(os.environ)
    db = settings.DATABASES["default"]
    if connection.vendor == "postgresql":
        credentials = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        env["DATABASE_URL"] = f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    else:
        env["DATABASE_URL"] = f"sqlite:///{db['NAME']}"
    app.control.purge()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "makrx",
            "worker",
            "-l",
            "WARNING",
            "-c",
            "1",
            "-P",
            "solo",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        process.terminate()
        deadline = time.monotonic() + 5
        while process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        if process.poll() is None:
            process.kill()
            process.wait()
