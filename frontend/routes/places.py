"""Page routes of the digital-mediation places (included by frontend/urls.py); public but the import."""

from django.urls import path

from ..views import places

urlpatterns = [
    path("places/", places.place_list, name="place_list"),
    path("places/export.csv", places.place_export, name="place_export"),
    path("places/import/", places.place_import, name="place_import"),
    path("places/<uuid:code>/", places.place_detail, name="place_detail"),
]
