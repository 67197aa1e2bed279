"""Page routes of the shared_tools app (included by frontend/urls.py)."""

from django.urls import path  # noqa: F401

association_urlpatterns: list = []  # under /a/<association_slug>/
urlpatterns: list = []  # elsewhere
