"""One iCalendar file (RFC 5545) per workshop, built with the `icalendar` library.

The UID comes from the workshop's code, so each download describes the same event; SEQUENCE is
the workshop's `sequence` (bumped by every change of what a calendar shows, and by the
cancellation), so a calendar app replaces the copy it has; a cancelled workshop is sent with
STATUS:CANCELLED. Times are in UTC: no time-zone definition to get wrong.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from ..models import Workshop, WorkshopStatus

PRODID = "-//Asso Hub//Ateliers//FR"


def uid_of(workshop: Workshop) -> str:
    return f"workshop-{workshop.code}@asso-hub"


def location_of(workshop: Workshop, *, with_link: bool = True) -> str:
    """Where, in one line: the place (name, address, commune) with the room, else the online link
    (or the word "online" for someone who may not have the link)."""
    parts: list[str] = []
    if workshop.location_detail:
        parts.append(workshop.location_detail)
    place = workshop.place
    if place is not None:
        parts.append(place.name)
        parts.append(", ".join(p for p in (place.address, place.address_complement) if p))
        parts.append(f"{place.postcode} {place.commune}".strip())
    if not parts and workshop.online_url:
        parts.append(workshop.online_url if with_link else _("Online"))
    return ", ".join(p for p in parts if p)


def workshop_calendar(workshop: Workshop, *, url: str, now: datetime, with_link: bool = True) -> bytes:
    """The workshop as a VCALENDAR holding one VEVENT. Reads `workshop.place` (select it).

    `with_link=False` leaves the online meeting link out (it is given to registered people only).
    """
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", uid_of(workshop))
    event.add("sequence", workshop.sequence)
    event.add("dtstamp", now.astimezone(UTC))
    event.add("last-modified", workshop.updated_at.astimezone(UTC))
    event.add("dtstart", workshop.starts_at.astimezone(UTC))
    event.add("dtend", workshop.ends_at.astimezone(UTC))
    event.add("summary", workshop.title)
    description = [workshop.description.strip()] if workshop.description.strip() else []
    if workshop.online_url and with_link:
        description.append(workshop.online_url)
    if url:
        description.append(url)
        event.add("url", url)
    if description:
        event.add("description", "\n\n".join(description))
    location = location_of(workshop, with_link=with_link)
    if location:
        event.add("location", location)
    place = workshop.place
    if place is not None and place.latitude is not None and place.longitude is not None:
        event.add("geo", (place.latitude, place.longitude))
    event.add("status", "CANCELLED" if workshop.status == WorkshopStatus.CANCELLED else "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical()
