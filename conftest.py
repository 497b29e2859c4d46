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
    # Test servers speak plain HTTP on loopback (the live server starts before per-test overrides).
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


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


# --- Browser tests -------------------------------------------------------------
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]
SCREENSHOT_DIR = None


@pytest.fixture(scope="session")
def chromium_browser():
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    import os
    from pathlib import Path

    if not Path(CHROMIUM).exists():
        pytest.fail(f"browser tests need Chromium at {CHROMIUM}: `make test` installs it (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the
    # tests make around it are ordinary synchronous calls.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium_browser, live_server):
    """A fresh browser context (no cookies) with a page; CSP violations and page errors fail the test."""
    context = chromium_browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    problems = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}")
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    yield page
    context.close()
    assert not problems, problems


@pytest.fixture
def screenshot(browser_page):
    """``screenshot("name")`` saves the current page at desktop width and at 375 px."""
    from pathlib import Path

    global SCREENSHOT_DIR
    SCREENSHOT_DIR = Path(__file__).resolve().parent / "artifacts" / "screenshots"
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)

    def take(name):
        page = browser_page
        page.set_viewport_size({"width": 1280, "height": 900})
        page.screenshot(path=str(SCREENSHOT_DIR / f"{name}-desktop.png"), full_page=True)
        page.set_viewport_size({"width": 375, "height": 812})
        page.screenshot(path=str(SCREENSHOT_DIR / f"{name}-375.png"), full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        page.set_viewport_size({"width": 1280, "height": 900})
        assert width <= 375, f"{name}: the page is {width}px wide at a 375px viewport (horizontal scrolling)"

    return take


def pytest_terminal_summary(terminalreporter):
    if SCREENSHOT_DIR is not None:
        terminalreporter.write_line(f"Screenshots of the pages: {SCREENSHOT_DIR}")
