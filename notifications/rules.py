"""The routing decision: how one notification reaches one member. Pure: no database, no clock.

`route()` is the only place that decides between an email now, an email held until the quiet
hours end, the next summary email, the site only, or nothing. The fan-out feeds it what it read
in bulk; the preferences page feeds it past notifications to preview a week.

Rules, in order (each one is a row of `tests/notifications/test_rules.py`):
1. a muted target → nothing at all;
2. mode "off" → nothing, unless the member follows the target (then as "digest");
3. mode "in_app" → on the site only;
4. paused (today ≤ `paused_until`, in the member's time zone) → on the site, kept for the first
   summary after the pause, no push;
5. mode "digest" → on the site and in the next summary;
6. mode "immediate" → an email now, or when the quiet hours end (quiet hours may cross
   midnight), unless the member's daily cap of immediate emails is reached for that local day:
   then it goes to the next summary.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .models import DigestFrequency, Mode, Route, SubscriptionState


@dataclass(frozen=True)
class Attention:
    """A person's delivery settings, as `NotificationSettings` holds them (defaults when no row)."""

    time_zone: str = "Europe/Paris"
    daily_email_cap: int = 3
    quiet_start: time | None = time(21, 0)
    quiet_end: time | None = time(8, 0)
    paused_until: date | None = None
    digest_frequency: str = DigestFrequency.WEEKLY
    digest_hour: int = 8
    digest_weekday: int = 0

    @property
    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("Europe/Paris")


@dataclass(frozen=True)
class Delivery:
    """What to do with one notification. `inbox=False` means no row at all."""

    inbox: bool
    route: str = ""
    push: bool = False
    email_at: datetime | None = None
    digest: bool = False


NOTHING = Delivery(inbox=False)


def is_paused(attention: Attention, now: datetime) -> bool:
    return attention.paused_until is not None and now.astimezone(attention.zone).date() <= attention.paused_until


def in_quiet_hours(attention: Attention, local: datetime) -> bool:
    start, end = attention.quiet_start, attention.quiet_end
    if start is None or end is None or start == end:
        return False
    moment = local.time()
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end  # across midnight, e.g. 21:00 → 08:00


def quiet_hours_end(attention: Attention, now: datetime) -> datetime:
    """When the quiet hours that contain `now` end (aware, in the member's zone)."""
    assert attention.quiet_end is not None  # noqa: S101 (only called inside quiet hours)
    local = now.astimezone(attention.zone)
    end = datetime.combine(local.date(), attention.quiet_end, tzinfo=attention.zone)
    if end <= local:
        end = datetime.combine(local.date() + timedelta(days=1), attention.quiet_end, tzinfo=attention.zone)
    return end


def route(
    *,
    mode: str,
    attention: Attention,
    now: datetime,
    subscription: str | None = None,
    emails_by_day: Mapping[date, int] | None = None,
) -> Delivery:
    """Decide how one notification reaches one member.

    `emails_by_day`: immediate emails already planned for the member, by local day.
    """
    if subscription == SubscriptionState.MUTE:
        return NOTHING
    if mode == Mode.OFF:
        if subscription != SubscriptionState.FOLLOW:
            return NOTHING
        mode = Mode.DIGEST
    if mode == Mode.IN_APP:
        return Delivery(inbox=True, route=Route.IN_APP, push=True)
    if is_paused(attention, now):
        return Delivery(inbox=True, route=Route.PAUSED, push=False, digest=True)
    if mode == Mode.DIGEST:
        return Delivery(inbox=True, route=Route.DIGEST, push=True, digest=True)
    # Immediate.
    local = now.astimezone(attention.zone)
    due, held = now, False
    if in_quiet_hours(attention, local):
        due, held = quiet_hours_end(attention, now), True
    planned = (emails_by_day or {}).get(due.astimezone(attention.zone).date(), 0)
    if planned >= attention.daily_email_cap:
        return Delivery(inbox=True, route=Route.CAP_REACHED, push=True, digest=True)
    return Delivery(inbox=True, route=Route.HELD if held else Route.IMMEDIATE, push=True, email_at=due)


# Summary periods ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DigestSlot:
    period: str  # the DigestRun key: "daily:2026-03-02", "weekly:2026-W10"
    at: datetime  # the slot's instant: also the run's cutoff


def latest_digest_slot(attention: Attention, now: datetime) -> DigestSlot | None:
    """The member's most recent summary time at or before `now`, or None when they want none."""
    if attention.digest_frequency == DigestFrequency.NEVER:
        return None
    zone = attention.zone
    local = now.astimezone(zone)
    at = datetime.combine(local.date(), time(attention.digest_hour), tzinfo=zone)
    if attention.digest_frequency == DigestFrequency.DAILY:
        if at > local:
            at -= timedelta(days=1)
            at = datetime.combine(at.date(), time(attention.digest_hour), tzinfo=zone)
        return DigestSlot(period=f"daily:{at.date().isoformat()}", at=at)
    days_back = (local.weekday() - attention.digest_weekday) % 7
    slot_day = local.date() - timedelta(days=days_back)
    at = datetime.combine(slot_day, time(attention.digest_hour), tzinfo=zone)
    if at > local:
        at = datetime.combine(slot_day - timedelta(days=7), time(attention.digest_hour), tzinfo=zone)
    year, week, _ = at.date().isocalendar()
    return DigestSlot(period=f"weekly:{year}-W{week:02d}", at=at)
