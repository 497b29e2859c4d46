"""Signing in and out with a password in a real browser (LOCAL_LOGIN)."""

import re

import pytest
from playwright.sync_api import expect

from makrx.tests.factories import MembershipFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_see_the_dashboard_and_sign_out(browser_page, screenshot):
    user = UserFactory(username="meera", first_name="Meera", last_name="K")
    MembershipFactory(user=user, makerspace__name="Pune Makers", makerspace__slug="pune", role="member")
    page = browser_page

    page.goto("/")
    screenshot("home")
    page.get_by_role("link", name="Sign in").first.click()
    screenshot("login")
    page.get_by_label("Username").fill("meera")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()

    page.get_by_label("Password").fill("pass-word-123")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="Hello, Meera")).to_be_visible()
    expect(page.get_by_text("Pune Makers")).to_be_visible()
    screenshot("dashboard")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in").first).to_be_visible()


def test_the_login_form_works_with_the_keyboard_alone(browser_page):
    UserFactory(username="vik")
    page = browser_page
    page.goto("/accounts/login/")
    page.get_by_label("Username").focus()
    page.keyboard.type("vik")
    page.keyboard.press("Tab")
    page.keyboard.type("pass-word-123")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
