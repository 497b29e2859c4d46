import pytest
from django.apps import apps
from django.core.management import call_command

from makrx.seed import DEMO_USERS

pytestmark = pytest.mark.django_db


def _snapshot():
    """Every row of every model of the project's apps, as comparable tuples."""
    rows = {}
    for model in apps.get_models():
        if model._meta.app_label in {"makrx", "cave", "store", "auth"}:
            rows[model._meta.label] = sorted(map(repr, model.objects.values_list()))
    return rows


def test_seed_creates_demo_users_for_every_role():
    call_command("seed", verbosity=0)
    from django.contrib.auth import get_user_model

    users = {u.username: u for u in get_user_model().objects.filter(username__in=DEMO_USERS)}
    assert set(users) == set(DEMO_USERS)
    assert users["superadmin"].is_superuser
    assert users["platform"].is_staff and not users["platform"].is_superuser
    assert users["spaceadmin"].groups.filter(name="Makerspace admins").exists()
    assert users["member"].check_password("makrx-demo")


def test_seed_twice_changes_nothing():
    call_command("seed", verbosity=0)
    first = _snapshot()
    call_command("seed", verbosity=0)
    assert _snapshot() == first
