from .spaces import Makerspace, Membership, MembershipRole, MembershipStatus

__all__ = ["Makerspace", "Membership", "MembershipRole", "MembershipStatus"]
