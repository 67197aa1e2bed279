"""Workshop pages: members find and join them from their association; conseillers run them from
their network's space.

Members (`/a/<slug>/workshops/…`): the upcoming workshops of the networks that follow the
association, with the seats left; one's registrations; the workshop page with register / cancel
forms and its .ics file. Conseillers (`/n/<network>/workshops/…`): the network's workshops, the
form to publish or change one, cancelling, the attendance list with the waiting list and its CSV
for the sign-in sheet. Thin views: a form checks the shape, `shared_tools.workshops.services`
decides (re-checking `shared_tools.permissions`), the view redirects.
"""

from __future__ import annotations

import csv
from datetime import datetime, time
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hub import selectors as hub_selectors
from hub.models import Association, Network
from hub.permissions import Access
from shared_tools.exports import BOM, DELIMITER
from shared_tools.models import (
    Place,
    RegistrationStatus,
    TutorialAudience,
    TutorialLevel,
    Workshop,
    WorkshopRegistration,
    WorkshopStatus,
)
from shared_tools.permissions import can_cancel_registration, can_register_for_workshop, can_see_workshops
from shared_tools.workshops import selectors, services
from shared_tools.workshops.calendar import workshop_calendar

from ..access import AuthedRequest, association_view, template_access
from .common import add_service_errors
from .governance import ToolNameField, tool_names

# Members ---------------------------------------------------------------------------------------


def _require_member(access: Access) -> None:
    if not can_see_workshops(access):
        raise PermissionDenied


def _member_workshop(access: Access, user: Any, code: Any) -> Workshop:
    """The workshop as this member sees it through the association, else 404 (same as unknown)."""
    _require_member(access)
    try:
        return selectors.workshop_for_member(access.association, user, code=str(code))
    except Workshop.DoesNotExist:
        raise Http404 from None


def _member_url(association: Association, workshop: Workshop) -> str:
    return reverse("frontend:workshop_detail", kwargs={"association_slug": association.slug, "code": workshop.code})


@association_view("hub.association:view")
def workshop_list(request: AuthedRequest, access: Access) -> HttpResponse:
    _require_member(access)
    workshops = list(selectors.upcoming_for_member(access.association, request.user))
    context = template_access(access) | {"workshops": workshops}
    return render(request, "workshops/list.html", context)


@association_view("hub.association:view")
def my_workshops(request: AuthedRequest, access: Access) -> HttpResponse:
    _require_member(access)
    context = template_access(access) | {"registrations": list(selectors.registrations_of(request.user))}
    return render(request, "workshops/mine.html", context)


@association_view("hub.association:view")
def workshop_detail(request: AuthedRequest, access: Access, code: Any) -> HttpResponse:
    workshop = _member_workshop(access, request.user, code)
    registration = selectors.my_registration(workshop, request.user)
    if registration is not None and registration.status not in selectors.ACTIVE_STATUSES:
        registration = None
    now = timezone.now()
    context = template_access(access) | {
        "workshop": workshop,
        "registration": registration,
        "position": selectors.waiting_position(registration) if registration else None,
        "through_other": registration is not None and registration.association_id != access.association.pk,
        "can_register": registration is None and can_register_for_workshop(access, workshop, now=now),
        "can_cancel": can_cancel_registration(registration, now=now),
        "started": workshop.starts_at <= now,
    }
    return render(request, "workshops/detail.html", context)


@require_POST
@association_view("hub.association:view")
def workshop_register(request: AuthedRequest, access: Access, code: Any) -> HttpResponse:
    workshop = _member_workshop(access, request.user, code)
    try:
        registration = services.register_for_workshop(access=access, workshop=workshop)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if registration.status == RegistrationStatus.REGISTERED:
            messages.success(
                request, _("You are registered. Add the workshop to your calendar so you do not forget it.")
            )
        else:
            messages.success(
                request,
                _(
                    "The workshop is full: you are on the waiting list. "
                    "If a seat frees up it is yours, and you will be told."
                ),
            )
    return redirect(_member_url(access.association, workshop))


@require_POST
@association_view("hub.association:view")
def workshop_unregister(request: AuthedRequest, access: Access, code: Any) -> HttpResponse:
    workshop = _member_workshop(access, request.user, code)
    try:
        services.cancel_registration(user=request.user, workshop=workshop)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Your registration is cancelled. Thank you for freeing the seat."))
    return redirect(_member_url(access.association, workshop))


def _calendar_response(workshop: Workshop, url: str, *, with_link: bool) -> HttpResponse:
    filename = f"atelier-{slugify(workshop.title)[:60] or 'asso-hub'}.ics"
    return HttpResponse(
        workshop_calendar(workshop, url=url, now=timezone.now(), with_link=with_link),
        content_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@require_GET
@association_view("hub.association:view")
def workshop_calendar_file(request: AuthedRequest, access: Access, code: Any) -> HttpResponse:
    workshop = _member_workshop(access, request.user, code)
    url = request.build_absolute_uri(_member_url(access.association, workshop))
    registered = getattr(workshop, "my_status", "") == RegistrationStatus.REGISTERED
    return _calendar_response(workshop, url, with_link=registered)


# Conseillers -----------------------------------------------------------------------------------


def _advised_network(request: AuthedRequest, network_slug: str) -> Network:
    """A network the user is a conseiller of; any other (or unknown) answers 404."""
    network = hub_selectors.networks_of_advisor(request.user).filter(slug=network_slug).first()
    if network is None:
        raise Http404
    return network


def _network_workshop(network: Network, code: Any) -> Workshop:
    try:
        return selectors.workshop_of_network(network, code=str(code))
    except Workshop.DoesNotExist:
        raise Http404 from None


def _network_url(workshop: Workshop, network: Network) -> str:
    return reverse("frontend:network_workshop", kwargs={"network_slug": network.slug, "code": workshop.code})


def place_choices(network: Network, current: Place | None = None) -> list[tuple[str, Any]]:
    """Places of the départements of the associations the network follows, grouped by commune
    (plus the workshop's current place). Values are place codes, never ids."""
    ids = hub_selectors.followed_association_ids(network)
    departements = set(
        Association.objects.filter(pk__in=ids).exclude(departement="").values_list("departement", flat=True)
    )
    places = Place.objects.filter(department__in=departements)
    if current is not None:
        places = places | Place.objects.filter(pk=current.pk)
    groups: dict[str, list[tuple[str, str]]] = {}
    for code, name, commune in places.order_by("commune", "name", "pk").values_list("code", "name", "commune"):
        groups.setdefault(commune, []).append((str(code), name))
    return [("", _("No place from the list")), *groups.items()]


class WorkshopForm(forms.Form):
    """A workshop on one page. Date and times are read in the conseiller's own time zone."""

    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("What participants will learn, what to bring."),
    )
    tool = ToolNameField(
        label=gettext_lazy("Tool of the catalogue (optional)"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"list": "catalogue-tools", "autocomplete": "off"}),
    )
    level = forms.ChoiceField(label=gettext_lazy("Level"), choices=TutorialLevel.choices)
    audience = forms.ChoiceField(label=gettext_lazy("For whom"), choices=TutorialAudience.choices)
    date = forms.DateField(
        label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    start_time = forms.TimeField(
        label=gettext_lazy("Starts at"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    end_time = forms.TimeField(
        label=gettext_lazy("Ends at"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    capacity = forms.IntegerField(label=gettext_lazy("Seats"), min_value=1, max_value=10000)
    place = forms.ChoiceField(
        label=gettext_lazy("Place"),
        required=False,
        help_text=gettext_lazy("Digital-mediation places of the départements your network follows."),
    )
    location_detail = forms.CharField(
        label=gettext_lazy("Room, or address if the place is not in the list"), required=False, max_length=300
    )
    online_url = forms.URLField(
        label=gettext_lazy("Online meeting link"),
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=gettext_lazy("For a workshop online (or both): the address of the video call."),
    )

    def __init__(self, *args: Any, network: Network, current: Place | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["place"].choices = place_choices(network, current)  # type: ignore[attr-defined]

    def clean_place(self) -> Place | None:
        code = self.cleaned_data.get("place") or ""
        return Place.objects.filter(code=code).first() if code else None

    def details(self) -> services.WorkshopDetails:
        data = self.cleaned_data
        return services.WorkshopDetails(
            title=data["title"],
            description=data["description"],
            tool=data["tool"],
            level=data["level"],
            audience=data["audience"],
            starts_at=_aware(data["date"], data["start_time"]),
            ends_at=_aware(data["date"], data["end_time"]),
            capacity=data["capacity"],
            place=data["place"],
            location_detail=data["location_detail"],
            online_url=data["online_url"],
        )


def _aware(day: Any, moment: time) -> datetime:
    # The current time zone is the signed-in person's (hub.middleware).
    return timezone.make_aware(datetime.combine(day, moment))


def initial_from_workshop(workshop: Workshop) -> dict[str, Any]:
    starts, ends = timezone.localtime(workshop.starts_at), timezone.localtime(workshop.ends_at)
    return {
        "title": workshop.title,
        "description": workshop.description,
        "tool": workshop.tool.name if workshop.tool else "",
        "level": workshop.level,
        "audience": workshop.audience,
        "date": starts.date(),
        "start_time": starts.time(),
        "end_time": ends.time(),
        "capacity": workshop.capacity,
        "place": str(workshop.place.code) if workshop.place else "",
        "location_detail": workshop.location_detail,
        "online_url": workshop.online_url,
    }


def _network_context(network: Network, **extra: Any) -> dict[str, Any]:
    return {"network": network, **extra}


@login_required
def network_workshops(request: AuthedRequest, network_slug: str) -> HttpResponse:
    network = _advised_network(request, network_slug)
    context = _network_context(
        network,
        upcoming=list(selectors.workshops_of_network(network)),
        past=list(selectors.workshops_of_network(network, past=True)[:20]),
    )
    return render(request, "workshops/network_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def network_workshop_new(request: AuthedRequest, network_slug: str) -> HttpResponse:
    network = _advised_network(request, network_slug)
    form = WorkshopForm(request.POST or None, network=network, initial={"capacity": 12})
    if request.method == "POST" and form.is_valid():
        try:
            workshop = services.publish_workshop(user=request.user, network=network, details=form.details())
        except ValidationError as exc:
            add_service_errors(form, _with_date_fields(exc))
        else:
            messages.success(
                request, _("The workshop is published. The members of the associations you follow have been told.")
            )
            return redirect(_network_url(workshop, network))
    context = _network_context(network, form=form, tool_names=tool_names(), editing=None)
    return render(request, "workshops/form.html", context, status=400 if form.errors else 200)


def _with_date_fields(exc: ValidationError) -> ValidationError:
    """The service names `starts_at` / `ends_at`; the form has a date and two times."""
    if not hasattr(exc, "error_dict"):
        return exc
    renamed = {"starts_at": "date", "ends_at": "end_time"}
    return ValidationError({renamed.get(field, field): errors for field, errors in exc.error_dict.items()})


@login_required
def network_workshop(request: AuthedRequest, network_slug: str, code: Any) -> HttpResponse:
    network = _advised_network(request, network_slug)
    workshop = _network_workshop(network, code)
    people = list(selectors.attendance_of(workshop))
    context = _network_context(
        network,
        workshop=workshop,
        registered=[r for r in people if r.status == RegistrationStatus.REGISTERED],
        waiting=[r for r in people if r.status == RegistrationStatus.WAITING],
        editable=workshop.status == WorkshopStatus.PUBLISHED and workshop.ends_at > timezone.now(),
        cancellable=workshop.status == WorkshopStatus.PUBLISHED and workshop.starts_at > timezone.now(),
    )
    return render(request, "workshops/network_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def network_workshop_edit(request: AuthedRequest, network_slug: str, code: Any) -> HttpResponse:
    network = _advised_network(request, network_slug)
    workshop = _network_workshop(network, code)
    form = WorkshopForm(
        request.POST or None, network=network, current=workshop.place, initial=initial_from_workshop(workshop)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_workshop(user=request.user, workshop=workshop, details=form.details())
        except ValidationError as exc:
            add_service_errors(form, _with_date_fields(exc))
        else:
            messages.success(
                request,
                _("The workshop has been saved. If its date or place changed, the people signed up have been told."),
            )
            return redirect(_network_url(workshop, network))
    context = _network_context(network, form=form, tool_names=tool_names(), editing=workshop)
    return render(request, "workshops/form.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def network_workshop_cancel(request: AuthedRequest, network_slug: str, code: Any) -> HttpResponse:
    network = _advised_network(request, network_slug)
    workshop = _network_workshop(network, code)
    if request.method == "POST":
        try:
            services.cancel_workshop(user=request.user, workshop=workshop)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The workshop is cancelled. The people signed up have been told."))
        return redirect(_network_url(workshop, network))
    return render(request, "workshops/network_cancel.html", _network_context(network, workshop=workshop))


# French headers whatever the language of the page: the sheet is printed for a French room (see
# shared_tools/exports.py for the format: BOM, `;`, formulas neutralised).
ATTENDANCE_HEADERS = ["Nom", "Association", "Inscription", "Inscrit le", "Signature"]
ATTENDANCE_STATUS = {RegistrationStatus.REGISTERED: "Inscrit·e", RegistrationStatus.WAITING: "Liste d'attente"}
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def attendance_rows(registrations: list[WorkshopRegistration]) -> list[list[str]]:
    lines = [ATTENDANCE_HEADERS]
    for registration in registrations:
        lines.append(
            [
                _cell(registration.user.display_name),
                _cell(registration.association.name if registration.association else ""),
                ATTENDANCE_STATUS.get(RegistrationStatus(registration.status), ""),
                timezone.localtime(registration.queued_at).strftime("%d/%m/%Y %H:%M"),
                "",
            ]
        )
    return lines


@login_required
def network_workshop_attendance_csv(request: AuthedRequest, network_slug: str, code: Any) -> HttpResponse:
    network = _advised_network(request, network_slug)
    workshop = _network_workshop(network, code)
    rows = attendance_rows(list(selectors.attendance_of(workshop)))
    day = timezone.localtime(workshop.starts_at)
    filename = f"emargement-{slugify(workshop.title)[:50]}-{day:%Y-%m-%d}.csv"
    response = HttpResponse(
        content_type="text/csv; charset=utf-8", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
    response.write(BOM)
    csv.writer(response, delimiter=DELIMITER, lineterminator="\r\n").writerows(rows)
    return response


@login_required
@require_GET
def network_workshop_calendar(request: AuthedRequest, network_slug: str, code: Any) -> HttpResponse:
    network = _advised_network(request, network_slug)
    workshop = _network_workshop(network, code)
    return _calendar_response(workshop, request.build_absolute_uri(_network_url(workshop, network)), with_link=True)
