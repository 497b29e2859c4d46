"""The identity provider's metadata, read from ``{OIDC_ISSUER}/.well-known/openid-configuration``."""

import requests
from django.conf import settings
from django.core.cache import cache


class ProviderUnavailable(Exception):
    """The identity provider could not be reached or answered nonsense."""


def provider_metadata() -> dict:
    """The discovery document, cached for ``OIDC_DISCOVERY_TTL_SECONDS``."""
    if not settings.OIDC_ISSUER:
        raise ProviderUnavailable("no identity provider is configured (OIDC_ISSUER is unset)")
    cache_key = f"oidc:discovery:{settings.OIDC_ISSUER}"
    metadata = cache.get(cache_key)
    if metadata is None:
        metadata = fetch_provider_metadata()
        cache.set(cache_key, metadata, settings.OIDC_DISCOVERY_TTL_SECONDS)
    return metadata


def fetch_provider_metadata() -> dict:
    url = f"{settings.OIDC_ISSUER}/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        metadata = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable(f"discovery at {url} failed: {exc}") from exc
    if metadata.get("issuer", "").rstrip("/") != settings.OIDC_ISSUER:
        raise ProviderUnavailable(f"discovery at {url} names issuer {metadata.get('issuer')!r}")
    missing = [key for key in ("authorization_endpoint", "token_endpoint", "jwks_uri") if not metadata.get(key)]
    if missing:
        raise ProviderUnavailable(f"discovery at {url} lacks {', '.join(missing)}")
    return metadata
