"""Every app's API under /api/v1/. Association-owned resources live under
`associations/<association_slug>/`, which `hub.tenancy` turns into the association scope."""

from django.urls import include, path

urlpatterns = [
    path("", include("hub.api")),
    path("", include("shared_tools.api")),
    path("", include("governance.api")),
    path("", include("notifications.api")),
]
