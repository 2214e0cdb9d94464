from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from .api.views import PingView
from .views import home, my_tokens

handler403 = "luodian_platform.views.permission_denied"
handler404 = "luodian_platform.views.not_found"

api_patterns = [
    path("ping/", PingView.as_view(), name="ping"),
    path("", include("intake.api.urls")),
    path("", include("dispatch.api.urls")),
    path("", include("mediation.api.urls")),
    path("", include("followup.api.urls")),
    path("", include("audit.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]

urlpatterns = [
    path("", home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("account/tokens/", my_tokens, name="my_tokens"),
    path("admin/", admin.site.urls),
    path("api/", include((api_patterns, "api"), namespace="api")),
    # Open311 GeoReport v2 (intake/open311.py): any Open311 client files and follows cases.
    path("open311/", include("intake.api.open311_urls")),
    path("", include("intake.urls")),
    path("dispatch/", include("dispatch.urls")),
    path("mediation/", include("mediation.urls")),
    path("followup/", include("followup.urls")),
    path("audit/", include("audit.urls")),
    # Public pages for citizens (no login): lookup, online application, signed links.
    path("citizen/", include("citizen.urls")),
]
