"""Browser sign-in and sign-out through a real OpenID provider, against Django's live server.

Driven with plain ``requests`` (no JavaScript needed): the site's
``/oidc/authenticate/`` sends the browser to the provider, the provider's login
form is posted, the provider redirects to ``/oidc/callback/``, and Django
exchanges the code server to server.
"""

from urllib.parse import parse_qs, urljoin, urlparse

import pytest
import requests
from django.contrib.auth import get_user_model

from makrx.tests.oidc_support import (
    CLIENT_ID,
    follow_until,
    parse_forms,
    submit_login_form,
    unverified_claims,
)

pytestmark = [pytest.mark.oidc, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(oidc_site):
    return oidc_site


def start_login(site, session, next_url=None):
    """GET /oidc/authenticate/ and follow to the provider; returns the provider's page (or the SSO redirect)."""
    params = {"next": next_url} if next_url else None
    response = session.get(f"{site}/oidc/authenticate/", params=params, allow_redirects=False)
    assert response.status_code == 302, response.status_code
    return follow_until(session, response, site)


def browser_login(site, provider, login, password=None, session=None, next_url=None):
    """Sign ``login`` in through the provider; returns the browser session and the site's last answer."""
    session = session or requests.Session()
    page = start_login(site, session, next_url)
    if not page.is_redirect:
        password = provider.users[login]["password"] if password is None else password
        page = follow_until(session, submit_login_form(session, page, login, password), site)
    if page.is_redirect:  # back at the site's callback
        page = session.get(urljoin(page.url, page.headers["Location"]), allow_redirects=False)
    return session, page


def me(site, session):
    return session.get(f"{site}/api/v1/me/")


def user_for(provider, login):
    return get_user_model().objects.get(sub=provider.users[login]["sub"])


def group_names(user):
    return set(user.groups.values_list("name", flat=True))


def test_login_request_asks_for_a_browser_login_without_api_resource(site, oidc_settings):
    response = requests.get(f"{site}/oidc/authenticate/", allow_redirects=False)

    location = urlparse(response.headers["Location"])
    query = parse_qs(location.query)
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{oidc_settings.issuer}/auth"
    assert query["client_id"] == [CLIENT_ID]
    assert query["response_type"] == ["code"]
    assert query["redirect_uri"] == [f"{site}/oidc/callback/"]
    assert set(query["scope"][0].split()) == {"openid", "email", "profile", "roles"}
    assert query["state"][0] and query["nonce"][0]
    assert "resource" not in query  # the provider's userinfo only accepts the opaque browser token


def test_code_flow_login_gives_a_django_session_for_the_right_user(site, oidc_settings):
    session, response = browser_login(site, oidc_settings, "alice")

    assert response.status_code == 302 and response.headers["Location"] == "/", response.headers
    answer = me(site, session)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    alice = oidc_settings.users["alice"]
    assert body["sub"] == alice["sub"]
    assert body["username"] == "alice"
    assert body["email"] == "alice@example.com"
    assert (body["first_name"], body["last_name"], body["name"]) == ("Alice", "Root", "Alice Root")
    assert body["roles"] == ["super_admin"]  # offline_access is not a MakrX role
    assert body["is_staff"] is True
    assert body["memberships"] == []
    user = user_for(oidc_settings, "alice")
    assert user.is_superuser and user.is_staff
    assert not user.has_usable_password()
    # The site's own pages see the same signed-in user.
    home = session.get(f"{site}/")
    assert home.status_code == 200 and "Sign out alice" in home.text


@pytest.mark.parametrize(
    ("login", "roles", "is_superuser", "is_staff", "groups"),
    [
        ("alice", ["super_admin"], True, True, set()),
        ("carol", ["admin"], False, True, {"Platform staff"}),
        ("dave", ["makerspace_admin"], False, True, {"Makerspace admins"}),
        ("bob", [], False, False, set()),
    ],
)
def test_realm_roles_map_onto_superuser_staff_and_groups(
    site, oidc_settings, login, roles, is_superuser, is_staff, groups
):
    session, _ = browser_login(site, oidc_settings, login)

    body = me(site, session).json()
    assert body["sub"] == oidc_settings.users[login]["sub"]
    assert body["roles"] == roles
    user = user_for(oidc_settings, login)
    assert (user.is_superuser, user.is_staff) == (is_superuser, is_staff)
    assert group_names(user) == groups


def test_role_removed_at_the_provider_is_removed_at_next_login(site, oidc_users):
    provider = oidc_users
    session, _ = browser_login(site, provider, "erin")
    assert sorted(me(site, session).json()["roles"]) == ["admin", "makerspace_admin", "super_admin"]
    erin = user_for(provider, "erin")
    assert erin.is_superuser and erin.is_staff
    assert group_names(erin) == {"Platform staff", "Makerspace admins"}

    provider.set_roles("erin", ["makerspace_admin"])
    session, _ = browser_login(site, provider, "erin")
    assert me(site, session).json()["roles"] == ["makerspace_admin"]
    erin.refresh_from_db()
    assert not erin.is_superuser and erin.is_staff
    assert group_names(erin) == {"Makerspace admins"}

    provider.set_roles("erin", [])
    session, _ = browser_login(site, provider, "erin")
    assert me(site, session).json()["roles"] == []
    erin.refresh_from_db()
    assert not erin.is_superuser and not erin.is_staff
    assert group_names(erin) == set()
    assert get_user_model().objects.filter(sub=provider.users["erin"]["sub"]).count() == 1


def test_profile_changed_at_the_provider_is_updated_at_next_login(site, oidc_users):
    provider = oidc_users
    session, _ = browser_login(site, provider, "dave")
    assert me(site, session).json()["email"] == "dave@example.com"

    provider.update_user("dave", email="dave.space@example.org", family_name="Spacey", preferred_username="dspace")
    session, _ = browser_login(site, provider, "dave")

    body = me(site, session).json()
    assert body["sub"] == provider.users["dave"]["sub"]
    assert (body["email"], body["last_name"]) == ("dave.space@example.org", "Spacey")
    assert get_user_model().objects.filter(sub=provider.users["dave"]["sub"]).count() == 1


def test_login_returns_to_the_page_that_asked_for_it(site, oidc_settings):
    _, response = browser_login(site, oidc_settings, "carol", next_url="/api/docs/")

    assert response.status_code == 302 and response.headers["Location"] == "/api/docs/"


def test_login_never_redirects_off_site(site, oidc_settings):
    _, response = browser_login(site, oidc_settings, "carol", next_url="https://evil.example/phish")

    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_wrong_password_gives_no_session(site, oidc_settings):
    session = requests.Session()
    page = start_login(site, session)

    refused = submit_login_form(session, page, "alice", "not-her-password")

    assert refused.status_code == 401 and "Invalid username or password" in refused.text
    assert me(site, session).status_code == 401
    assert not get_user_model().objects.filter(sub=oidc_settings.users["alice"]["sub"]).exists()


def test_callback_with_a_state_this_browser_was_not_given_signs_nobody_in(site, oidc_settings):
    """A code delivered to someone else's browser (login CSRF) must not create a session there."""
    code = oidc_settings.authorization_code("alice", redirect_uri=f"{site}/oidc/callback/")
    victim = requests.Session()
    start_login(site, victim)  # the victim has a login of their own under way

    response = victim.get(f"{site}/oidc/callback/", params={"code": code, "state": "forged"}, allow_redirects=False)

    assert response.status_code in (302, 400)
    assert me(site, victim).status_code == 401
    assert not get_user_model().objects.filter(sub=oidc_settings.users["alice"]["sub"]).exists()


def login_until_callback(site, provider, login):
    """Sign in at the provider but stop before the browser reaches the site's callback; returns its URL."""
    session = requests.Session()
    page = start_login(site, session)
    back = follow_until(session, submit_login_form(session, page, login, provider.users[login]["password"]), site)
    assert back.is_redirect, back.text
    return session, urlparse(urljoin(back.url, back.headers["Location"]))


def assert_login_failed(site, session, response):
    assert response.status_code == 302, response.status_code
    assert response.headers["Location"] == "/accounts/login/?error=oidc"
    page = session.get(f"{site}{response.headers['Location']}")
    assert page.status_code == 200 and "did not succeed" in page.text
    assert me(site, session).status_code == 401


def test_code_the_provider_refuses_ends_on_the_login_page(site, oidc_settings):
    session, callback = login_until_callback(site, oidc_settings, "bob")
    query = parse_qs(callback.query)

    response = session.get(
        f"{site}{callback.path}", params={"code": "not-a-code", "state": query["state"][0]}, allow_redirects=False
    )

    assert_login_failed(site, session, response)
    assert not get_user_model().objects.filter(sub=oidc_settings.users["bob"]["sub"]).exists()


def test_error_from_the_provider_ends_on_the_login_page(site, oidc_settings):
    session = requests.Session()
    state = parse_qs(
        urlparse(session.get(f"{site}/oidc/authenticate/", allow_redirects=False).headers["Location"]).query
    )["state"][0]

    response = session.get(
        f"{site}/oidc/callback/", params={"error": "access_denied", "state": state}, allow_redirects=False
    )

    assert_login_failed(site, session, response)


def test_callback_replayed_signs_nobody_else_in(site, oidc_settings):
    """The same callback URL (code and state) used a second time, from another browser, gives no session."""
    session, callback = login_until_callback(site, oidc_settings, "bob")
    assert session.get(callback.geturl(), allow_redirects=False).headers["Location"] == "/"
    assert me(site, session).status_code == 200

    thief = requests.Session()
    start_login(site, thief)
    response = thief.get(callback.geturl(), allow_redirects=False)

    assert response.status_code in (302, 400)
    assert me(site, thief).status_code == 401


def logout_form(site, session):
    home = session.get(f"{site}/")
    forms = [form for form in parse_forms(home.text) if form["action"] == "/accounts/logout/"]
    assert forms, home.text
    return forms[0]


def test_logout_ends_the_django_session_and_the_provider_session(site, oidc_settings):
    session, _ = browser_login(site, oidc_settings, "alice")
    assert me(site, session).status_code == 200
    form = logout_form(site, session)

    response = session.post(f"{site}/accounts/logout/", data=form["fields"], allow_redirects=False)

    # Django's session is over before the browser even reaches the provider.
    assert response.status_code == 302
    assert me(site, session).status_code == 401
    end_session = urlparse(response.headers["Location"])
    query = parse_qs(end_session.query)
    assert f"{end_session.scheme}://{end_session.netloc}{end_session.path}" == f"{oidc_settings.issuer}/session/end"
    assert query["post_logout_redirect_uri"] == [f"{site}/"]
    assert query["client_id"] == [CLIENT_ID]
    id_token = unverified_claims(query["id_token_hint"][0])
    assert id_token["sub"] == oidc_settings.users["alice"]["sub"]
    assert id_token["aud"] == CLIENT_ID

    # The provider asks for confirmation with a plain form; confirming returns to the site.
    confirm_page = session.get(response.headers["Location"], allow_redirects=False)
    assert confirm_page.status_code == 200, confirm_page.text
    confirm = parse_forms(confirm_page.text)[0]
    done = session.post(urljoin(confirm_page.url, confirm["action"]), data=confirm["fields"], allow_redirects=False)
    assert done.status_code == 303
    assert done.headers["Location"] == f"{site}/"
    home = session.get(done.headers["Location"])
    assert home.status_code == 200 and "Sign in" in home.text

    # The provider session is gone too: signing in again asks for the password.
    page = start_login(site, session)
    assert not page.is_redirect and parse_forms(page.text)[0]["fields"].keys() >= {"login", "password"}


def test_logout_needs_the_csrf_token(site, oidc_settings):
    session, _ = browser_login(site, oidc_settings, "bob")

    response = session.post(f"{site}/accounts/logout/", allow_redirects=False)

    assert response.status_code == 403
    assert me(site, session).status_code == 200


def test_logout_by_get_is_refused(site, oidc_settings):
    session, _ = browser_login(site, oidc_settings, "bob")

    assert session.get(f"{site}/accounts/logout/", allow_redirects=False).status_code == 405
    assert me(site, session).status_code == 200


def test_logout_of_a_session_without_provider_sign_in_stays_on_the_site(client, oidc_settings):
    """Someone signed in without the provider (no ID token in the session) is not sent to its end-session page."""
    user = get_user_model().objects.create_user("local-staff", password="local-pass-123")
    client.force_login(user)

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert urlparse(response["Location"]).path == "/"
    assert oidc_settings.issuer not in response["Location"]
    assert client.get("/api/v1/me/").status_code == 401


@pytest.mark.parametrize(("login", "admin_status"), [("alice", 200), ("carol", 200), ("bob", 302)])
def test_staff_roles_open_the_staff_admin(site, oidc_settings, login, admin_status):
    session, _ = browser_login(site, oidc_settings, login)

    response = session.get(f"{site}/admin/", allow_redirects=False)

    assert response.status_code == admin_status
    if admin_status == 200:
        assert "Site administration" in response.text or "MakrX staff" in response.text
