"""Applying realm roles from the identity provider to a Django user."""

from django.contrib.auth.models import Group

from makrx.roles import REALM_ROLE_GROUPS, RealmRole


def realm_roles_from_claims(claims: dict) -> list[str]:
    """Keycloak puts realm roles in ``realm_access.roles``; anything malformed means no roles."""
    realm_access = claims.get("realm_access") or {}
    roles = realm_access.get("roles") if isinstance(realm_access, dict) else None
    if not isinstance(roles, list):
        return []
    return sorted({role for role in roles if isinstance(role, str)})


def apply_realm_roles(user, roles: list[str]) -> bool:
    """Map realm roles onto ``is_superuser``, ``is_staff`` and groups. Returns whether the user row changed.

    The provider is the source of truth: a role removed there is removed here at
    the next sign-in. ``super_admin`` → superuser and staff; ``admin`` and
    ``makerspace_admin`` → staff plus their group.
    """
    known = [role for role in roles if role in RealmRole.values]
    is_superuser = RealmRole.SUPER_ADMIN in known
    is_staff = is_superuser or RealmRole.ADMIN in known or RealmRole.MAKERSPACE_ADMIN in known
    changed = (user.is_superuser, user.is_staff, list(user.realm_roles)) != (is_superuser, is_staff, known)
    user.is_superuser, user.is_staff, user.realm_roles = is_superuser, is_staff, known
    if changed:
        user.save(update_fields=["is_superuser", "is_staff", "realm_roles"])
    wanted = {name for role, name in REALM_ROLE_GROUPS.items() if role in known}
    managed = set(REALM_ROLE_GROUPS.values())
    current = set(user.groups.filter(name__in=managed).values_list("name", flat=True))
    if wanted != current:
        user.groups.remove(*Group.objects.filter(name__in=current - wanted))
        user.groups.add(*(Group.objects.get_or_create(name=name)[0] for name in wanted - current))
    return changed
