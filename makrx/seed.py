"""Demo data for a new site: ``manage.py seed``.

Idempotent: every object is found by a natural key and created only when
missing, so running it twice changes nothing. Each app adds its own demo data in
a ``seed`` module with a ``run(stdout)`` function; they run in ``SEED_APPS`` order
after the users below exist.
"""

from importlib import import_module

from django.contrib.auth import get_user_model
from django.db import transaction

from makrx.auth.roles import apply_realm_roles

DEMO_PASSWORD = "makrx-demo"
SEED_APPS = ["cave", "store"]

# username → (first name, last name, realm roles). Makerspace roles are given by cave's seed.
DEMO_USERS = {
    "superadmin": ("Sam", "Super", ["super_admin"]),
    "platform": ("Pat", "Platform", ["admin"]),
    "spaceadmin": ("Asha", "Admin", ["makerspace_admin"]),
    "staff": ("Sunil", "Staff", []),
    "member": ("Meera", "Member", []),
    "viewer": ("Vik", "Viewer", []),
}


def seed_users(stdout=None) -> dict:
    User = get_user_model()
    users = {}
    for username, (first, last, roles) in DEMO_USERS.items():
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@demo.makrx.local"},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            if stdout:
                stdout.write(f"created demo user {username} (password {DEMO_PASSWORD})")
        apply_realm_roles(user, roles)
        users[username] = user
    return users


@transaction.atomic
def run(stdout=None):
    users = seed_users(stdout)
    for app in SEED_APPS:
        try:
            module = import_module(f"{app}.seed")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app}.seed":
                raise
            continue
        module.run(users=users, stdout=stdout)
