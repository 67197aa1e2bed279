"""Writes of places: the import of a file in the national standard's CSV.

All or nothing: the whole file is read and validated (`standard.read_places`, every error with its
line) before one transaction writes it. Idempotent on the standard's `id`: a known id updates its
place, an unchanged line touches nothing, so importing the same file twice changes nothing. Places
absent from a file are kept (a file is one producer's places, not the whole list).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Place, PlaceServiceOffer
from ..permissions import can_import_places
from .standard import UPLOAD_LIMITS, Limits, PlaceError, PlaceFileError, PlaceRecord, read_places

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from hub.models import User


@dataclass(frozen=True)
class PlaceImportReport:
    created: int
    updated: int
    unchanged: int

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


def import_places(
    *, user: User | AnonymousUser | None, content: bytes, limits: Limits = UPLOAD_LIMITS
) -> PlaceImportReport:
    """Create or update the places of a standard CSV file, all or nothing.

    `user` is the person importing through a page or the API (re-checked: staff or conseiller);
    None only for the command line and the demo load, run by the operator.
    Raises PermissionDenied, PlaceFileError (with every error of the file; nothing written).
    """
    if user is not None and not can_import_places(user):
        raise PermissionDenied
    records = read_places(content, limits=limits)
    try:
        return _write(records)
    except IntegrityError as exc:
        # Another import created one of these ids between our read and our insert.
        raise PlaceFileError(
            [PlaceError(None, "", "", _("Another import of the same places ran at the same time; try again."))]
        ) from exc


def _changed(place: Place, record: PlaceRecord, services: list[str]) -> bool:
    return services != record.services or any(
        getattr(place, attribute) != value for attribute, value in record.values.items()
    )


@transaction.atomic
def _write(records: list[PlaceRecord]) -> PlaceImportReport:
    now = timezone.now()
    ids = [record.local_id for record in records]
    # Locked so that two imports of the same ids update them one after the other.
    existing = {
        place.local_id: place
        for place in Place.objects.select_for_update().filter(local_id__in=ids).prefetch_related("service_offers")
    }
    new_places: list[Place] = []
    new_services: dict[str, list[str]] = {}
    updated: list[Place] = []
    unchanged = 0
    for record in records:
        place = existing.get(record.local_id)
        if place is None:
            place = Place(**record.values, imported_at=now)
            place.refresh_derived()
            new_places.append(place)
            new_services[record.local_id] = record.services
            continue
        current_services = [offer.service for offer in place.service_offers.all()]
        if not _changed(place, record, current_services):
            unchanged += 1
            continue
        for attribute, value in record.values.items():
            setattr(place, attribute, value)
        place.imported_at = now
        place.refresh_derived()
        updated.append(place)
        if current_services != record.services:
            new_services[record.local_id] = record.services
    created = Place.objects.bulk_create(new_places, batch_size=500)
    if updated:
        fields: list[Any] = [*records[0].values.keys(), "imported_at", "department", "commune_key"]
        Place.objects.bulk_update(updated, fields, batch_size=500)
    # Services keep the file's order (the export writes them back in it): replaced, not merged.
    by_id = {place.local_id: place for place in [*created, *updated]}
    PlaceServiceOffer.objects.filter(
        place__in=[by_id[local_id] for local_id in new_services if local_id in existing]
    ).delete()
    PlaceServiceOffer.objects.bulk_create(
        [
            PlaceServiceOffer(place=by_id[local_id], service=service)
            for local_id, services in new_services.items()
            for service in services
        ],
        batch_size=1000,
    )
    return PlaceImportReport(created=len(created), updated=len(updated), unchanged=unchanged)
