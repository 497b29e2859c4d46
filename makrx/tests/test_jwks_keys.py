"""The provider's signing keys: cached for ``OIDC_JWKS_TTL_SECONDS``, fetched again once on an unknown ``kid``.

JWKS fetches are counted by a spy that calls through to PyJWT's real HTTP fetch,
so every count below is a real request to the running provider.
"""

import time

import jwt
import pytest

from makrx.auth import tokens
from makrx.tests.conftest import point_django_at, start_provider
from makrx.tests.oidc_support import SigningKey

pytestmark = [pytest.mark.oidc, pytest.mark.django_db]

ME = "/api/v1/me/"


@pytest.fixture
def jwks_fetches(monkeypatch):
    """The JWKS URIs fetched during the test, in order."""
    fetched = []
    fetch_data = jwt.PyJWKClient.fetch_data

    def counting_fetch_data(self):
        fetched.append(self.uri)
        return fetch_data(self)

    monkeypatch.setattr(jwt.PyJWKClient, "fetch_data", counting_fetch_data)
    return fetched


@pytest.fixture
def rotating_provider(tmp_path, settings):
    """A provider of its own (the test restarts it with new keys), with Django pointed at it."""
    provider = start_provider(tmp_path / "rotating-provider", [SigningKey.generate("rotation-old")])
    point_django_at(settings, provider)
    yield provider
    provider.stop()
    tokens.reset_key_cache()


def me_status(client, token):
    return client.get(ME, HTTP_AUTHORIZATION=f"Bearer {token}").status_code


def test_known_kid_fetches_the_key_set_once_per_ttl(client, oidc_settings, settings, jwks_fetches):
    settings.OIDC_JWKS_TTL_SECONDS = 2
    token = oidc_settings.api_token("bob")

    assert [me_status(client, token) for _ in range(4)] == [200] * 4
    assert jwks_fetches == [f"{oidc_settings.issuer}/jwks"]

    time.sleep(2.1)  # the cached key set has expired
    assert [me_status(client, token) for _ in range(3)] == [200] * 3
    assert len(jwks_fetches) == 2


def test_default_ttl_keeps_the_key_set(client, oidc_settings, jwks_fetches):
    token = oidc_settings.api_token("bob")
    other = oidc_settings.api_token("carol")

    assert [me_status(client, t) for t in (token, other, token, other)] == [200] * 4
    assert len(jwks_fetches) == 1


def test_rotated_key_is_fetched_once_and_accepted(client, rotating_provider, jwks_fetches):
    provider = rotating_provider
    old_key = provider.signing_key
    old_token = provider.api_token("bob")
    assert me_status(client, old_token) == 200
    assert len(jwks_fetches) == 1

    # The provider rotates: a new key signs, the old one is still published.
    new_key = SigningKey.generate("rotation-new")
    provider.restart(keys=[new_key, old_key])
    new_token = provider.api_token("bob")
    assert jwt.get_unverified_header(new_token)["kid"] == "rotation-new"

    assert me_status(client, new_token) == 200  # unknown kid: the key set is fetched again, once
    assert len(jwks_fetches) == 2
    assert [me_status(client, t) for t in (new_token, old_token, new_token)] == [200] * 3
    assert len(jwks_fetches) == 2  # both kids are known now


def test_unknown_kids_cannot_make_the_site_hammer_the_provider(client, oidc_settings, jwks_fetches):
    """Each made-up kid would otherwise cost one request to the provider; refreshes are spaced out."""
    good = oidc_settings.api_token("bob")
    assert me_status(client, good) == 200

    for n in range(5):
        forged = SigningKey.generate(f"made-up-{n}").sign(oidc_settings.api_claims())
        assert me_status(client, forged) == 401

    assert len(jwks_fetches) == 2  # the first fetch, plus one refresh for the first unknown kid
    assert me_status(client, good) == 200
    assert len(jwks_fetches) == 2


def test_rotation_right_after_a_fetch_is_not_delayed(client, rotating_provider, jwks_fetches):
    """A key set fetched a moment ago (first request, TTL expiry) must not hold back a rotated key."""
    provider = rotating_provider
    old_key = provider.signing_key
    assert me_status(client, provider.api_token("bob")) == 200

    provider.restart(keys=[SigningKey.generate("rotation-quick"), old_key])

    assert me_status(client, provider.api_token("bob")) == 200
    assert len(jwks_fetches) == 2


def test_known_keys_keep_working_while_the_provider_is_down(client, rotating_provider, jwks_fetches):
    """Tokens are verified locally: once the keys are cached, the provider may be unreachable."""
    token = rotating_provider.api_token("bob")
    assert me_status(client, token) == 200

    rotating_provider.stop()

    assert me_status(client, token) == 200
    assert len(jwks_fetches) == 1


def test_provider_unreachable_without_cached_keys_is_401_not_an_error(client, rotating_provider):
    token = rotating_provider.api_token("bob")
    rotating_provider.stop()

    response = client.get(ME, HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "cannot verify tokens" in response.json()["detail"], response.json()
