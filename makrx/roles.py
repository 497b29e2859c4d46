"""Realm roles (platform-wide, from the identity provider) and how they map onto Django."""

from django.db import models


class RealmRole(models.TextChoices):
    SUPER_ADMIN = "super_admin", "Super admin (everything, every makerspace)"
    ADMIN = "admin", "Platform staff (store management)"
    MAKERSPACE_ADMIN = "makerspace_admin", "Makerspace admin (where they hold an admin membership)"


# Django group that carries the model permissions of each staff role. The groups
# and their permissions are created by migrations/seed; login only assigns them.
REALM_ROLE_GROUPS = {
    RealmRole.ADMIN: "Platform staff",
    RealmRole.MAKERSPACE_ADMIN: "Makerspace admins",
}
