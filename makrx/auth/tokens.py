"""Verifying JWTs issued by the identity provider, locally, against its JWKS.

Keys come from the provider's ``jwks_uri`` through PyJWT's ``PyJWKClient``: the
key set is cached for ``OIDC_JWKS_TTL_SECONDS`` and fetched again once when a
token names a ``kid`` the cache does not hold (key rotation). Such forced
refreshes are at least ``UNKNOWN_KID_REFRESH_SECONDS`` apart, so tokens with
made-up ``kid`` values cannot turn every request into a call to the provider;
a regular fetch (first use, TTL expiry) does not hold a refresh back. Only asymmetric
algorithms are accepted, so ``alg: none`` and HS* tokens (including HS256 signed
with the public key as the secret) never verify.
"""

import threading
import time

import jwt
from django.conf import settings

from .discovery import ProviderUnavailable, provider_metadata

ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
CLOCK_SKEW_SECONDS = 30
UNKNOWN_KID_REFRESH_SECONDS = 10


class InvalidToken(Exception):
    """The token is malformed, unsigned, wrongly signed, expired or meant for someone else."""


class KeySetClient(jwt.PyJWKClient):
    """``PyJWKClient`` whose refresh on an unknown ``kid`` is spaced out from the previous such refresh only.

    PyJWT's own cooldown also starts at every regular fetch, so a key rotated
    within ``cooldown_duration`` of the first request or of a TTL expiry was
    refused until the cooldown ran out, although the provider already published it.
    """

    def __init__(self, uri: str, *, refresh_interval: float, **kwargs):
        super().__init__(uri, cooldown_duration=0, **kwargs)
        self.refresh_interval = refresh_interval
        self._last_forced_refresh: float | None = None
        self._lock = threading.Lock()

    def _may_force_refresh(self) -> bool:
        now = time.monotonic()
        if self._last_forced_refresh is not None and now - self._last_forced_refresh < self.refresh_interval:
            return False
        self._last_forced_refresh = now
        return True

    def get_signing_key(self, kid: str) -> jwt.PyJWK:
        with self._lock:
            signing_key = self.match_kid(self.get_signing_keys(), kid)
            if signing_key is None and self._may_force_refresh():
                signing_key = self.match_kid(self.get_signing_keys(refresh=True), kid)
            if signing_key is None:
                raise jwt.PyJWKClientError(f"the provider publishes no key with kid {kid!r}")
            return signing_key


_clients: dict[str, KeySetClient] = {}
_clients_lock = threading.Lock()


def jwks_client() -> KeySetClient:
    try:
        uri = provider_metadata()["jwks_uri"]
    except ProviderUnavailable as exc:
        raise InvalidToken(f"cannot verify tokens: {exc}") from exc
    key = f"{uri}|{settings.OIDC_JWKS_TTL_SECONDS}"
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = KeySetClient(
                uri,
                refresh_interval=UNKNOWN_KID_REFRESH_SECONDS,
                cache_keys=False,
                cache_jwk_set=True,
                lifespan=settings.OIDC_JWKS_TTL_SECONDS,
                timeout=settings.OIDC_TIMEOUT or 5,
            )
            _clients[key] = client
    return client


def reset_key_cache() -> None:
    """Forget every cached key set (tests, or an operator after an emergency key revocation)."""
    with _clients_lock:
        _clients.clear()


def verify_jwt(token: str, *, audience: str) -> dict:
    """Return the claims of ``token`` when its signature, ``exp``, ``nbf``, ``iss`` and ``aud`` all hold."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidToken(f"malformed token: {exc}") from exc
    algorithm = header.get("alg")
    if algorithm not in ASYMMETRIC_ALGORITHMS:
        raise InvalidToken(f"algorithm {algorithm!r} is not accepted")
    if not header.get("kid"):
        raise InvalidToken("token header has no kid")
    try:
        signing_key = jwks_client().get_signing_key(header["kid"])
    except jwt.PyJWKClientError as exc:
        raise InvalidToken(f"no usable key for kid {header['kid']!r}: {exc}") from exc
    try:
        return jwt.decode(
            token,
            key=signing_key.key,
            algorithms=[algorithm],
            audience=audience,
            issuer=provider_metadata().get("issuer", settings.OIDC_ISSUER),
            leeway=CLOCK_SKEW_SECONDS,
            options={"require": ["exp", "iss", "aud", "sub"], "verify_nbf": True},
        )
    except (jwt.PyJWTError, ProviderUnavailable) as exc:
        raise InvalidToken(str(exc)) from exc
