"""Opening hours in OpenStreetMap's `opening_hours` format, through `opening-hours-py`.

`opening-hours-py` (Python bindings of the Rust crate `opening-hours`) is a complete parser of the
specification: weekdays, months, public holidays (`PH off`, with France's calendar), comments,
`unknown`, fallbacks. It answers "open at this instant?" in a given time zone and lists the coming
intervals, which is all a page needs.

A place's hours are written in its own local time: Europe/Paris, or the overseas zone of its
postcode (`territory.time_zone_of`). A place without hours, or whose state the expression leaves
undecided, is `UNKNOWN`, never closed. Overseas public holidays are France's national ones (the
library has no calendar for the overseas collectivities' own days).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

import opening_hours

from .territory import time_zone_of, zone

COUNTRY = "FR"
# Raised on a syntax error; the package's generated stubs do not declare it (they say SyntaxError).
ParserError: type[Exception] = opening_hours.ParserError  # type: ignore[attr-defined]
_POSITION = re.compile(r"-->\s*\d+:(\d+)")


class OpenState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    UNKNOWN = "unknown"


def syntax_error_position(expression: str) -> int | None:
    """None when `expression` is valid; else the character (from 1) where the parser stopped."""
    try:
        opening_hours.OpeningHours(expression)
    except ParserError as exc:
        match = _POSITION.search(str(exc))
        return int(match.group(1)) if match else 1
    return None


@lru_cache(maxsize=4096)
def _parsed(expression: str, time_zone: str) -> opening_hours.OpeningHours | None:
    # Many places share the same hours ("Mo-Fr 09:00-12:00,14:00-17:00"): parse each once per zone.
    try:
        return opening_hours.OpeningHours(expression, timezone=zone(time_zone), country=COUNTRY)
    except ParserError:
        return None


@dataclass(frozen=True)
class Status:
    """A place's state at an instant, and when it changes next (in the place's time zone)."""

    state: OpenState
    comment: str = ""
    next_change: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.state == OpenState.OPEN


UNKNOWN = Status(OpenState.UNKNOWN)
_STATES = {
    opening_hours.State.OPEN: OpenState.OPEN,
    opening_hours.State.CLOSED: OpenState.CLOSED,
    opening_hours.State.UNKNOWN: OpenState.UNKNOWN,
}


def _hours_of(expression: str, postcode: str) -> tuple[opening_hours.OpeningHours | None, ZoneInfo]:
    tz = time_zone_of(postcode)
    return (_parsed(expression, tz.key) if expression.strip() else None), tz


def status_at(expression: str, postcode: str, when: datetime) -> Status:
    """The state of a place with these hours and this postcode at `when` (an aware datetime)."""
    hours, tz = _hours_of(expression, postcode)
    if hours is None:
        return UNKNOWN
    local = when.astimezone(tz)
    state, comment = hours.state(local)
    next_change = hours.next_change(local)
    return Status(
        state=_STATES.get(state, OpenState.UNKNOWN),
        comment=comment,
        next_change=next_change.astimezone(tz) if next_change is not None else None,
    )


@dataclass(frozen=True)
class Slot:
    start: time
    end: time  # time.max stands for midnight at the end of the day
    state: OpenState
    comment: str = ""

    @property
    def ends_at_midnight(self) -> bool:
        return self.end == time.max


@dataclass
class Day:
    day: date
    slots: list[Slot] = field(default_factory=list)

    @property
    def open_slots(self) -> list[Slot]:
        return [slot for slot in self.slots if slot.state != OpenState.CLOSED]

    @property
    def closed(self) -> bool:
        return not self.open_slots


def week_from(expression: str, postcode: str, start: date, days: int = 7) -> list[Day]:
    """The `days` days from `start` (in the place's time zone), each with its slots; [] when the
    hours are unknown. Closed slots are kept so a template can say "closed" for a whole day."""
    hours, tz = _hours_of(expression, postcode)
    if hours is None:
        return []
    begin = datetime.combine(start, time.min, tzinfo=tz)
    end = datetime.combine(start + timedelta(days=days), time.min, tzinfo=tz)
    week = [Day(start + timedelta(days=offset)) for offset in range(days)]
    for slot_start, slot_end, state, comment in hours.intervals(begin, end):
        slot_start, slot_end = slot_start.astimezone(tz), (slot_end or end).astimezone(tz)
        # An interval may span several days (closed from Saturday noon to Monday 9:00): cut it at midnight.
        cursor = slot_start
        while cursor < slot_end:
            midnight = datetime.combine(cursor.date() + timedelta(days=1), time.min, tzinfo=tz)
            piece_end = min(slot_end, midnight)
            index = (cursor.date() - start).days
            if 0 <= index < days:
                week[index].slots.append(
                    Slot(
                        start=cursor.time(),
                        end=time.max if piece_end == midnight else piece_end.time(),
                        state=_STATES.get(state, OpenState.UNKNOWN),
                        comment=comment,
                    )
                )
            cursor = piece_end
    return week
