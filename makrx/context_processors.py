from django.conf import settings


def site(request):
    return {"OIDC_ENABLED": settings.OIDC_ENABLED, "LOCAL_LOGIN": settings.LOCAL_LOGIN}
