from django.conf import settings
from django.db import models
from django.utils import timezone as dj_timezone


class Makerspace(models.Model):
    """A makerspace: the tenant every cave object belongs to."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    location = models.CharField(max_length=255, blank=True)
    timezone = models.CharField(max_length=64, default="Asia/Kolkata")
    currency = models.CharField(max_length=3, default="INR")
    opening_hours = models.JSONField(
        default=dict,
        blank=True,
        help_text='Per weekday (0 = Monday) a list of ["HH:MM", "HH:MM"] ranges; empty means always open.',
    )
    settings = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=dj_timezone.now, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class MembershipRole(models.TextChoices):
    ADMIN = "admin", "Admin"
    STAFF = "staff", "Staff"
    MEMBER = "member", "Member"
    VIEWER = "viewer", "Viewer"


class MembershipStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    EXPIRED = "expired", "Expired"


class Membership(models.Model):
    """A user's place in one makerspace: their role there and whether it is in force."""

    makerspace = models.ForeignKey(Makerspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=MembershipRole.choices, default=MembershipRole.MEMBER)
    status = models.CharField(max_length=16, choices=MembershipStatus.choices, default=MembershipStatus.PENDING)
    joined_at = models.DateTimeField(default=dj_timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["makerspace__name", "user__username"]
        constraints = [models.UniqueConstraint(fields=["makerspace", "user"], name="unique_membership_per_space")]

    def __str__(self):
        return f"{self.user} @ {self.makerspace} ({self.role})"

    @property
    def is_in_force(self) -> bool:
        """Active and not past its expiry."""
        return self.status == MembershipStatus.ACTIVE and (
            self.expires_at is None or self.expires_at > dj_timezone.now()
        )
