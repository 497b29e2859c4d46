from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from cave.selectors import memberships_of
from makrx.api.throttling import SignInThrottle


def home(request):
    """Visitors see the welcome page; signed-in people their dashboard."""
    if not request.user.is_authenticated:
        return render(request, "home.html")
    context = {"memberships": memberships_of(request.user)}
    return render(request, "dashboard.html", context)


class LoginView(auth_views.LoginView):
    """The sign-in page: the identity provider's button, and the password form only when ``LOCAL_LOGIN`` is on."""

    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        if not settings.LOCAL_LOGIN:
            return HttpResponseForbidden("Password sign-in is switched off; sign in through the identity provider.")
        if not SignInThrottle().allow_request(request, self):
            return HttpResponse("Too many sign-in attempts; please wait and try again.", status=429)
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["oidc_error"] = self.request.GET.get("error") == "oidc"
        return context


def admin_login(request):
    """The admin signs in through the site's sign-in page, so the same rules (OIDC, LOCAL_LOGIN) apply."""
    target = request.GET.get("next", reverse("admin:index"))
    return redirect(f"{reverse('login')}?{urlencode({'next': target})}")
