from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from mozilla_django_oidc.views import OIDCLogoutView

from makrx import health, views
from makrx.api.me import MeView

admin.site.site_header = "MakrX staff"
admin.site.site_title = "MakrX staff"

api_v1 = [
    path("me/", MeView.as_view(), name="me"),
    path("", include("cave.api.urls")),
    path("store/", include("store.api.urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ready, name="health-ready"),
    path("admin/login/", views.admin_login),
    path("admin/", admin.site.urls),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", OIDCLogoutView.as_view(), name="logout"),
    path("oidc/", include("mozilla_django_oidc.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("", include("cave.urls")),
    path("", include("store.urls")),
]

if settings.METRICS_ENABLED:
    urlpatterns.append(path("", include("django_prometheus.urls")))
