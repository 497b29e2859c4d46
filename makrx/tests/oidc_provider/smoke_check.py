#!/usr/bin/env python3
"""Standalone smoke check for the test OpenID Connect provider (provider.mjs).

Needs: node (with `npm ci` done in this folder), Python with `requests` and
`cryptography`. No Django. Run:

    cd makrx/tests/oidc_provider && npm ci && python smoke_check.py

What it does, as a reference for the pytest fixture:
  1. generates an RSA key and writes the JWKS and users files;
  2. starts `node provider.mjs` with the env var contract, waits for `READY <issuer>`;
  3. drives the authorization-code flow with plain `requests` (no JavaScript):
       GET  {issuer}/auth?client_id=...&response_type=code&scope=...&redirect_uri=...&state=...&nonce=...[&resource=...]
         -> 303 Location: /interaction/<uid>              (sets _interaction cookies)
       GET  {issuer}/interaction/<uid>                      -> 200 HTML form (fields: login, password)
       POST {issuer}/interaction/<uid>/login  login=..&password=..
         -> 303 Location: {issuer}/auth/<uid>               (wrong password: 401 + form again)
       GET  {issuer}/auth/<uid>
         -> 303 Location: <redirect_uri>?code=...&state=...&iss=...   (sets _session cookie)
  4. exchanges the code at the token endpoint (client_secret_post), with and
     without resource=urn:makrx:api, and checks the tokens;
  5. userinfo, refresh, wrong password, RP-initiated logout.
Exits non-zero on the first failed check.
"""

import base64
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlparse

import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

HERE = Path(__file__).resolve().parent
CLIENT_ID = "makrx-web"
API_RESOURCE = "urn:makrx:api"
API_AUDIENCE = "makrcave-api"
SCOPE = "openid email profile roles"


# --- helpers --------------------------------------------------------------


def b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64url_decode(data: str) -> bytes:
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


def make_rsa_jwk(kid: str):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    priv = key.private_numbers()
    pub = priv.public_numbers
    jwk = {
        "kty": "RSA",
        "kid": kid,
        "alg": "RS256",
        "use": "sig",
        "n": b64url_uint(pub.n),
        "e": b64url_uint(pub.e),
        "d": b64url_uint(priv.d),
        "p": b64url_uint(priv.p),
        "q": b64url_uint(priv.q),
        "dp": b64url_uint(priv.dmp1),
        "dq": b64url_uint(priv.dmq1),
        "qi": b64url_uint(priv.iqmp),
    }
    return key, jwk


def decode_and_verify_jwt(token: str, public_key):
    """Returns (header, payload); checks the RS256 signature."""
    header_b64, payload_b64, sig_b64 = token.split(".")
    header = json.loads(b64url_decode(header_b64))
    payload = json.loads(b64url_decode(payload_b64))
    assert header["alg"] == "RS256", header
    public_key.verify(
        b64url_decode(sig_b64),
        f"{header_b64}.{payload_b64}".encode(),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )
    return header, payload


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FormParser(HTMLParser):
    """Collects <form> elements: action, method and named <input> values."""

    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append(
                {"action": attrs.get("action"), "method": (attrs.get("method") or "get").lower(), "fields": {}}
            )
        elif tag == "input" and self.forms and attrs.get("name"):
            self.forms[-1]["fields"][attrs["name"]] = attrs.get("value") or ""


def parse_forms(html: str):
    parser = FormParser()
    parser.feed(html)
    return parser.forms


def check(condition, message):
    if not condition:
        raise AssertionError(message)
    print(f"  ok  {message}")


# --- the code flow with plain requests --------------------------------------


def start_login(session, issuer, redirect_uri, resource=None):
    """GET /auth and follow redirects to the login form. Returns (form_url, form)."""
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
    resp = session.get(f"{issuer}/auth", params=params, allow_redirects=False)
    while resp.is_redirect:
        resp = session.get(urljoin(resp.url, resp.headers["Location"]), allow_redirects=False)
    resp.raise_for_status()
    forms = parse_forms(resp.text)
    assert forms and "login" in forms[0]["fields"] and "password" in forms[0]["fields"], resp.text
    return resp.url, forms[0], params


def submit_login(session, form_url, form, username, password, redirect_uri):
    """POST the login form; follow redirects until the redirect_uri. Returns the final response
    (a 303 whose Location starts with redirect_uri) or the non-redirect response (e.g. 401)."""
    resp = session.post(
        urljoin(form_url, form["action"]),
        data={"login": username, "password": password},
        allow_redirects=False,
    )
    while resp.is_redirect:
        location = urljoin(resp.url, resp.headers["Location"])
        if location.startswith(redirect_uri):
            return resp
        resp = session.get(location, allow_redirects=False)
    return resp


def login_and_get_code(issuer, username, password, redirect_uri, resource=None, session=None):
    session = session or requests.Session()
    form_url, form, params = start_login(session, issuer, redirect_uri, resource)
    resp = submit_login(session, form_url, form, username, password, redirect_uri)
    assert resp.is_redirect, f"login failed: {resp.status_code} {resp.text[:300]}"
    query = parse_qs(urlparse(resp.headers["Location"]).query)
    assert query["state"] == [params["state"]], query
    return session, query["code"][0], params


def exchange_code(token_endpoint, code, redirect_uri, client_secret, resource=None):
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": CLIENT_ID,
        "client_secret": client_secret,
    }
    if resource:
        data["resource"] = resource
    resp = requests.post(token_endpoint, data=data)
    assert resp.status_code == 200, f"token endpoint: {resp.status_code} {resp.text}"
    return resp.json()


# --- main -----------------------------------------------------------------


def main() -> int:
    if not (HERE / "node_modules" / "oidc-provider").is_dir():
        print("run `npm ci` in", HERE, "first", file=sys.stderr)
        return 2

    tmp = Path(tempfile.mkdtemp(prefix="oidc-smoke-"))
    private_key, jwk = make_rsa_jwk("test-key-1")
    public_key = private_key.public_key()
    (tmp / "jwks.json").write_text(json.dumps({"keys": [jwk]}))
    users = {
        "alice": {
            "sub": "11111111-1111-1111-1111-111111111111",
            "email": "alice@example.com",
            "given_name": "Alice",
            "family_name": "Admin",
            "preferred_username": "alice",
            "password": "alice-pass",
            "roles": ["super_admin", "makerspace_admin"],
        },
        "bob": {
            "sub": "22222222-2222-2222-2222-222222222222",
            "email": "bob@example.com",
            "given_name": "Bob",
            "family_name": "Maker",
            "preferred_username": "bob",
            "password": "bob-pass",
            "roles": ["user"],
        },
    }
    (tmp / "users.json").write_text(json.dumps(users))

    port = free_port()
    app_port = free_port()
    redirect_uri = f"http://127.0.0.1:{app_port}/oidc/callback/"
    post_logout_uri = f"http://127.0.0.1:{app_port}/"
    client_secret = secrets.token_urlsafe(24)
    env = dict(
        os.environ,
        OIDC_PORT=str(port),
        OIDC_JWKS_FILE=str(tmp / "jwks.json"),
        OIDC_USERS_FILE=str(tmp / "users.json"),
        OIDC_CLIENT_SECRET=client_secret,
        OIDC_REDIRECT_URIS=redirect_uri,
        OIDC_POST_LOGOUT_REDIRECT_URIS=post_logout_uri,
        OIDC_API_AUDIENCE=API_AUDIENCE,
    )
    proc = subprocess.Popen(
        ["node", "provider.mjs"],
        cwd=HERE,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        line = ""
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line or line.startswith("READY "):
                break
        issuer = line.strip().removeprefix("READY ")
        if not line.startswith("READY "):
            print("provider did not start:", proc.stderr.read(), file=sys.stderr)
            return 1
        print(f"provider ready at {issuer}")
        check(issuer == f"http://127.0.0.1:{port}", "issuer is http://127.0.0.1:<port>")

        disco = requests.get(f"{issuer}/.well-known/openid-configuration").json()
        check(disco["issuer"] == issuer, "discovery issuer matches")
        print(
            "  endpoints:",
            {
                k: disco[k]
                for k in (
                    "authorization_endpoint",
                    "token_endpoint",
                    "userinfo_endpoint",
                    "jwks_uri",
                    "end_session_endpoint",
                )
            },
        )
        jwks_public = requests.get(disco["jwks_uri"]).json()
        check(
            [k["kid"] for k in jwks_public["keys"]] == ["test-key-1"] and "d" not in jwks_public["keys"][0],
            "jwks_uri publishes only the public test key",
        )

        # 1. browser-like login, no resource: opaque access token, userinfo works
        print("flow 1: login without resource")
        session, code, params = login_and_get_code(issuer, "alice", "alice-pass", redirect_uri)
        tokens = exchange_code(disco["token_endpoint"], code, redirect_uri, client_secret)
        check(
            set(tokens) >= {"access_token", "id_token", "refresh_token", "expires_in"},
            "token response has access, id and refresh tokens",
        )
        header, id_token = decode_and_verify_jwt(tokens["id_token"], public_key)
        check(header.get("kid") == "test-key-1", "ID token header has kid")
        check(id_token["iss"] == issuer and id_token["aud"] == CLIENT_ID, "ID token iss/aud")
        check(id_token["nonce"] == params["nonce"], "ID token nonce")
        check(id_token["realm_access"]["roles"] == ["super_admin", "makerspace_admin"], "ID token realm_access.roles")
        check(
            id_token["email"] == "alice@example.com"
            and id_token["preferred_username"] == "alice"
            and id_token["name"] == "Alice Admin",
            "ID token email, preferred_username, name",
        )
        check(tokens["access_token"].count(".") != 2, "access token without resource is opaque")
        info = requests.get(disco["userinfo_endpoint"], headers={"Authorization": f"Bearer {tokens['access_token']}"})
        check(info.status_code == 200, "userinfo accepts the opaque token")
        info = info.json()
        check(
            info["sub"] == users["alice"]["sub"]
            and info["realm_access"]["roles"][0] == "super_admin"
            and info["email"] == "alice@example.com",
            "userinfo returns sub, email, realm_access",
        )

        refreshed = requests.post(
            disco["token_endpoint"],
            data={
                "grant_type": "refresh_token",
                "refresh_token": tokens["refresh_token"],
                "client_id": CLIENT_ID,
                "client_secret": client_secret,
            },
        )
        check(refreshed.status_code == 200 and "access_token" in refreshed.json(), "refresh_token grant works")

        # 2. second login in the same browser session: SSO, no login form
        resp = session.get(
            disco["authorization_endpoint"],
            params={
                "client_id": CLIENT_ID,
                "response_type": "code",
                "scope": SCOPE,
                "redirect_uri": redirect_uri,
                "state": "s2",
            },
            allow_redirects=False,
        )
        check(
            resp.status_code == 303 and resp.headers["Location"].startswith(redirect_uri + "?code="),
            "second /auth in the same session redirects straight back with a code (SSO)",
        )

        # 3. API token: resource=urn:makrx:api on /auth AND on /token -> JWT access token
        print("flow 2: login with resource=urn:makrx:api")
        _, code, _ = login_and_get_code(issuer, "bob", "bob-pass", redirect_uri, resource=API_RESOURCE)
        tokens = exchange_code(disco["token_endpoint"], code, redirect_uri, client_secret, resource=API_RESOURCE)
        header, at = decode_and_verify_jwt(tokens["access_token"], public_key)
        print("  access token header:", header)
        print("  access token claims:", json.dumps(at, sort_keys=True))
        check(
            header.get("kid") == "test-key-1" and header.get("typ") == "at+jwt",
            "access token header has kid, typ at+jwt",
        )
        check(at["aud"] == API_AUDIENCE, f"access token aud == {API_AUDIENCE}")
        check(
            at["iss"] == issuer and at["exp"] > time.time() and at["sub"] == users["bob"]["sub"],
            "access token iss, exp, sub",
        )
        check(
            at["realm_access"] == {"roles": ["user"]}
            and at["azp"] == CLIENT_ID
            and at["preferred_username"] == "bob"
            and at["email"] == "bob@example.com",
            "access token realm_access, azp, preferred_username, email",
        )
        check(at["exp"] - at["iat"] == 300, "access token lifetime 300 s")
        resp = requests.get(disco["userinfo_endpoint"], headers={"Authorization": f"Bearer {tokens['access_token']}"})
        check(
            resp.status_code in (400, 401),
            f"userinfo refuses the API JWT (known oidc-provider behaviour, {resp.status_code})",
        )

        # same /auth with resource, token request WITHOUT resource -> opaque token again
        _, code, _ = login_and_get_code(issuer, "bob", "bob-pass", redirect_uri, resource=API_RESOURCE)
        tokens = exchange_code(disco["token_endpoint"], code, redirect_uri, client_secret)
        check(tokens["access_token"].count(".") != 2, "resource on /auth but not on /token gives an opaque token")

        # a resource on /token that was not on /auth is refused
        _, code, _ = login_and_get_code(issuer, "bob", "bob-pass", redirect_uri)
        resp = requests.post(
            disco["token_endpoint"],
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "client_id": CLIENT_ID,
                "client_secret": client_secret,
                "resource": API_RESOURCE,
            },
        )
        check(
            resp.status_code == 400 and resp.json()["error"] == "invalid_target",
            "resource only on /token (not on /auth) is refused with invalid_target",
        )

        # 4. wrong password is refused
        print("flow 3: wrong password")
        s = requests.Session()
        form_url, form, _ = start_login(s, issuer, redirect_uri)
        resp = submit_login(s, form_url, form, "alice", "wrong", redirect_uri)
        check(
            resp.status_code == 401 and "Invalid username or password" in resp.text,
            "wrong password: 401 and the form again",
        )
        resp = submit_login(s, form_url, form, "nobody", "alice-pass", redirect_uri)
        check(resp.status_code == 401, "unknown user: 401")
        resp = submit_login(s, form_url, form, "alice", "alice-pass", redirect_uri)
        check(
            resp.is_redirect and "code=" in resp.headers["Location"], "right password after a wrong one still logs in"
        )
        resp = requests.post(
            disco["token_endpoint"],
            data={
                "grant_type": "authorization_code",
                "code": "bogus",
                "redirect_uri": redirect_uri,
                "client_id": CLIENT_ID,
                "client_secret": "wrong-secret",
            },
        )
        check(resp.status_code == 401 and resp.json()["error"] == "invalid_client", "wrong client secret refused")

        # 5. RP-initiated logout (plain HTML form, no JavaScript)
        print("flow 4: logout")
        session, code, _ = login_and_get_code(issuer, "alice", "alice-pass", redirect_uri)
        tokens = exchange_code(disco["token_endpoint"], code, redirect_uri, client_secret)
        resp = session.get(
            disco["end_session_endpoint"],
            params={"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": post_logout_uri, "state": "bye"},
            allow_redirects=False,
        )
        check(resp.status_code == 200, "end_session shows the logout confirmation form")
        form = parse_forms(resp.text)[0]
        check(
            form["method"] == "post" and set(form["fields"]) == {"xsrf", "logout"},
            "logout form posts xsrf + logout=yes",
        )
        resp = session.post(urljoin(resp.url, form["action"]), data=form["fields"], allow_redirects=False)
        check(
            resp.status_code == 303 and resp.headers["Location"] == post_logout_uri + "?state=bye",
            "logout redirects to post_logout_redirect_uri?state=...",
        )
        resp = session.get(
            disco["authorization_endpoint"],
            params={
                "client_id": CLIENT_ID,
                "response_type": "code",
                "scope": SCOPE,
                "redirect_uri": redirect_uri,
                "state": "s3",
            },
            allow_redirects=False,
        )
        check("/interaction/" in resp.headers.get("Location", ""), "after logout /auth asks for the login again")

        print("SMOKE CHECK PASSED")
        return 0
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
        err = proc.stderr.read()
        if err.strip():
            print("--- provider stderr ---\n" + err.strip())


if __name__ == "__main__":
    sys.exit(main())
