"""Read-side queries shared by the API, pages and other apps."""

from .models import Membership


def memberships_of(user):
    """The user's memberships with their makerspace, newest makerspace first by name."""
    if not user.is_authenticated:
        return Membership.objects.none()
    return Membership.objects.filter(user=user).select_related("makerspace").order_by("makerspace__name")
