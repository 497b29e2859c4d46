"""Local sign-in (LOCAL_LOGIN), sign-out, the admin's sign-in and GET /api/v1/me/."""

import pytest
from django.contrib.auth.models import Group

from makrx.auth.roles import apply_realm_roles, realm_roles_from_claims
from makrx.auth.users import sync_user_from_claims
from makrx.tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_local_login_signs_in_with_a_password(client, settings):
    settings.LOCAL_LOGIN = True
    UserFactory(username="meera")
    page = client.get("/accounts/login/")
    assert b'name="password"' in page.content
    response = client.post("/accounts/login/", {"username": "meera", "password": "pass-word-123"})
    assert response.status_code == 302
    assert client.get("/api/v1/me/").json()["username"] == "meera"


def test_wrong_password_shows_an_error_and_signs_nobody_in(client, settings):
    settings.LOCAL_LOGIN = True
    UserFactory(username="meera")
    response = client.post("/accounts/login/", {"username": "meera", "password": "nope"})
    assert response.status_code == 200
    assert b'role="alert"' in response.content
    assert client.get("/api/v1/me/").status_code == 401


def test_password_login_is_refused_when_local_login_is_off(client, settings):
    settings.LOCAL_LOGIN = False
    UserFactory(username="meera")
    page = client.get("/accounts/login/")
    assert b'name="password"' not in page.content
    response = client.post("/accounts/login/", {"username": "meera", "password": "pass-word-123"})
    assert response.status_code == 403
    assert client.get("/api/v1/me/").status_code == 401


def test_login_page_offers_the_identity_provider_when_configured(client, settings):
    settings.OIDC_ENABLED = True
    settings.LOCAL_LOGIN = False
    page = client.get("/accounts/login/?next=/api/docs/")
    assert b"/oidc/authenticate/?next=/api/docs/" in page.content


def test_logout_ends_the_session(client):
    client.force_login(UserFactory())
    assert client.get("/accounts/logout/").status_code == 405  # only POST, so a link cannot sign people out
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get("/api/v1/me/").status_code == 401


def test_admin_signs_in_through_the_site_login(client):
    response = client.get("/admin/login/?next=/admin/cave/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2Fcave%2F"


def test_me_returns_identity_roles_and_memberships(client):
    user = UserFactory(username="asha", first_name="Asha", last_name="Rao", sub="sub-123")
    apply_realm_roles(user, ["makerspace_admin"])
    MembershipFactory(user=user, makerspace__slug="pune", makerspace__name="Pune Makers", role="admin")
    MembershipFactory(user=user, makerspace__slug="goa", makerspace__name="Goa Lab", role="member")
    MembershipFactory(makerspace__slug="other")  # someone else's
    client.force_login(user)
    body = client.get("/api/v1/me/").json()
    assert body["sub"] == "sub-123"
    assert body["username"] == "asha"
    assert body["name"] == "Asha Rao"
    assert body["roles"] == ["makerspace_admin"]
    assert [(m["makerspace"], m["role"]) for m in body["memberships"]] == [("goa", "member"), ("pune", "admin")]


class TestRealmRoles:
    def test_roles_are_read_from_realm_access(self):
        assert realm_roles_from_claims({"realm_access": {"roles": ["admin", "offline_access"]}}) == [
            "admin",
            "offline_access",
        ]
        assert realm_roles_from_claims({"realm_access": "garbage"}) == []
        assert realm_roles_from_claims({}) == []

    @pytest.mark.parametrize(
        ("roles", "superuser", "staff", "groups"),
        [
            (["super_admin"], True, True, set()),
            (["admin"], False, True, {"Platform staff"}),
            (["makerspace_admin"], False, True, {"Makerspace admins"}),
            (["admin", "makerspace_admin"], False, True, {"Platform staff", "Makerspace admins"}),
            (["offline_access"], False, False, set()),
        ],
    )
    def test_roles_map_onto_django(self, roles, superuser, staff, groups):
        user = UserFactory()
        apply_realm_roles(user, roles)
        user.refresh_from_db()
        assert (user.is_superuser, user.is_staff) == (superuser, staff)
        assert set(user.groups.values_list("name", flat=True)) == groups

    def test_a_role_removed_at_the_provider_is_removed_here(self):
        user = UserFactory()
        unrelated = Group.objects.create(name="Newsletter editors")
        user.groups.add(unrelated)
        apply_realm_roles(user, ["admin"])
        apply_realm_roles(user, [])
        user.refresh_from_db()
        assert not user.is_staff
        assert list(user.groups.all()) == [unrelated]  # groups the provider does not manage are left alone


class TestUsersFromClaims:
    claims = {
        "sub": "abc-1",
        "preferred_username": "meera",
        "email": "meera@example.com",
        "given_name": "Meera",
        "family_name": "K",
        "realm_access": {"roles": ["admin"]},
    }

    def test_first_sight_creates_the_user(self):
        user = sync_user_from_claims(self.claims)
        assert (user.sub, user.username, user.email, user.first_name, user.is_staff) == (
            "abc-1",
            "meera",
            "meera@example.com",
            "Meera",
            True,
        )
        assert not user.has_usable_password()

    def test_the_user_is_found_by_sub_and_updated(self):
        first = sync_user_from_claims(self.claims)
        again = sync_user_from_claims({**self.claims, "email": "new@example.com", "preferred_username": "renamed"})
        assert again.pk == first.pk
        assert again.email == "new@example.com"

    def test_a_username_taken_by_someone_else_gets_a_suffix(self):
        UserFactory(username="meera")
        user = sync_user_from_claims(self.claims)
        assert user.username == "meera-abc-1"

    def test_a_known_user_costs_no_write(self, django_assert_num_queries):
        sync_user_from_claims(self.claims)
        # One read of the user and one of their managed groups; no UPDATE.
        with django_assert_num_queries(2):
            sync_user_from_claims(self.claims)


def test_a_username_taken_between_check_and_insert_gets_the_suffix(monkeypatch):
    """Two first sign-ins with the same preferred username at the same moment: both get an account."""
    from makrx.auth import users

    UserFactory(username="meera", sub="someone-else")
    monkeypatch.setattr(users, "_free_username", lambda preferred, sub: preferred)  # the check raced and lost
    user = sync_user_from_claims({"sub": "abc-1", "preferred_username": "meera"})
    assert user.username == "meera-abc-1"
    assert user.sub == "abc-1"
