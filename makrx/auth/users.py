"""Creating and updating users from identity-provider claims (ID token, userinfo or access token)."""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from .roles import apply_realm_roles, realm_roles_from_claims

PROFILE_FIELDS = ("email", "first_name", "last_name")


def _profile_from_claims(claims: dict) -> dict:
    """The profile fields the claims speak about; a field whose claim is absent is left out.

    Access tokens usually carry fewer claims than the ID token and userinfo (the
    test provider's carry no names at all), so an absent claim means "unknown",
    never "erase": a bearer call must not wipe what the browser sign-in stored.
    """
    profile = {}
    if "email" in claims:
        profile["email"] = claims.get("email") or ""
    if "given_name" in claims:
        profile["first_name"] = claims.get("given_name") or ""
    if "family_name" in claims:
        profile["last_name"] = claims.get("family_name") or ""
    if not profile.get("first_name") and not profile.get("last_name") and claims.get("name"):
        first, _, last = str(claims["name"]).partition(" ")
        profile["first_name"], profile["last_name"] = first, last
    return {key: str(value)[:150] for key, value in profile.items()}


def _free_username(preferred: str, sub: str) -> str:
    User = get_user_model()
    base = (preferred or sub)[:140]
    if not User.objects.filter(username=base).exclude(sub=sub).exists():
        return base
    return f"{base[:130]}-{sub[:8]}"


def _create_user(sub: str, preferred_username: str, profile: dict):
    """Create the user for ``sub``; a parallel first sign-in may win either the ``sub`` or the username."""
    User = get_user_model()
    username = _free_username(preferred_username, sub)
    for candidate in (username, f"{username[:130]}-{sub[:8]}"):
        try:
            with transaction.atomic():
                user = User(sub=sub, username=candidate, **profile)
                user.set_unusable_password()
                user.save()
                return user
        except IntegrityError:
            existing = User.objects.filter(sub=sub).first()
            if existing is not None:  # the same person, created by a parallel request
                return existing
    raise IntegrityError(f"no free username for subject {sub!r}")


def sync_user_from_claims(claims: dict, *, roles_from=None):
    """Return the user for ``claims['sub']``, created or updated from the claims.

    Writes only what changed, so a bearer request by a known user costs no write.
    ``roles_from`` is the claim set that carries ``realm_access`` when it is not
    ``claims`` itself (the ID token, when ``claims`` is userinfo).
    """
    User = get_user_model()
    sub = str(claims["sub"])
    profile = _profile_from_claims(claims)
    user = User.objects.filter(sub=sub).first()
    if user is None:
        user = _create_user(sub, claims.get("preferred_username") or "", profile)
    else:
        changed = [field for field in PROFILE_FIELDS if field in profile and getattr(user, field) != profile[field]]
        if changed:
            for field in changed:
                setattr(user, field, profile[field])
            user.save(update_fields=changed)
    source = roles_from if roles_from is not None else claims
    apply_realm_roles(user, realm_roles_from_claims(source))
    return user
