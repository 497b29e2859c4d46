from django.contrib.auth.models import AbstractUser
from django.db import models

from .roles import RealmRole


class User(AbstractUser):
    """A person: member, customer or staff.

    People who sign in through OpenID Connect are keyed by the token's ``sub``,
    which is stable even when the username or e-mail changes at the provider.
    Local accounts (``LOCAL_LOGIN``) have no ``sub``.
    """

    sub = models.CharField(
        "OIDC subject", max_length=255, unique=True, null=True, blank=True, help_text="The identity provider's id."
    )
    phone = models.CharField(max_length=32, blank=True)
    realm_roles = models.JSONField(
        default=list, blank=True, help_text="Realm roles from the identity provider, refreshed at each sign-in."
    )

    class Meta:
        db_table = "makrx_user"

    @property
    def name(self) -> str:
        return self.get_full_name() or self.get_username()

    @property
    def roles(self) -> list[str]:
        roles = [role for role in self.realm_roles if role in RealmRole.values]
        if self.is_superuser and RealmRole.SUPER_ADMIN not in roles:
            roles.insert(0, RealmRole.SUPER_ADMIN)
        return roles

    @property
    def is_super_admin(self) -> bool:
        return self.is_superuser
