"""Every app's API under /api/v1/. Association-owned resources live under
`associations/<association_slug>/`, which `hub.tenancy` turns into the association scope."""

from django.urls import include, path, re_path

from .api_support import NotFoundView

urlpatterns = [
    path("", include("hub.api")),
    path("", include("shared_tools.api")),
    path("", include("shared_tools.workshops.api")),
    path("", include("shared_tools.places.api")),
    path("", include("governance.api")),
    path("", include("notifications.api")),
    # Last: whatever matched nothing above gets the API's JSON 404, not the site's HTML page.
    re_path(r"^", NotFoundView.as_view(), name="api-not-found"),
]
