"""The shared_tools API (DRF), included by hub/api_urls.py."""

urlpatterns: list = []
