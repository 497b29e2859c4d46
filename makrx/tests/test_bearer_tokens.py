"""API bearer tokens checked against a real OpenID provider's keys (``oidc_provider/provider.mjs``).

Good tokens come from the provider itself (authorization-code flow with
``resource=urn:makrx:api``). Bad tokens are forged with the provider's own
private key, so that exactly one property of an otherwise valid token is wrong.
"""

import time

import jwt
import pytest
from django.contrib.auth import get_user_model

from makrx.tests.oidc_support import (
    API_AUDIENCE,
    CLIENT_ID,
    SigningKey,
    hs256_token,
    tamper_payload,
    unsigned_token,
    unverified_claims,
)

pytestmark = [pytest.mark.oidc, pytest.mark.django_db]

ME = "/api/v1/me/"


@pytest.fixture(scope="module")
def bob_token(oidc_provider):
    """One provider-issued API token for bob, shared by the module (it lives 300 s)."""
    return oidc_provider.api_token("bob")


def get_me(client, authorization=None):
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
    return client.get(ME, **headers)


def assert_refused(response, reason=None):
    assert response.status_code == 401, (response.status_code, response.content)
    assert response["WWW-Authenticate"].startswith("Bearer"), response.headers
    if reason is not None:
        assert reason.lower() in response.json()["detail"].lower(), response.json()


# --- accepted ------------------------------------------------------------------------


def test_provider_issued_token_is_accepted_and_creates_the_user(client, oidc_settings, bob_token):
    claims = unverified_claims(bob_token)
    header = jwt.get_unverified_header(bob_token)
    assert header["alg"] == "RS256" and header["kid"] == oidc_settings.signing_key.kid
    assert claims["aud"] == API_AUDIENCE and claims["iss"] == oidc_settings.issuer

    response = get_me(client, f"Bearer {bob_token}")

    assert response.status_code == 200, response.content
    body = response.json()
    bob = oidc_settings.users["bob"]
    assert body["sub"] == bob["sub"]
    assert body["username"] == "bob"
    assert body["email"] == "bob@example.com"
    assert body["roles"] == []  # offline_access / uma_authorization are not MakrX roles
    assert body["is_staff"] is False
    user = get_user_model().objects.get(sub=bob["sub"])
    assert not user.has_usable_password()


def test_bearer_token_roles_are_applied(client, oidc_settings):
    response = get_me(client, f"Bearer {oidc_settings.api_token('alice')}")

    assert response.status_code == 200, response.content
    assert response.json()["roles"] == ["super_admin"]
    alice = get_user_model().objects.get(sub=oidc_settings.users["alice"]["sub"])
    assert alice.is_superuser and alice.is_staff


def test_known_user_is_found_by_sub_and_keeps_profile_fields_the_token_lacks(client, oidc_settings, bob_token):
    """The provider's access tokens carry no names: a bearer call must not erase what browser login stored."""
    User = get_user_model()
    bob = oidc_settings.users["bob"]
    User.objects.create(sub=bob["sub"], username="bob", email="old@example.com", first_name="Bob", last_name="Maker")

    response = get_me(client, f"Bearer {bob_token}")

    assert response.status_code == 200, response.content
    assert User.objects.filter(sub=bob["sub"]).count() == 1
    user = User.objects.get(sub=bob["sub"])
    assert user.email == "bob@example.com"  # claims that are present do update the profile
    assert (user.first_name, user.last_name) == ("Bob", "Maker")


def test_clock_skew_within_leeway_is_tolerated(client, oidc_settings):
    now = int(time.time())
    key = oidc_settings.signing_key
    just_expired = key.sign(oidc_settings.api_claims(iat=now - 320, exp=now - 20))
    almost_valid = key.sign(oidc_settings.api_claims(nbf=now + 20))

    assert get_me(client, f"Bearer {just_expired}").status_code == 200
    assert get_me(client, f"Bearer {almost_valid}").status_code == 200


def test_forged_but_correct_token_is_accepted(client, oidc_settings):
    """The control for the refusals below: the forging itself yields a valid token."""
    token = oidc_settings.signing_key.sign(oidc_settings.api_claims())

    assert get_me(client, f"Bearer {token}").status_code == 200


# --- refused: 401 with WWW-Authenticate: Bearer ---------------------------------------------


def test_expired_token_is_refused(client, oidc_settings):
    now = int(time.time())
    token = oidc_settings.signing_key.sign(oidc_settings.api_claims(iat=now - 400, exp=now - 100))

    assert_refused(get_me(client, f"Bearer {token}"), "expired")


def test_token_not_yet_valid_is_refused(client, oidc_settings):
    token = oidc_settings.signing_key.sign(oidc_settings.api_claims(nbf=int(time.time()) + 120))

    assert_refused(get_me(client, f"Bearer {token}"), "not yet valid")


@pytest.mark.parametrize("audience", ["some-other-api", CLIENT_ID, ["some-other-api", "account"]])
def test_wrong_audience_is_refused(client, oidc_settings, audience):
    token = oidc_settings.signing_key.sign(oidc_settings.api_claims(aud=audience))

    assert_refused(get_me(client, f"Bearer {token}"), "audience")


def test_audience_list_containing_the_api_is_accepted(client, oidc_settings):
    token = oidc_settings.signing_key.sign(oidc_settings.api_claims(aud=["account", API_AUDIENCE]))

    assert get_me(client, f"Bearer {token}").status_code == 200


def test_id_token_is_not_an_api_token(client, oidc_settings):
    """A real ID token from the provider is signed correctly but meant for the web client, not the API."""
    id_token = oidc_settings.tokens("bob")["id_token"]
    assert unverified_claims(id_token)["aud"] == CLIENT_ID

    assert_refused(get_me(client, f"Bearer {id_token}"), "audience")


def test_wrong_issuer_is_refused(client, oidc_settings):
    token = oidc_settings.signing_key.sign(oidc_settings.api_claims(iss="http://127.0.0.1:1/realms/evil"))

    assert_refused(get_me(client, f"Bearer {token}"), "issuer")


@pytest.mark.parametrize("missing", ["exp", "iss", "aud", "sub"])
def test_token_without_a_required_claim_is_refused(client, oidc_settings, missing):
    claims = oidc_settings.api_claims()
    del claims[missing]

    assert_refused(get_me(client, f"Bearer {oidc_settings.signing_key.sign(claims)}"))


def test_alg_none_is_refused(client, oidc_settings):
    token = unsigned_token(oidc_settings.api_claims(), kid=oidc_settings.signing_key.kid)

    assert_refused(get_me(client, f"Bearer {token}"), "'none' is not accepted")


def test_hs256_signed_with_the_public_key_is_refused(client, oidc_settings):
    """The classic algorithm-confusion attack: HMAC keyed with the published RSA public key."""
    key = oidc_settings.signing_key
    token = hs256_token(oidc_settings.api_claims(), secret=key.public_pem, kid=key.kid)

    assert_refused(get_me(client, f"Bearer {token}"), "'HS256' is not accepted")


def test_unknown_kid_is_refused(client, oidc_settings):
    stranger = SigningKey.generate("not-the-providers-key")
    token = stranger.sign(oidc_settings.api_claims())

    assert_refused(get_me(client, f"Bearer {token}"), "not-the-providers-key")


def test_other_key_claiming_the_providers_kid_is_refused(client, oidc_settings):
    stranger = SigningKey.generate("stranger")
    token = stranger.sign(oidc_settings.api_claims(), kid=oidc_settings.signing_key.kid)

    assert_refused(get_me(client, f"Bearer {token}"), "Signature verification failed")


def test_token_without_kid_is_refused(client, oidc_settings):
    token = jwt.encode(oidc_settings.api_claims(), oidc_settings.signing_key.private_key, algorithm="RS256")

    assert_refused(get_me(client, f"Bearer {token}"), "kid")


@pytest.mark.parametrize(
    "changes",
    [
        {"realm_access": {"roles": ["super_admin"]}},
        {"sub": "0b7c1f7e-0000-4000-8000-00000000a11c"},
        {"exp": 4102444800},
    ],
    ids=["roles", "sub", "exp"],
)
def test_tampered_token_is_refused(client, oidc_settings, bob_token, changes):
    token = tamper_payload(bob_token, **changes)

    assert_refused(get_me(client, f"Bearer {token}"), "Signature verification failed")
    assert not get_user_model().objects.filter(is_superuser=True).exists()


@pytest.mark.parametrize(
    "authorization",
    ["Bearer", "Bearer ", "Bearer a.b", "Bearer a.b.c", "Bearer not-a-jwt", "Bearer one two"],
    ids=["keyword-alone", "keyword-space", "two-segments", "garbage-segments", "no-dots", "two-tokens"],
)
def test_malformed_authorization_header_is_refused(client, oidc_settings, authorization):
    assert_refused(get_me(client, authorization))


def test_missing_token_on_a_protected_endpoint_is_refused(client, oidc_settings):
    assert_refused(get_me(client))


def test_bearer_scheme_is_case_insensitive(client, oidc_settings, bob_token):
    assert get_me(client, f"bearer {bob_token}").status_code == 200


def test_refused_token_does_not_create_a_user(client, oidc_settings):
    stranger = SigningKey.generate("stranger")
    claims = oidc_settings.api_claims(sub="someone-new")

    assert_refused(get_me(client, f"Bearer {stranger.sign(claims, kid=oidc_settings.signing_key.kid)}"))
    assert not get_user_model().objects.filter(sub="someone-new").exists()


def test_bearer_without_an_identity_provider_is_refused_clearly(client, settings):
    settings.OIDC_ISSUER = ""
    settings.OIDC_ENABLED = False

    response = get_me(client, "Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln")

    assert_refused(response, "no identity provider is configured")


def test_disabled_account_is_refused(client, oidc_settings, bob_token):
    assert get_me(client, f"Bearer {bob_token}").status_code == 200
    get_user_model().objects.filter(sub=oidc_settings.users["bob"]["sub"]).update(is_active=False)

    assert_refused(get_me(client, f"Bearer {bob_token}"), "disabled")


def test_local_account_with_the_same_username_and_email_is_not_taken_over(client, oidc_settings):
    """Users are matched by ``sub`` only: a same-named local account keeps its identity and rights."""
    User = get_user_model()
    local = User.objects.create_user("carol", email="carol@example.com", password="local-pass-123")

    response = get_me(client, f"Bearer {oidc_settings.api_token('carol')}")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] != local.pk
    assert body["sub"] == oidc_settings.users["carol"]["sub"]
    assert body["username"].startswith("carol-")
    local.refresh_from_db()
    assert local.sub is None and not local.is_staff and local.check_password("local-pass-123")
