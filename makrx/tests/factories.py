"""Factories shared by every app's tests."""

import factory
from django.contrib.auth import get_user_model

from cave.models import Makerspace, Membership, MembershipRole, MembershipStatus


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Person{n}")
    password = factory.django.Password("pass-word-123")


class MakerspaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Makerspace
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Space {n}")
    slug = factory.Sequence(lambda n: f"space-{n}")
    timezone = "UTC"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    makerspace = factory.SubFactory(MakerspaceFactory)
    user = factory.SubFactory(UserFactory)
    role = MembershipRole.MEMBER
    status = MembershipStatus.ACTIVE
