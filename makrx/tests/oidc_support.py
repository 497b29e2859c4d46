"""The test OpenID Connect provider (``oidc_provider/provider.mjs``) driven from Python.

``OIDCProvider`` generates RSA keys, writes the provider's JWKS and users files,
starts ``node provider.mjs`` on a free loopback port and stops it again. It also
knows the authorization-code flow with plain ``requests`` (see the provider's
README) and can forge tokens with its private keys, so a test can make exactly
one property of an otherwise valid token wrong.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlparse

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

PROVIDER_DIR = Path(__file__).resolve().parent / "oidc_provider"
CLIENT_ID = "makrx-web"
API_RESOURCE = "urn:makrx:api"
API_AUDIENCE = "makrcave-api"
SCOPE = "openid email profile roles"
# Registered once; the provider accepts them on any loopback port (OIDC_LOOPBACK_ANY_PORT),
# so Django's live server may listen wherever it likes.
# (``localhost`` too: pytest-django's live server and the browser tests use that name.)
REDIRECT_URIS = ("http://127.0.0.1/oidc/callback/", "http://localhost/oidc/callback/")
POST_LOGOUT_REDIRECT_URIS = ("http://127.0.0.1/", "http://localhost/")
# Where API tokens are fetched for: nothing listens there, the flow stops at the redirect.
API_CLIENT_REDIRECT_URI = "http://127.0.0.1:9/oidc/callback/"

START_TIMEOUT_SECONDS = 20
STOP_TIMEOUT_SECONDS = 5

# login -> provider account; roles are Keycloak realm roles.
DEFAULT_USERS = {
    "alice": {
        "sub": "0b7c1f7e-0000-4000-8000-00000000a11c",
        "email": "alice@example.com",
        "given_name": "Alice",
        "family_name": "Root",
        "preferred_username": "alice",
        "password": "alice-secret",
        "roles": ["super_admin", "offline_access"],
    },
    "bob": {
        "sub": "0b7c1f7e-0000-4000-8000-000000000b0b",
        "email": "bob@example.com",
        "given_name": "Bob",
        "family_name": "Maker",
        "preferred_username": "bob",
        "password": "bob-secret",
        "roles": ["offline_access", "uma_authorization"],
    },
    "carol": {
        "sub": "0b7c1f7e-0000-4000-8000-0000000ca201",
        "email": "carol@example.com",
        "given_name": "Carol",
        "family_name": "Store",
        "preferred_username": "carol",
        "password": "carol-secret",
        "roles": ["admin"],
    },
    "dave": {
        "sub": "0b7c1f7e-0000-4000-8000-00000000da7e",
        "email": "dave@example.com",
        "given_name": "Dave",
        "family_name": "Space",
        "preferred_username": "dave",
        "password": "dave-secret",
        "roles": ["makerspace_admin"],
    },
    "erin": {
        "sub": "0b7c1f7e-0000-4000-8000-00000000e219",
        "email": "erin@example.com",
        "given_name": "Erin",
        "family_name": "Demoted",
        "preferred_username": "erin",
        "password": "erin-secret",
        "roles": ["super_admin", "admin", "makerspace_admin"],
    },
}


class ProviderNotInstalled(RuntimeError):
    """``node`` or the provider's ``node_modules`` are missing."""


def check_installed() -> str:
    """Return the path of ``node``; raise ``ProviderNotInstalled`` with the fix when something is missing."""
    node = shutil.which("node")
    if node is None:
        raise ProviderNotInstalled(
            "Node.js (`node`, version 20 or later) is not on PATH; the OIDC tests need it to run the test "
            f"OpenID provider in {PROVIDER_DIR}. Install Node.js, then run `npm ci` there (`make test` does it)."
        )
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider" / "package.json").is_file():
        raise ProviderNotInstalled(
            f"The test OpenID provider's packages are not installed: run `npm ci` in {PROVIDER_DIR} "
            "(`make test` does it)."
        )
    return node


# --- keys and tokens --------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(data: str) -> bytes:
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


def _b64url_uint(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey

    @classmethod
    def generate(cls, kid: str) -> SigningKey:
        return cls(kid, rsa.generate_private_key(public_exponent=65537, key_size=2048))

    @property
    def private_jwk(self) -> dict:
        priv = self.private_key.private_numbers()
        pub = priv.public_numbers
        return {
            "kty": "RSA",
            "kid": self.kid,
            "alg": "RS256",
            "use": "sig",
            "n": _b64url_uint(pub.n),
            "e": _b64url_uint(pub.e),
            "d": _b64url_uint(priv.d),
            "p": _b64url_uint(priv.p),
            "q": _b64url_uint(priv.q),
            "dp": _b64url_uint(priv.dmp1),
            "dq": _b64url_uint(priv.dmq1),
            "qi": _b64url_uint(priv.iqmp),
        }

    @property
    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def sign(self, claims: dict, *, kid: str | None = None, headers: dict | None = None) -> str:
        """An RS256 JWT over ``claims``; ``kid`` overrides the header's key id (to lie about the key)."""
        header = {"kid": self.kid if kid is None else kid, "typ": "at+jwt", **(headers or {})}
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers=header)


def unsigned_token(claims: dict, *, kid: str) -> str:
    """``alg: none``: a header and payload with an empty signature."""
    header = {"alg": "none", "typ": "JWT", "kid": kid}
    return f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}."


def hs256_token(claims: dict, *, secret: bytes, kid: str) -> str:
    """HS256 with ``secret`` as the HMAC key, built by hand (PyJWT refuses a PEM as an HMAC secret)."""
    header = {"alg": "HS256", "typ": "JWT", "kid": kid}
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    signature = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def tamper_payload(token: str, **changes) -> str:
    """The same token, header and signature kept, with some payload claims changed."""
    header, payload, signature = token.split(".")
    claims = json.loads(b64url_decode(payload))
    claims.update(changes)
    return f"{header}.{b64url(json.dumps(claims).encode())}.{signature}"


def unverified_claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


# --- HTML forms ---------------------------------------------------------------------


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append(
                {"action": attrs.get("action") or "", "method": (attrs.get("method") or "get").lower(), "fields": {}}
            )
        elif tag == "input" and self.forms and attrs.get("name"):
            self.forms[-1]["fields"][attrs["name"]] = attrs.get("value") or ""


def parse_forms(html: str) -> list[dict]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def follow_until(session: requests.Session, response: requests.Response, prefix: str) -> requests.Response:
    """Follow redirects by hand; stop at the first one that points at ``prefix`` (not followed) or a non-redirect."""
    while response.is_redirect:
        location = urljoin(response.url, response.headers["Location"])
        if location.startswith(prefix):
            return response
        response = session.get(location, allow_redirects=False)
    return response


def submit_login_form(session: requests.Session, form_page: requests.Response, login: str, password: str):
    """POST the provider's login form shown in ``form_page``; returns the provider's (unfollowed) answer."""
    forms = [form for form in parse_forms(form_page.text) if {"login", "password"} <= set(form["fields"])]
    assert forms, f"no login form at {form_page.url}: {form_page.status_code} {form_page.text[:300]}"
    return session.post(
        urljoin(form_page.url, forms[0]["action"]),
        data={"login": login, "password": password},
        allow_redirects=False,
    )


# --- the provider process -----------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class OIDCProvider:
    """One ``node provider.mjs`` process. ``keys[0]`` signs; every key is published in the JWKS."""

    workdir: Path
    keys: list[SigningKey]
    users: dict = field(default_factory=lambda: json.loads(json.dumps(DEFAULT_USERS)))
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    _stderr: list[str] = field(default_factory=list)

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def signing_key(self) -> SigningKey:
        return self.keys[0]

    @property
    def jwks_file(self) -> Path:
        return self.workdir / "jwks.json"

    @property
    def users_file(self) -> Path:
        return self.workdir / "users.json"

    def metadata(self) -> dict:
        response = requests.get(f"{self.issuer}/.well-known/openid-configuration", timeout=5)
        response.raise_for_status()
        return response.json()

    # -- process --------------------------------------------------------------------

    def start(self) -> OIDCProvider:
        node = check_installed()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.jwks_file.write_text(json.dumps({"keys": [key.private_jwk for key in self.keys]}))
        self.write_users()
        env = {
            **os.environ,
            "OIDC_PORT": str(self.port),
            "OIDC_JWKS_FILE": str(self.jwks_file),
            "OIDC_USERS_FILE": str(self.users_file),
            "OIDC_CLIENT_SECRET": self.client_secret,
            "OIDC_REDIRECT_URIS": ",".join([*REDIRECT_URIS, API_CLIENT_REDIRECT_URI]),
            "OIDC_POST_LOGOUT_REDIRECT_URIS": ",".join(POST_LOGOUT_REDIRECT_URIS),
            "OIDC_LOOPBACK_ANY_PORT": "true",
            "OIDC_API_AUDIENCE": API_AUDIENCE,
            # stdin is a pipe held by this process: if the test run dies, the provider exits too.
            "OIDC_EXIT_ON_STDIN_CLOSE": "true",
        }
        self._stderr = []
        self.process = subprocess.Popen(
            [node, "provider.mjs"],
            cwd=PROVIDER_DIR,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        threading.Thread(target=self._drain_stderr, args=(self.process,), daemon=True).start()
        ready = self._wait_ready(self.process)
        if ready != f"READY {self.issuer}":
            self.stop()
            raise RuntimeError(
                f"the test OpenID provider did not start (got {ready!r}); its stderr:\n" + "".join(self._stderr)
            )
        return self

    def _drain_stderr(self, process):
        for line in process.stderr:
            self._stderr.append(line)

    def _wait_ready(self, process) -> str:
        result: list[str] = []

        def read():
            for line in process.stdout:
                if line.startswith("READY "):
                    result.append(line.strip())
                    break
            # Keep draining so the provider never blocks on a full pipe.
            for _ in process.stdout:
                pass

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline and not result and process.poll() is None:
            reader.join(0.02)
        return result[0] if result else ""

    def stop(self) -> None:
        """SIGTERM by PID, wait up to ``STOP_TIMEOUT_SECONDS``, then SIGKILL."""
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process.pid, signal.SIGKILL)
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
        if process.stdin is not None:
            process.stdin.close()

    def restart(self, keys: list[SigningKey] | None = None) -> OIDCProvider:
        """Stop and start again on the same port (same issuer), optionally with a new key set."""
        self.stop()
        if keys is not None:
            self.keys = list(keys)
        return self.start()

    def write_users(self) -> None:
        """Write the users file atomically; the running provider picks up the change at its next lookup."""
        tmp = self.users_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.users))
        os.replace(tmp, self.users_file)

    def set_roles(self, login: str, roles: list[str]) -> None:
        self.update_user(login, roles=list(roles))

    def update_user(self, login: str, **fields) -> None:
        """Change an account at the provider, as an administrator would in Keycloak."""
        self.users[login].update(fields)
        self.write_users()

    # -- authorization-code flow with plain requests -----------------------------------

    def authorization_code(
        self,
        login: str,
        password: str | None = None,
        *,
        redirect_uri: str = API_CLIENT_REDIRECT_URI,
        resource: str | None = None,
        session: requests.Session | None = None,
    ) -> str:
        """Log ``login`` in at the provider and return the code it sends to ``redirect_uri``."""
        session = session or requests.Session()
        params = {
            "client_id": CLIENT_ID,
            "response_type": "code",
            "scope": SCOPE,
            "redirect_uri": redirect_uri,
            "state": secrets.token_urlsafe(16),
            "nonce": secrets.token_urlsafe(16),
        }
        if resource:
            params["resource"] = resource
        page = session.get(f"{self.issuer}/auth", params=params, allow_redirects=False)
        page = follow_until(session, page, redirect_uri)
        if not page.is_redirect:
            password = self.users[login]["password"] if password is None else password
            page = follow_until(session, submit_login_form(session, page, login, password), redirect_uri)
        assert page.is_redirect, f"login of {login} failed: {page.status_code} {page.text[:300]}"
        query = parse_qs(urlparse(page.headers["Location"]).query)
        assert query.get("state") == [params["state"]], query
        return query["code"][0]

    def tokens(self, login: str, *, resource: str | None = None) -> dict:
        """A fresh token response for ``login`` (code flow with the client secret)."""
        code = self.authorization_code(login, resource=resource)
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": API_CLIENT_REDIRECT_URI,
            "client_id": CLIENT_ID,
            "client_secret": self.client_secret,
        }
        if resource:
            data["resource"] = resource
        response = requests.post(f"{self.issuer}/token", data=data, timeout=5)
        assert response.status_code == 200, f"token endpoint: {response.status_code} {response.text}"
        return response.json()

    def api_token(self, login: str) -> str:
        """A JWT access token for the API (``resource=urn:makrx:api``), issued by the provider."""
        return self.tokens(login, resource=API_RESOURCE)["access_token"]

    # -- forged tokens ---------------------------------------------------------------

    def api_claims(self, login: str = "bob", **overrides) -> dict:
        """Claims of a valid API access token for ``login``, shaped like the provider's own."""
        user = self.users[login]
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": API_AUDIENCE,
            "sub": user["sub"],
            "iat": now,
            "exp": now + 300,
            "jti": secrets.token_urlsafe(12),
            "client_id": CLIENT_ID,
            "azp": CLIENT_ID,
            "scope": SCOPE,
            "email": user["email"],
            "preferred_username": user["preferred_username"],
            "realm_access": {"roles": list(user["roles"])},
        }
        claims.update(overrides)
        return {key: value for key, value in claims.items() if value is not None}
