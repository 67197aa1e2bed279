"""Reads of places: the filtered list (pages, API, export), one place, and "open now".

The list runs a fixed number of queries whatever its length: services come in one prefetch. The
"open now" filter evaluates opening hours in Python (they are OSM expressions, not SQL), on one
narrow query of the candidates' hours, then filters the list by primary key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils.text import slugify

from ..models import Place
from .hours import OpenState, Status, status_at
from .territory import DEPARTMENT_CODE

POSTCODE = re.compile(r"^\d{5}$", re.ASCII)


@dataclass(frozen=True)
class PlaceFilters:
    commune: str = ""
    postcode: str = ""
    department: str = ""
    service: str = ""
    open_at: datetime | None = None


def parse_where(text: str) -> PlaceFilters:
    """One search box for people: "37000" is a postcode, "37" / "2A" / "971" a département,
    anything else the start of a commune's name ("saint cyr" finds Saint-Cyr-sur-Loire)."""
    text = text.strip()
    if POSTCODE.match(text):
        return PlaceFilters(postcode=text)
    if DEPARTMENT_CODE.match(text):
        return PlaceFilters(department=text.upper())
    return PlaceFilters(commune=text)


def filter_places(places: QuerySet[Place], filters: PlaceFilters) -> QuerySet[Place]:
    """The list's filters, shared by the pages, the API's FilterSet and the export."""
    key = slugify(filters.commune)
    if key:
        places = places.filter(commune_key__startswith=key)
    if filters.postcode:
        places = places.filter(postcode=filters.postcode)
    if filters.department:
        places = places.filter(department=filters.department.upper())
    if filters.service:
        # (place, service) is unique: the join cannot repeat a place.
        places = places.filter(service_offers__service=filters.service)
    if filters.open_at is not None:
        places = places.filter(pk__in=open_place_ids(places, when=filters.open_at))
    return places


def open_place_ids(places: QuerySet[Place], *, when: datetime) -> list[int]:
    """Primary keys of `places` open at `when` (a place with unknown hours is not open)."""
    candidates = places.exclude(opening_hours="").order_by().values_list("pk", "opening_hours", "postcode")
    return [
        pk for pk, expression, postcode in candidates if status_at(expression, postcode, when).state == OpenState.OPEN
    ]


def places_list(filters: PlaceFilters | None = None) -> QuerySet[Place]:
    """Places by commune then name, with their services."""
    places = Place.objects.prefetch_related("service_offers").order_by("commune", "name", "pk")
    return filter_places(places, filters) if filters is not None else places


def place_by_code(*, code: str) -> Place:
    """One place with its services. Raises Place.DoesNotExist."""
    return Place.objects.prefetch_related("service_offers").get(code=code)


def place_status(place: Place, *, when: datetime) -> Status:
    return status_at(place.opening_hours, place.postcode, when)


def places_count() -> int:
    return Place.objects.count()
