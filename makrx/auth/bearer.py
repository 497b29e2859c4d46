"""``Authorization: Bearer <access token>`` for the API."""

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from .tokens import InvalidToken, verify_jwt
from .users import sync_user_from_claims


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """Access tokens issued by the identity provider, verified locally.

    The token's ``aud`` must contain ``OIDC_API_AUDIENCE``. The user is found by
    ``sub`` (created on first sight) and their realm roles refreshed from the
    token. A request without a bearer header falls through to the next
    authenticator (the session); a bad bearer token is refused outright.
    """

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header: expected 'Bearer <token>'.")
        if not settings.OIDC_ENABLED:
            raise exceptions.AuthenticationFailed("Bearer tokens are not accepted: no identity provider is configured.")
        try:
            token = header[1].decode("ascii")
            claims = verify_jwt(token, audience=settings.OIDC_API_AUDIENCE)
        except (UnicodeDecodeError, InvalidToken) as exc:
            raise exceptions.AuthenticationFailed(f"Invalid bearer token: {exc}") from exc
        user = sync_user_from_claims(claims)
        if not user.is_active:
            raise exceptions.AuthenticationFailed("This account is disabled.")
        return user, claims

    def authenticate_header(self, request):
        return f'{self.keyword} realm="makrx"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "makrx.auth.bearer.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
