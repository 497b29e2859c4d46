"""API rate limits, counted in the shared cache (Redis when configured) per user, else per client IP."""

from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle

from makrx.net import client_ip


class _CacheKeyMixin:
    def get_rate(self):
        # Read the rates at request time so that settings overrides take effect.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def client_key(self, request):
        if request.user and request.user.is_authenticated:
            return f"user:{request.user.pk}"
        return f"ip:{client_ip(request)}"


class ReadWriteThrottle(_CacheKeyMixin, SimpleRateThrottle):
    """Every API request: ``reads`` for safe methods, ``writes`` for the rest."""

    def allow_request(self, request, view):
        self.scope = "reads" if request.method in ("GET", "HEAD", "OPTIONS") else "writes"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        return f"throttle:{self.scope}:{self.client_key(request)}"


class EndpointThrottle(_CacheKeyMixin, ScopedRateThrottle):
    """Tighter limits for views that name a ``throttle_scope`` (auth, uploads, quotes, checkout)."""

    def get_cache_key(self, request, view):
        return f"throttle:{self.scope}:{self.client_key(request)}"

    def parse_rate(self, rate):
        """DRF's rates plus multi-unit periods such as ``10/5min``."""
        if rate is None:
            return (None, None)
        count, _, period = rate.partition("/")
        digits = "".join(ch for ch in period if ch.isdigit()) or "1"
        unit = period[len(digits) :] if period[: len(digits)] == digits else period
        seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit[0]]
        return int(count), int(digits) * seconds


ReadWriteThrottle.parse_rate = EndpointThrottle.parse_rate


class SignInThrottle(_CacheKeyMixin, SimpleRateThrottle):
    """The ``auth`` budget, for sign-in attempts made outside DRF (the password form), per client IP."""

    scope = "auth"

    def __init__(self):
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)

    def get_cache_key(self, request, view):
        return f"throttle:{self.scope}:ip:{client_ip(request)}"


SignInThrottle.parse_rate = EndpointThrottle.parse_rate
