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

# username → (first name, last name, realm roles, OIDC subject). Makerspace roles are given by cave's seed.
# The subjects are those of the demo users in deploy/keycloak/realm-makrx.json, so
# signing in through that realm lands on these accounts and their memberships.
DEMO_USERS = {
    "superadmin": ("Sam", "Super", ["super_admin"], "37b7d556-92d0-414d-a472-ad2ceaba9782"),
    "platform": ("Pat", "Platform", ["admin"], "7472a991-a468-4574-a901-6278c4a3ba71"),
    "spaceadmin": ("Asha", "Admin", ["makerspace_admin"], "af8ddf43-cf7c-48a8-b87b-0e85140b23a7"),
    "staff": ("Sunil", "Staff", [], None),
    "member": ("Meera", "Member", [], "ddfd117c-2d72-4948-8218-d331f56f2717"),
    "viewer": ("Vik", "Viewer", [], None),
}


def seed_users(stdout=None) -> dict:
    User = get_user_model()
    users = {}
    for username, (first, last, roles, sub) in DEMO_USERS.items():
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@demo.makrx.local", "sub": sub},
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
