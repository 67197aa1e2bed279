"""What a roadmap step of kind `workshop` or `place` points to, for one association.

Reads only: the roadmap service calls these inside the association's scope.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db.models import Case, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.text import slugify

from ..models import Place, PlaceServiceOffer, Workshop, WorkshopStatus
from ..workshops.selectors import followed_by

if TYPE_CHECKING:
    from hub.models import Association


def next_workshop_for(association: Association, tool_slugs: Sequence[str] = ()) -> Workshop | None:
    """The soonest upcoming workshop of a network that follows the association (consent standing).

    A workshop about one of `tool_slugs` comes first; without one, any upcoming workshop will do.
    """
    upcoming = Workshop.objects.filter(
        followed_by(association.pk), status=WorkshopStatus.PUBLISHED, starts_at__gt=timezone.now()
    )
    if tool_slugs:
        on_tool = Case(
            When(tool__slug__in=list(tool_slugs), then=Value(0)), default=Value(1), output_field=IntegerField()
        )
        upcoming = upcoming.annotate(on_tool=on_tool).order_by("on_tool", "starts_at", "pk")
    else:
        upcoming = upcoming.order_by("starts_at", "pk")
    return upcoming.first()


def place_for(association: Association, services: Sequence[str] = ()) -> Place | None:
    """A mediation place of the association's département offering one of `services`.

    A place in the association's own commune comes first. None when the association has no
    département or the département has no such place.
    """
    departement = (association.departement or "").strip().upper()
    if not departement:
        return None
    places = Place.objects.filter(department=departement)
    if services:
        offering = PlaceServiceOffer.objects.filter(service__in=list(services)).values("place_id")
        places = places.filter(pk__in=offering)
    same_commune = Q(commune_key=slugify(association.commune)) if association.commune else Q(pk__in=[])
    here = Case(When(same_commune, then=Value(0)), default=Value(1), output_field=IntegerField())
    return places.annotate(here=here).order_by("here", "commune", "name", "pk").first()
