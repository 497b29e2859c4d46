"""Signing in and out through the OpenID provider in a real browser (Chromium), with the site's CSP on."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.oidc, pytest.mark.django_db(transaction=True)]


def test_sign_in_and_out_through_the_identity_provider(browser_page, oidc_site, oidc_settings):
    page = browser_page
    alice = oidc_settings.users["alice"]

    page.goto("/accounts/login/")
    page.get_by_role("link", name="Sign in with your MakrX account").click()

    # The provider's own login form.
    expect(page).to_have_url(re.compile(rf"^{re.escape(oidc_settings.issuer)}/interaction/"))
    page.locator("#login").fill("alice")
    page.locator("#password").fill("not-her-password")
    page.locator("#kc-login").click()
    expect(page.locator("#error")).to_have_text("Invalid username or password.")
    page.locator("#password").fill(alice["password"])
    page.locator("#kc-login").click()

    # Back on the site, signed in as the provider's user with her realm roles.
    expect(page).to_have_url(re.compile(r"^http://localhost:\d+/$"))
    expect(page.get_by_role("button", name="Sign out alice")).to_be_visible()
    expect(page.get_by_role("link", name="Staff admin")).to_be_visible()
    user = get_user_model().objects.get(sub=alice["sub"])
    assert user.is_superuser and user.email == alice["email"]

    # Sign out: the site's session ends, the provider asks to confirm, and sends the browser back.
    page.get_by_role("button", name="Sign out alice").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(oidc_settings.issuer)}/session/end"))
    page.locator("#kc-logout").click()
    expect(page).to_have_url(re.compile(r"^http://localhost:\d+/$"))
    expect(page.get_by_role("link", name="Sign in").first).to_be_visible()

    # The provider's session is gone as well: signing in again asks for the password.
    page.goto("/oidc/authenticate/")
    expect(page.locator("#kc-login")).to_be_visible()
