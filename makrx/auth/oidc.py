"""Browser sign-in through OpenID Connect (authorization-code flow, mozilla-django-oidc).

The provider's endpoints are read from its discovery document rather than from
settings, so ``OIDC_ISSUER`` is the only address an operator configures.
"""

import logging
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from django.shortcuts import resolve_url
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import absolutify, import_from_settings
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from .discovery import ProviderUnavailable, provider_metadata
from .tokens import InvalidToken, verify_jwt
from .users import sync_user_from_claims

logger = logging.getLogger(__name__)

DISCOVERED_SETTINGS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}


def discovered_setting(attr, *args):
    """mozilla-django-oidc's settings lookup, with the provider's endpoints taken from discovery."""
    if attr in DISCOVERED_SETTINGS:
        return provider_metadata()[DISCOVERED_SETTINGS[attr]]
    return import_from_settings(attr, *args)


class DiscoveryAuthenticationRequestView(OIDCAuthenticationRequestView):
    get_settings = staticmethod(discovered_setting)


class DiscoveryAuthenticationCallbackView(OIDCAuthenticationCallbackView):
    get_settings = staticmethod(discovered_setting)


class KeycloakOIDCBackend(OIDCAuthenticationBackend):
    """Signs people in from the provider's tokens: user keyed by ``sub``, realm roles applied.

    Unlike the base class, constructing the backend touches no network: Django
    builds a backend on every request that carries a session, and a provider
    outage must not take signed-in pages down with it.
    """

    get_settings = staticmethod(discovered_setting)

    def __init__(self, *args, **kwargs):
        self.UserModel = get_user_model()
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None

    @property
    def OIDC_OP_TOKEN_ENDPOINT(self):  # noqa: N802 - the base class's attribute name
        return provider_metadata()["token_endpoint"]

    @property
    def OIDC_OP_USER_ENDPOINT(self):  # noqa: N802
        return provider_metadata()["userinfo_endpoint"]

    @property
    def OIDC_OP_JWKS_ENDPOINT(self):  # noqa: N802
        return provider_metadata()["jwks_uri"]

    def authenticate(self, request, **kwargs):
        """A refused token or an unreachable provider is a failed login (back to the login page), not an error page."""
        try:
            return super().authenticate(request, **kwargs)
        except (ProviderUnavailable, SuspiciousOperation, requests.RequestException) as exc:
            logger.warning("OIDC sign-in refused: %s", exc)
            return None

    def verify_token(self, token, **kwargs):
        """Verify the ID token with the same key handling as API bearer tokens (audience: this client)."""
        try:
            payload = verify_jwt(token, audience=self.OIDC_RP_CLIENT_ID)
        except InvalidToken as exc:
            raise SuspiciousOperation(f"ID token refused: {exc}") from exc
        if self.get_settings("OIDC_USE_NONCE", True) and kwargs.get("nonce") != payload.get("nonce"):
            raise SuspiciousOperation("ID token nonce does not match this login.")
        return payload

    def get_or_create_user(self, access_token, id_token, payload):
        userinfo = self.get_userinfo(access_token, id_token, payload)
        if userinfo.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("userinfo and ID token name different subjects")
        claims = {**payload, **userinfo}
        # Keycloak may put realm roles in the ID token, the userinfo, or both.
        roles_from = userinfo if "realm_access" in userinfo else payload
        return sync_user_from_claims(claims, roles_from=roles_from)


def provider_logout_url(request) -> str:
    """Where to send the browser after ending the Django session: the provider's end-session endpoint.

    Used only for people who signed in through the provider (their session holds
    the ID token); everyone else goes straight to ``LOGOUT_REDIRECT_URL``.
    """
    after_logout = absolutify(request, resolve_url(settings.LOGOUT_REDIRECT_URL))
    id_token = request.session.get("oidc_id_token")
    if not settings.OIDC_ENABLED or not id_token:
        return after_logout
    try:
        end_session = provider_metadata().get("end_session_endpoint")
    except ProviderUnavailable:
        return after_logout
    if not end_session:
        return after_logout
    query = urlencode(
        {"id_token_hint": id_token, "post_logout_redirect_uri": after_logout, "client_id": settings.OIDC_RP_CLIENT_ID}
    )
    return f"{end_session}?{query}"
