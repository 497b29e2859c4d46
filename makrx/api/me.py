from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from cave.selectors import memberships_of


class MembershipSummarySerializer(serializers.Serializer):
    makerspace = serializers.CharField(source="makerspace.slug")
    makerspace_name = serializers.CharField(source="makerspace.name")
    role = serializers.CharField()
    status = serializers.CharField()


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sub = serializers.CharField(allow_null=True)
    username = serializers.CharField()
    email = serializers.EmailField(allow_blank=True)
    name = serializers.CharField()
    first_name = serializers.CharField(allow_blank=True)
    last_name = serializers.CharField(allow_blank=True)
    phone = serializers.CharField(allow_blank=True)
    roles = serializers.ListField(child=serializers.CharField())
    is_staff = serializers.BooleanField()
    memberships = MembershipSummarySerializer(many=True)


class MeView(APIView):
    """The caller: identity, realm roles and makerspace memberships."""

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        user = request.user
        data = MeSerializer(
            {
                "id": user.pk,
                "sub": user.sub,
                "username": user.username,
                "email": user.email,
                "name": user.name,
                "first_name": user.first_name,
                "last_name": user.last_name,
                "phone": user.phone,
                "roles": user.roles,
                "is_staff": user.is_staff,
                "memberships": list(memberships_of(user)),
            }
        ).data
        return Response(data)
