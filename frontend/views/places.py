"""Digital-mediation places: the public list and page, the CSV export, and the import.

Places are open data: anyone reads and exports them, signed in or not. Importing a file is for
platform staff and conseillers (`shared_tools.permissions.can_import_places`, re-checked by the
service). Opening hours are shown in the place's own local time, whatever the visitor's.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from shared_tools.models import Place
from shared_tools.permissions import can_import_places
from shared_tools.places import selectors
from shared_tools.places.hours import Status, week_from
from shared_tools.places.services import import_places
from shared_tools.places.standard import UPLOAD_LIMITS, PlaceFileError, read_upload, write_places
from shared_tools.places.territory import METROPOLITAN_TIME_ZONE

from ..access import AuthedRequest
from ..forms_places import PlaceFilterForm, PlaceImportForm

PAGE_SIZE = 20
# Errors listed on the import page; the rest are counted (a file of wrong columns can have thousands).
ERRORS_SHOWN = 500

# `typologie` follows data.inclusion's vocabulary of structure kinds, which the standard's schema
# does not list: the usual ones get a readable label, any other code is shown as it is.
TYPOLOGY_LABELS = {
    "ASSO": gettext_lazy("Association"),
    "BIB": gettext_lazy("Library"),
    "CAF": gettext_lazy("Family allowance office (CAF)"),
    "CCAS": gettext_lazy("Municipal social action centre (CCAS)"),
    "CIAS": gettext_lazy("Intermunicipal social action centre (CIAS)"),
    "CS": gettext_lazy("Social centre"),
    "FT": gettext_lazy("France Travail"),
    "MJC": gettext_lazy("Youth and culture centre (MJC)"),
    "MUNI": gettext_lazy("Town hall"),
    "PE": gettext_lazy("France Travail"),
    "RFS": gettext_lazy("France Services"),
    "TIERS_LIEUX": gettext_lazy("Third place (tiers-lieu)"),
}


def phone_for_people(phone: str) -> str:
    """+33247000000 as French people write it (02 47 00 00 00); other numbers as they are."""
    if phone.startswith("+33") and len(phone) == 12:
        national = "0" + phone[3:]
        return " ".join(national[i : i + 2] for i in range(0, 10, 2))
    return phone


@dataclass(frozen=True)
class PlaceRow:
    place: Place
    status: Status


def _filtered(request: HttpRequest) -> tuple[PlaceFilterForm, selectors.PlaceFilters]:
    form = PlaceFilterForm(request.GET or None)
    return form, form.filters(now=timezone.now())


def place_list(request: HttpRequest) -> HttpResponse:
    form, filters = _filtered(request)
    page = Paginator(selectors.places_list(filters), PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    context = {
        "form": form,
        "page": page,
        "rows": [PlaceRow(place, selectors.place_status(place, when=now)) for place in page.object_list],
        "can_import": can_import_places(request.user),
    }
    return render(request, "places/list.html", context, status=400 if form.errors else 200)


def place_detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        place = selectors.place_by_code(code=code)
    except Place.DoesNotExist as exc:
        raise Http404 from exc
    now = timezone.now()
    local_today = now.astimezone(place.time_zone).date()
    context = {
        "place": place,
        "status": selectors.place_status(place, when=now),
        "week": week_from(place.opening_hours, place.postcode, local_today),
        "today": local_today,
        "overseas_zone": place.time_zone.key if place.time_zone.key != METROPOLITAN_TIME_ZONE else "",
        "typologies": [TYPOLOGY_LABELS.get(code, code) for code in place.typologies],
        "services": [offer.get_service_display() for offer in place.service_offers.all()],
        "phone": phone_for_people(place.phone),
    }
    return render(request, "places/detail.html", context)


def place_export(request: HttpRequest) -> HttpResponse:
    """The listed places (same filters) as the standard's CSV."""
    _form, filters = _filtered(request)
    out = io.StringIO()
    write_places(selectors.places_list(filters), out)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="lieux-mediation-numerique.csv"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def place_import(request: AuthedRequest) -> HttpResponse:
    if not can_import_places(request.user):
        raise PermissionDenied
    form = PlaceImportForm(request.POST or None, request.FILES or None)
    errors: list = []
    if request.method == "POST" and form.is_valid():
        try:
            content = read_upload(form.cleaned_data["file"], UPLOAD_LIMITS)
            report = import_places(user=request.user, content=content)
        except PlaceFileError as exc:
            errors = exc.errors
        else:
            messages.success(
                request,
                _("Import done: %(created)d new places, %(updated)d updated, %(unchanged)d unchanged.")
                % {"created": report.created, "updated": report.updated, "unchanged": report.unchanged},
            )
            return redirect("frontend:place_list")
    context = {
        "form": form,
        "errors": errors[:ERRORS_SHOWN],
        "errors_count": len(errors),
        "errors_hidden": max(0, len(errors) - ERRORS_SHOWN),
        "limits": UPLOAD_LIMITS,
        "max_megabytes": UPLOAD_LIMITS.max_bytes // (1024 * 1024),
    }
    return render(request, "places/import.html", context, status=400 if errors or form.errors else 200)
