"""The workshops API (DRF), included by hub/api_urls.py.

- Members, under `associations/<association_slug>/workshops/`: the upcoming workshops of the
  networks that follow the association, one workshop, their registration (POST to register,
  DELETE to cancel), their registrations, and the .ics file. Outsiders get 404 (same body as a
  missing association), a conseiller who is not a member 403, a workshop not visible 404.
- Conseillers, under `networks/<network_slug>/workshops/`: the network's workshops, publishing,
  changing (PATCH), cancelling, and the attendance list. Anyone else gets 404.

Thin views: an input serializer checks the shape, `shared_tools.workshops.services` decides.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from django.http import HttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, renderers, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from hub import selectors as hub_selectors
from hub.api import AssociationAPIView, HubAPIView, errors, signed_in_user, valid_data
from hub.api_support import enum_field
from hub.models import Network

from ..models import (
    Place,
    RegistrationStatus,
    Tool,
    TutorialAudience,
    TutorialLevel,
    Workshop,
    WorkshopRegistration,
    WorkshopStatus,
)
from ..permissions import can_see_workshops
from . import selectors, services
from .calendar import workshop_calendar

app_name = "workshops_api"

WorkshopStatusField = enum_field(WorkshopStatus, "WorkshopStatus")
RegistrationStatusField = enum_field(RegistrationStatus, "WorkshopRegistrationStatus")
WorkshopLevelField = enum_field(TutorialLevel, "WorkshopLevel")
WorkshopAudienceField = enum_field(TutorialAudience, "WorkshopAudience")


class CalendarRenderer(renderers.BaseRenderer):
    """`text/calendar` for the .ics endpoints; an error body is still JSON text."""

    media_type = "text/calendar"
    format = "ics"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        if isinstance(data, bytes):
            return data
        return json.dumps(data).encode()


# Output serializers ------------------------------------------------------------------------------


class NetworkRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Network
        fields = ["slug", "name"]
        read_only_fields = fields


class WorkshopToolSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tool
        fields = ["slug", "name"]
        read_only_fields = fields


class WorkshopPlaceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Place
        fields = ["code", "name", "address", "address_complement", "postcode", "commune", "latitude", "longitude"]
        read_only_fields = fields


class WorkshopSerializer(serializers.ModelSerializer):
    """A workshop with its seats. `online_url` is given to registered people and conseillers only."""

    network = NetworkRefSerializer(read_only=True)
    tool = WorkshopToolSerializer(read_only=True, allow_null=True)
    place = WorkshopPlaceSerializer(read_only=True, allow_null=True)
    level = WorkshopLevelField(read_only=True)
    audience = WorkshopAudienceField(read_only=True)
    status = WorkshopStatusField(read_only=True)
    online = serializers.SerializerMethodField(help_text=gettext_lazy("Held online (fully or partly)."))
    online_url = serializers.SerializerMethodField(
        help_text=gettext_lazy("The video call's address: empty unless you are registered (or a conseiller).")
    )
    registered_count = serializers.IntegerField(read_only=True)
    waiting_count = serializers.IntegerField(read_only=True)
    seats_left = serializers.IntegerField(read_only=True)

    class Meta:
        model = Workshop
        fields = [
            "code",
            "title",
            "description",
            "network",
            "tool",
            "level",
            "audience",
            "starts_at",
            "ends_at",
            "place",
            "location_detail",
            "online",
            "online_url",
            "capacity",
            "status",
            "sequence",
            "registered_count",
            "waiting_count",
            "seats_left",
        ]
        read_only_fields = fields

    def get_online(self, workshop: Workshop) -> bool:
        return bool(workshop.online_url)

    def get_online_url(self, workshop: Workshop) -> str:
        if self.context.get("advisor") or getattr(workshop, "my_status", "") == RegistrationStatus.REGISTERED:
            return workshop.online_url
        return ""


@extend_schema_field(RegistrationStatusField(allow_null=True))
class MyStatusField(serializers.CharField):
    def to_representation(self, value: Any) -> Any:
        return value or None


class MemberWorkshopSerializer(WorkshopSerializer):
    my_status = MyStatusField(
        read_only=True,
        allow_null=True,
        help_text=gettext_lazy("Your registration: registered, waiting, or null when you are not signed up."),
    )
    my_association = serializers.CharField(
        source="my_association_slug",
        read_only=True,
        allow_null=True,
        help_text=gettext_lazy("The association you registered through (short name), or null."),
    )

    class Meta(WorkshopSerializer.Meta):
        fields = [*WorkshopSerializer.Meta.fields, "my_status", "my_association"]
        read_only_fields = fields


class RegistrationSerializer(serializers.ModelSerializer):
    status = RegistrationStatusField(read_only=True)
    association = serializers.CharField(source="association.slug", read_only=True, allow_null=True)
    workshop = serializers.UUIDField(source="workshop.code", read_only=True)
    waiting_position = serializers.SerializerMethodField(
        help_text=gettext_lazy("1 for the first in the waiting list; null when not waiting.")
    )

    class Meta:
        model = WorkshopRegistration
        fields = [
            "code",
            "workshop",
            "status",
            "association",
            "queued_at",
            "promoted_at",
            "cancelled_at",
            "waiting_position",
        ]
        read_only_fields = fields

    def get_waiting_position(self, registration: WorkshopRegistration) -> int | None:
        return selectors.waiting_position(registration)


class MyRegistrationSerializer(serializers.ModelSerializer):
    status = RegistrationStatusField(read_only=True)
    association = serializers.CharField(source="association.slug", read_only=True, allow_null=True)
    workshop = WorkshopSerializer(read_only=True)

    class Meta:
        model = WorkshopRegistration
        fields = ["code", "workshop", "status", "association", "queued_at", "promoted_at"]
        read_only_fields = fields


class AttendeeSerializer(serializers.ModelSerializer):
    status = RegistrationStatusField(read_only=True)
    name = serializers.CharField(source="user.display_name", read_only=True)
    association = serializers.CharField(source="association.name", read_only=True, allow_null=True)

    class Meta:
        model = WorkshopRegistration
        fields = ["code", "name", "association", "status", "queued_at", "promoted_at"]
        read_only_fields = fields


# Input -------------------------------------------------------------------------------------------


class WorkshopWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=10000, required=False, allow_blank=True, default="")
    tool = serializers.SlugField(
        required=False,
        allow_blank=True,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("A catalogue tool's slug."),
    )
    level = serializers.ChoiceField(TutorialLevel.choices, required=False, default=TutorialLevel.BEGINNER)
    audience = serializers.ChoiceField(TutorialAudience.choices, required=False, default=TutorialAudience.EVERYONE)
    starts_at = serializers.DateTimeField(help_text=gettext_lazy("ISO 8601 with a time zone offset."))
    ends_at = serializers.DateTimeField()
    capacity = serializers.IntegerField(min_value=1, max_value=10000)
    place = serializers.UUIDField(
        required=False, allow_null=True, default=None, help_text=gettext_lazy("A place's code.")
    )
    location_detail = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    online_url = serializers.URLField(max_length=500, required=False, allow_blank=True, default="")


class WorkshopUpdateSerializer(WorkshopWriteSerializer):
    """Every field optional: what is not sent stays as it is."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
            field.default = serializers.empty


def _details(data: dict[str, Any], current: Workshop | None = None) -> services.WorkshopDetails:
    """The service's input from the validated data, completed from the current workshop on a PATCH."""
    values: dict[str, Any] = {}
    if current is not None:
        values = {name: getattr(current, name) for name in services.WorkshopDetails.__dataclass_fields__}
    values |= {name: value for name, value in data.items() if name not in {"tool", "place"}}
    if "tool" in data:
        tool = None
        if data["tool"]:
            tool = Tool.objects.filter(slug=data["tool"]).first()
            if tool is None:
                raise exceptions.ValidationError(
                    {"tool": [str(gettext_lazy("No tool of the catalogue has this name."))]}
                )
        values["tool"] = tool
    if "place" in data:
        place = None
        if data["place"]:
            place = Place.objects.filter(code=data["place"]).first()
            if place is None:
                raise exceptions.ValidationError({"place": [str(gettext_lazy("No place has this code."))]})
        values["place"] = place
    for name in ("description", "location_detail", "online_url"):
        values[name] = values.get(name) or ""
    return services.WorkshopDetails(**values)


# Members -----------------------------------------------------------------------------------------


class MemberWorkshopAPIView(AssociationAPIView):
    required_permission = "hub.association:view"

    def check_member(self) -> None:
        if not can_see_workshops(self.access):
            raise exceptions.PermissionDenied()

    def get_workshop(self, code: UUID) -> Workshop:
        self.check_member()
        try:
            return selectors.workshop_for_member(self.access.association, signed_in_user(self.request), code=str(code))
        except Workshop.DoesNotExist as exc:
            raise exceptions.NotFound() from exc


class MemberWorkshopListView(MemberWorkshopAPIView):
    """Upcoming workshops of the networks that follow the association, soonest first, with seats."""

    @extend_schema(tags=["workshops"], responses={200: MemberWorkshopSerializer(many=True), **errors(401, 403, 404)})
    def get(self, request: Request, association_slug: str) -> Response:
        self.check_member()
        rows = selectors.upcoming_for_member(self.access.association, signed_in_user(request))
        return self.paginated(rows, MemberWorkshopSerializer)


class MyRegistrationListView(MemberWorkshopAPIView):
    """The caller's seats and waiting-list places in workshops not over yet, whatever the association."""

    @extend_schema(tags=["workshops"], responses={200: MyRegistrationSerializer(many=True), **errors(401, 403, 404)})
    def get(self, request: Request, association_slug: str) -> Response:
        self.check_member()
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.registrations_of(signed_in_user(request)), request, view=self)
        return paginator.get_paginated_response(MyRegistrationSerializer(_with_seats(page or []), many=True).data)


def _with_seats(registrations: list[WorkshopRegistration]) -> list[WorkshopRegistration]:
    """Registrations with their workshop's seats (one query for the whole page) and `my_status`."""
    workshop_ids = [registration.workshop_id for registration in registrations]
    counted = {w.pk: w for w in selectors.with_seats(Workshop.objects.filter(pk__in=workshop_ids))}
    for registration in registrations:
        figures = counted[registration.workshop_id]
        for name in ("registered_count", "waiting_count", "seats_left"):
            setattr(registration.workshop, name, getattr(figures, name))
        registration.workshop.my_status = registration.status  # type: ignore[attr-defined]
    return registrations


class MemberWorkshopDetailView(MemberWorkshopAPIView):
    """One workshop as the caller sees it through the association."""

    @extend_schema(tags=["workshops"], responses={200: MemberWorkshopSerializer, **errors(401, 403, 404)})
    def get(self, request: Request, association_slug: str, code: UUID) -> Response:
        return Response(MemberWorkshopSerializer(self.get_workshop(code)).data)


class RegistrationView(MemberWorkshopAPIView):
    """Register (POST: a seat, or the waiting list when full; again while signed up changes nothing)
    or cancel (DELETE: a freed seat goes to the first of the waiting list)."""

    required_permissions = {"POST": "hub.association:view", "DELETE": "hub.association:view"}

    @extend_schema(
        tags=["workshops"], request=None, responses={200: RegistrationSerializer, **errors(400, 401, 403, 404)}
    )
    def post(self, request: Request, association_slug: str, code: UUID) -> Response:
        workshop = self.get_workshop(code)
        registration = services.register_for_workshop(access=self.access, workshop=workshop)
        return Response(RegistrationSerializer(registration).data)

    @extend_schema(
        tags=["workshops"], request=None, responses={200: RegistrationSerializer, **errors(400, 401, 403, 404)}
    )
    def delete(self, request: Request, association_slug: str, code: UUID) -> Response:
        workshop = self.get_workshop(code)
        registration = services.cancel_registration(user=signed_in_user(request), workshop=workshop)
        return Response(RegistrationSerializer(registration).data)


CALENDAR_RESPONSE = {
    (200, "text/calendar"): OpenApiResponse(OpenApiTypes.BINARY, description="RFC 5545 (iCalendar)."),
}


def _calendar(workshop: Workshop, url: str, *, with_link: bool) -> HttpResponse:
    return HttpResponse(
        workshop_calendar(workshop, url=url, now=timezone.now(), with_link=with_link),
        content_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="atelier-{workshop.code}.ics"'},
    )


class MemberCalendarView(MemberWorkshopAPIView):
    """The workshop as an iCalendar file (stable UID, SEQUENCE, cancelled when it is)."""

    renderer_classes = (renderers.JSONRenderer, CalendarRenderer)

    @extend_schema(tags=["workshops"], responses={**CALENDAR_RESPONSE, **errors(401, 403, 404)})
    def get(self, request: Request, association_slug: str, code: UUID) -> HttpResponse:
        workshop = self.get_workshop(code)
        url = request.build_absolute_uri(
            reverse("frontend:workshop_detail", kwargs={"association_slug": association_slug, "code": workshop.code})
        )
        return _calendar(workshop, url, with_link=getattr(workshop, "my_status", "") == RegistrationStatus.REGISTERED)


# Conseillers -------------------------------------------------------------------------------------


class NetworkWorkshopAPIView(HubAPIView):
    serializer_context = {"advisor": True}

    def get_network(self, network_slug: str) -> Network:
        network = hub_selectors.networks_of_advisor(signed_in_user(self.request)).filter(slug=network_slug).first()
        if network is None:
            raise exceptions.NotFound()
        return network

    def get_workshop(self, network: Network, code: UUID) -> Workshop:
        try:
            return selectors.workshop_of_network(network, code=str(code))
        except Workshop.DoesNotExist as exc:
            raise exceptions.NotFound() from exc

    def workshop_response(self, network: Network, code: UUID, status_code: int = status.HTTP_200_OK) -> Response:
        workshop = self.get_workshop(network, code)
        return Response(WorkshopSerializer(workshop, context=self.serializer_context).data, status=status_code)


class NetworkWorkshopListView(NetworkWorkshopAPIView):
    """The network's workshops not over yet, soonest first (`?past=1`: the past ones, latest first);
    conseillers publish new ones."""

    @extend_schema(
        tags=["workshops"],
        parameters=[
            OpenApiParameter("past", OpenApiTypes.BOOL, description=gettext_lazy("true: the workshops that are over."))
        ],
        responses={200: WorkshopSerializer(many=True), **errors(401, 404)},
    )
    def get(self, request: Request, network_slug: str) -> Response:
        network = self.get_network(network_slug)
        past = request.query_params.get("past", "").lower() in {"1", "true"}
        rows = selectors.workshops_of_network(network, past=past)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(
            WorkshopSerializer(page, many=True, context=self.serializer_context).data
        )

    @extend_schema(
        tags=["workshops"],
        request=WorkshopWriteSerializer,
        responses={201: WorkshopSerializer, **errors(400, 401, 404)},
    )
    def post(self, request: Request, network_slug: str) -> Response:
        network = self.get_network(network_slug)
        data = valid_data(WorkshopWriteSerializer, request)
        workshop = services.publish_workshop(user=signed_in_user(request), network=network, details=_details(data))
        return self.workshop_response(network, workshop.code, status.HTTP_201_CREATED)


class NetworkWorkshopDetailView(NetworkWorkshopAPIView):
    """One of the network's workshops; PATCH changes it (the people signed up are told of a new date or place)."""

    @extend_schema(tags=["workshops"], responses={200: WorkshopSerializer, **errors(401, 404)})
    def get(self, request: Request, network_slug: str, code: UUID) -> Response:
        return self.workshop_response(self.get_network(network_slug), code)

    @extend_schema(
        tags=["workshops"],
        request=WorkshopUpdateSerializer,
        responses={200: WorkshopSerializer, **errors(400, 401, 404)},
    )
    def patch(self, request: Request, network_slug: str, code: UUID) -> Response:
        network = self.get_network(network_slug)
        workshop = self.get_workshop(network, code)
        data = valid_data(WorkshopUpdateSerializer, request)
        services.update_workshop(user=signed_in_user(request), workshop=workshop, details=_details(data, workshop))
        return self.workshop_response(network, code)


class NetworkWorkshopCancelView(NetworkWorkshopAPIView):
    """Cancel a workshop that has not started; everyone signed up is told."""

    @extend_schema(tags=["workshops"], request=None, responses={200: WorkshopSerializer, **errors(400, 401, 404)})
    def post(self, request: Request, network_slug: str, code: UUID) -> Response:
        network = self.get_network(network_slug)
        services.cancel_workshop(user=signed_in_user(request), workshop=self.get_workshop(network, code))
        return self.workshop_response(network, code)


class AttendanceView(NetworkWorkshopAPIView):
    """Who comes: registered people in order, then the waiting list in order."""

    @extend_schema(tags=["workshops"], responses={200: AttendeeSerializer(many=True), **errors(401, 404)})
    def get(self, request: Request, network_slug: str, code: UUID) -> Response:
        workshop = self.get_workshop(self.get_network(network_slug), code)
        return self.paginated(selectors.attendance_of(workshop), AttendeeSerializer)


class NetworkCalendarView(NetworkWorkshopAPIView):
    """The workshop as an iCalendar file, online link included."""

    renderer_classes = (renderers.JSONRenderer, CalendarRenderer)

    @extend_schema(tags=["workshops"], responses={**CALENDAR_RESPONSE, **errors(401, 404)})
    def get(self, request: Request, network_slug: str, code: UUID) -> HttpResponse:
        network = self.get_network(network_slug)
        workshop = self.get_workshop(network, code)
        url = request.build_absolute_uri(
            reverse("frontend:network_workshop", kwargs={"network_slug": network.slug, "code": workshop.code})
        )
        return _calendar(workshop, url, with_link=True)


MEMBER = "associations/<slug:association_slug>/workshops/"
NETWORK = "networks/<slug:network_slug>/workshops/"

urlpatterns = [
    path(MEMBER, MemberWorkshopListView.as_view(), name="workshop-list"),
    path(f"{MEMBER}registrations/", MyRegistrationListView.as_view(), name="workshop-my-registrations"),
    path(f"{MEMBER}<uuid:code>/", MemberWorkshopDetailView.as_view(), name="workshop-detail"),
    path(f"{MEMBER}<uuid:code>/registration/", RegistrationView.as_view(), name="workshop-registration"),
    path(f"{MEMBER}<uuid:code>/calendar.ics", MemberCalendarView.as_view(), name="workshop-calendar"),
    path(NETWORK, NetworkWorkshopListView.as_view(), name="network-workshop-list"),
    path(f"{NETWORK}<uuid:code>/", NetworkWorkshopDetailView.as_view(), name="network-workshop-detail"),
    path(f"{NETWORK}<uuid:code>/cancel/", NetworkWorkshopCancelView.as_view(), name="network-workshop-cancel"),
    path(f"{NETWORK}<uuid:code>/attendance/", AttendanceView.as_view(), name="network-workshop-attendance"),
    path(f"{NETWORK}<uuid:code>/calendar.ics", NetworkCalendarView.as_view(), name="network-workshop-calendar"),
]
