"""Fixtures for the sign-in tests: a real OpenID provider on loopback, and Django pointed at it."""

from urllib.parse import urlparse

import pytest

from makrx.auth import tokens
from makrx.tests.oidc_support import OIDCProvider, ProviderNotInstalled, SigningKey


def start_provider(workdir, keys) -> OIDCProvider:
    """Start the test provider, or fail (never skip) when Node.js or its packages are missing."""
    for attempt in range(3):
        try:
            return OIDCProvider(workdir=workdir, keys=keys).start()
        except ProviderNotInstalled as exc:
            missing = str(exc)
            break
        except RuntimeError:
            # The free port found may have been taken before the provider bound it: try another one.
            if attempt == 2:
                raise
    pytest.fail(missing, pytrace=False)


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    """One provider for the whole test session (``node provider.mjs`` on a free loopback port)."""
    provider = start_provider(tmp_path_factory.mktemp("oidc-provider"), [SigningKey.generate("makrx-test-1")])
    yield provider
    provider.stop()


@pytest.fixture
def oidc_users(oidc_provider):
    """The provider's users, restored after a test that changed someone's roles."""
    saved = {login: dict(user, roles=list(user["roles"])) for login, user in oidc_provider.users.items()}
    yield oidc_provider
    if oidc_provider.users != saved:
        oidc_provider.users = saved
        oidc_provider.write_users()


def point_django_at(settings, provider: OIDCProvider) -> None:
    settings.OIDC_ISSUER = provider.issuer
    settings.OIDC_ENABLED = True
    settings.LOCAL_LOGIN = False
    settings.OIDC_RP_CLIENT_SECRET = provider.client_secret
    settings.AUTHENTICATION_BACKENDS = [
        "makrx.auth.oidc.KeycloakOIDCBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
    # As settings.py does for OIDC_ISSUER: forms may lead to the provider (sign-out redirects there).
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    settings.CONTENT_SECURITY_POLICY = {
        **settings.CONTENT_SECURITY_POLICY,
        "DIRECTIVES": {**directives, "form-action": ["'self'", provider.issuer]},
    }
    tokens.reset_key_cache()


@pytest.fixture
def oidc_settings(settings, oidc_provider):
    """Django configured for the session's test provider, with an empty key cache."""
    point_django_at(settings, oidc_provider)
    yield oidc_provider
    tokens.reset_key_cache()


@pytest.fixture
def oidc_site(live_server, oidc_settings):
    """Django's live server signing in through the test provider; its URL on the loopback address.

    The provider accepts its callback on any loopback port, so the live server's
    dynamic port needs no provider restart. (The root conftest keeps the live
    server on plain HTTP with non-secure cookies.)
    """
    return f"http://127.0.0.1:{urlparse(live_server.url).port}"
