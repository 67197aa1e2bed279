"""The places API (DRF), included by hub/api_urls.py under /api/v1/places/.

Places are open data: anyone lists them, reads one and exports them in the national standard's CSV,
with the same filters as the pages. Platform staff and conseillers import a file (multipart); a file
with errors is refused whole with a 400 that lists every error with its line.
"""

from __future__ import annotations

import io
from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.http import HttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, inline_serializer
from rest_framework import exceptions, generics, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from hub.api import HubAPIView, errors, signed_in_user
from hub.api_support import OptionalURLField, Pagination, enum_field

from ..models import Place, PlaceService
from ..permissions import can_import_places
from . import selectors
from .hours import OpenState
from .services import import_places
from .standard import UPLOAD_LIMITS, PlaceFileError, read_upload, write_places

app_name = "places_api"

PlaceServiceField = enum_field(PlaceService, "PlaceService")


OPEN_STATE_SCHEMA = {
    "type": "string",
    "enum": [state.value for state in OpenState],
    "description": "`open`, `closed`, or `unknown` (no hours, or hours that do not say): never `closed` by default.",
}


# Filters -----------------------------------------------------------------------------------------


class PlaceFilter(filters.FilterSet):
    commune = filters.CharFilter(label=gettext_lazy("Start of the commune's name (accents and case ignored)"))
    postcode = filters.CharFilter(label=gettext_lazy("Postcode (5 digits)"))
    department = filters.CharFilter(label=gettext_lazy("Département code: 37, 2A, 971..."))
    service = filters.ChoiceFilter(choices=PlaceService.choices, label=gettext_lazy("Service offered"))
    open_now = filters.BooleanFilter(label=gettext_lazy("Only places open now (in their local time)"))

    def filter_queryset(self, queryset: QuerySet[Place]) -> QuerySet[Place]:
        data: dict[str, Any] = self.form.cleaned_data
        return selectors.filter_places(
            queryset,
            selectors.PlaceFilters(
                commune=data.get("commune") or "",
                postcode=data.get("postcode") or "",
                department=data.get("department") or "",
                service=data.get("service") or "",
                open_at=timezone.now() if data.get("open_now") else None,
            ),
        )


# Output ------------------------------------------------------------------------------------------


def _texts() -> serializers.ListField:
    return serializers.ListField(child=serializers.CharField(), read_only=True)


class PlaceSummarySerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="local_id", read_only=True, help_text=gettext_lazy("The standard's `id`."))
    typologies = _texts()
    services = serializers.SerializerMethodField()
    open_state = serializers.SerializerMethodField()

    class Meta:
        model = Place
        fields = [
            "code",
            "id",
            "name",
            "commune",
            "postcode",
            "department",
            "address",
            "latitude",
            "longitude",
            "typologies",
            "services",
            "opening_hours",
            "open_state",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=PlaceServiceField()))
    def get_services(self, place: Place) -> list[str]:
        return [offer.service for offer in place.service_offers.all()]

    @extend_schema_field(OPEN_STATE_SCHEMA, component_name="PlaceOpenState")
    def get_open_state(self, place: Place) -> str:
        return selectors.place_status(place, when=self.context["now"]).state.value


class PlaceDetailSerializer(PlaceSummarySerializer):
    next_change = serializers.SerializerMethodField(
        help_text=gettext_lazy("When the state changes next, in the place's time zone (null if never or unknown).")
    )
    time_zone = serializers.SerializerMethodField()
    emails = _texts()
    websites = _texts()
    itinerance = _texts()
    publics = _texts()
    specific_support = _texts()
    fees = _texts()
    national_programmes = _texts()
    training_labels = _texts()
    access_modes = _texts()
    support_modes = _texts()
    # Null when the place has none ("" is not a URL).
    acces_libre_url = OptionalURLField(read_only=True, allow_null=True)
    booking_url = OptionalURLField(read_only=True, allow_null=True)

    class Meta(PlaceSummarySerializer.Meta):
        fields = [
            *PlaceSummarySerializer.Meta.fields,
            "time_zone",
            "next_change",
            "pivot",
            "insee_code",
            "address_complement",
            "phone",
            "emails",
            "websites",
            "summary",
            "description",
            "source",
            "itinerance",
            "parent_structure",
            "updated_on",
            "publics",
            "specific_support",
            "fees",
            "national_programmes",
            "training_labels",
            "other_training_labels",
            "access_modes",
            "support_modes",
            "acces_libre_url",
            "booking_url",
            "imported_at",
        ]
        read_only_fields = fields

    def get_next_change(self, place: Place) -> str | None:
        change = selectors.place_status(place, when=self.context["now"]).next_change
        return change.isoformat() if change is not None else None

    def get_time_zone(self, place: Place) -> str:
        return place.time_zone.key


class PlaceImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=gettext_lazy("A CSV file in the national standard's format (UTF-8)."))


class PlaceImportReportSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()


IMPORT_ERROR_SERIALIZER = inline_serializer(
    name="PlaceImportError",
    fields={
        "error": inline_serializer(
            name="PlaceImportErrorDetail",
            fields={
                "code": serializers.CharField(help_text="`invalid_file`"),
                "message": serializers.CharField(),
                "errors": inline_serializer(
                    name="PlaceFileErrorLine",
                    many=True,
                    fields={
                        "line": serializers.IntegerField(
                            allow_null=True, help_text=gettext_lazy("As a spreadsheet numbers it (header = 1).")
                        ),
                        "column": serializers.CharField(),
                        "value": serializers.CharField(),
                        "message": serializers.CharField(),
                    },
                ),
            },
        )
    },
)


# Views -------------------------------------------------------------------------------------------


class PlaceListView(generics.ListAPIView):
    """Digital-mediation places (public), by commune then name."""

    authentication_classes = HubAPIView.authentication_classes
    permission_classes = (AllowAny,)
    pagination_class = Pagination
    serializer_class = PlaceSummarySerializer
    filterset_class = PlaceFilter

    def get_queryset(self) -> QuerySet[Place]:
        return selectors.places_list()

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "now": timezone.now()}

    @extend_schema(tags=["places"], responses={200: PlaceSummarySerializer(many=True), **errors(400, 404)})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class PlaceDetailView(HubAPIView):
    """One place (public), with its state now and when it changes."""

    permission_classes = (AllowAny,)

    @extend_schema(tags=["places"], responses={200: PlaceDetailSerializer, **errors(404)})
    def get(self, request: Request, code: UUID) -> Response:
        try:
            place = selectors.place_by_code(code=str(code))
        except Place.DoesNotExist as exc:
            raise exceptions.NotFound() from exc
        return Response(PlaceDetailSerializer(place, context={"now": timezone.now()}).data)


class PlaceExportView(generics.ListAPIView):
    """The places in the national standard's CSV (public), with the list's filters."""

    authentication_classes = HubAPIView.authentication_classes
    permission_classes = (AllowAny,)
    pagination_class = None
    serializer_class = PlaceSummarySerializer  # for the schema's filters only; the body is CSV
    filterset_class = PlaceFilter

    def get_queryset(self) -> QuerySet[Place]:
        return selectors.places_list()

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # The body is CSV (an HttpResponse); JSON renders the errors. `Accept: text/csv` is no 406.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        tags=["places"],
        operation_id="v1_places_export",
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The standard's CSV."),
            **errors(400),
        },
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:  # type: ignore[override]
        places = self.filter_queryset(self.get_queryset())
        out = io.StringIO()
        write_places(places, out)
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="lieux-mediation-numerique.csv"'
        return response


class PlaceImportView(HubAPIView):
    """Import a CSV file in the national standard (platform staff and conseillers): all or nothing,
    idempotent on the standard's `id`."""

    parser_classes = (MultiPartParser,)

    @extend_schema(
        tags=["places"],
        request={"multipart/form-data": PlaceImportSerializer},
        responses={
            200: PlaceImportReportSerializer,
            400: OpenApiResponse(IMPORT_ERROR_SERIALIZER, description="Nothing imported: every error, with its line."),
            **errors(401, 403),
        },
    )
    def post(self, request: Request) -> Response:
        user = signed_in_user(request)
        if not can_import_places(user):
            raise exceptions.PermissionDenied()
        serializer = PlaceImportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            content = read_upload(serializer.validated_data["file"], UPLOAD_LIMITS)
            report = import_places(user=user, content=content)
        except PlaceFileError as exc:
            body = {
                "code": "invalid_file",
                "message": _("Nothing was imported: correct the file and send it again."),
                "errors": [error.as_dict() for error in exc.errors],
            }
            return Response({"error": body}, status=status.HTTP_400_BAD_REQUEST)
        return Response(PlaceImportReportSerializer(report).data)


urlpatterns = [
    path("places/", PlaceListView.as_view(), name="place-list"),
    path("places/export.csv", PlaceExportView.as_view(), name="place-export"),
    path("places/import/", PlaceImportView.as_view(), name="place-import"),
    path("places/<uuid:code>/", PlaceDetailView.as_view(), name="place-detail"),
]
