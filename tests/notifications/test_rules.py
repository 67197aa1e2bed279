"""`rules.route`: every routing rule as a row of a table, plus summary slots. No database."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from notifications.models import DEFAULT_MODES, Category, DigestFrequency, Mode, Route, SubscriptionState
from notifications.rules import Attention, latest_digest_slot, route

PARIS = ZoneInfo("Europe/Paris")
GUADELOUPE = ZoneInfo("America/Guadeloupe")  # UTC−4 all year
UTC = ZoneInfo("UTC")

CALM = Attention()  # the defaults: weekly summary, cap 3, quiet 21:00 → 08:00 Paris
NO_QUIET = Attention(quiet_start=None, quiet_end=None)
NOON_PARIS = datetime(2026, 3, 4, 12, 0, tzinfo=PARIS)  # a Wednesday


def paris(hour, minute=0, day=4):
    return datetime(2026, 3, day, hour, minute, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("case", "kwargs", "expected"),
    [
        (
            "immediate during the day → email now",
            {"mode": Mode.IMMEDIATE, "attention": CALM, "now": NOON_PARIS},
            {"inbox": True, "route": Route.IMMEDIATE, "email_at": NOON_PARIS, "digest": False, "push": True},
        ),
        (
            "digest → site and next summary, no email",
            {"mode": Mode.DIGEST, "attention": CALM, "now": NOON_PARIS},
            {"inbox": True, "route": Route.DIGEST, "email_at": None, "digest": True, "push": True},
        ),
        (
            "in_app → site only",
            {"mode": Mode.IN_APP, "attention": CALM, "now": NOON_PARIS},
            {"inbox": True, "route": Route.IN_APP, "email_at": None, "digest": False, "push": True},
        ),
        (
            "off → nothing",
            {"mode": Mode.OFF, "attention": CALM, "now": NOON_PARIS},
            {"inbox": False, "email_at": None, "digest": False, "push": False},
        ),
        (
            "off but following the target → as digest",
            {"mode": Mode.OFF, "attention": CALM, "now": NOON_PARIS, "subscription": SubscriptionState.FOLLOW},
            {"inbox": True, "route": Route.DIGEST, "digest": True},
        ),
        (
            "muted target → nothing, even for an immediate category",
            {"mode": Mode.IMMEDIATE, "attention": CALM, "now": NOON_PARIS, "subscription": SubscriptionState.MUTE},
            {"inbox": False, "email_at": None, "digest": False, "push": False},
        ),
        (
            "daily cap reached → next summary instead of an email",
            {"mode": Mode.IMMEDIATE, "attention": CALM, "now": NOON_PARIS, "emails_by_day": {date(2026, 3, 4): 3}},
            {"inbox": True, "route": Route.CAP_REACHED, "email_at": None, "digest": True},
        ),
        (
            "cap counts only the same local day",
            {"mode": Mode.IMMEDIATE, "attention": CALM, "now": NOON_PARIS, "emails_by_day": {date(2026, 3, 3): 9}},
            {"inbox": True, "route": Route.IMMEDIATE, "email_at": NOON_PARIS},
        ),
        (
            "cap of zero → never an immediate email",
            {"mode": Mode.IMMEDIATE, "attention": Attention(daily_email_cap=0), "now": NOON_PARIS},
            {"route": Route.CAP_REACHED, "email_at": None, "digest": True},
        ),
        (
            "quiet hours before midnight → held until 08:00 next day",
            {"mode": Mode.IMMEDIATE, "attention": CALM, "now": paris(23, 30)},
            {"route": Route.HELD, "email_at": paris(8, 0, day=5), "digest": False, "push": True},
        ),
        (
            "quiet hours after midnight → held until 08:00 the same day",
            {"mode": Mode.IMMEDIATE, "attention": CALM, "now": paris(2, 15)},
            {"route": Route.HELD, "email_at": paris(8, 0)},
        ),
        (
            "quiet hours end is exclusive: 08:00 sharp is sent",
            {"mode": Mode.IMMEDIATE, "attention": CALM, "now": paris(8, 0)},
            {"route": Route.IMMEDIATE, "email_at": paris(8, 0)},
        ),
        (
            "quiet hours start is inclusive: 21:00 sharp is held",
            {"mode": Mode.IMMEDIATE, "attention": CALM, "now": paris(21, 0)},
            {"route": Route.HELD, "email_at": paris(8, 0, day=5)},
        ),
        (
            "quiet hours within a day (13:00 → 14:00)",
            {
                "mode": Mode.IMMEDIATE,
                "attention": Attention(quiet_start=time(13), quiet_end=time(14)),
                "now": paris(13, 30),
            },
            {"route": Route.HELD, "email_at": paris(14, 0)},
        ),
        (
            "no quiet hours → sent at night",
            {"mode": Mode.IMMEDIATE, "attention": NO_QUIET, "now": paris(3, 0)},
            {"route": Route.IMMEDIATE, "email_at": paris(3, 0)},
        ),
        (
            "held email counts against the cap of the day it is sent",
            {
                "mode": Mode.IMMEDIATE,
                "attention": CALM,
                "now": paris(23, 0),
                "emails_by_day": {date(2026, 3, 4): 0, date(2026, 3, 5): 3},
            },
            {"route": Route.CAP_REACHED, "email_at": None, "digest": True},
        ),
        (
            "Guadeloupe: 02:00 UTC is 22:00 local → held until 08:00 local (12:00 UTC)",
            {
                "mode": Mode.IMMEDIATE,
                "attention": Attention(time_zone="America/Guadeloupe"),
                "now": datetime(2026, 3, 5, 2, 0, tzinfo=UTC),
            },
            {"route": Route.HELD, "email_at": datetime(2026, 3, 5, 12, 0, tzinfo=UTC)},
        ),
        (
            "Guadeloupe: 13:00 UTC is 09:00 local → now, though it is 14:00 in Paris",
            {
                "mode": Mode.IMMEDIATE,
                "attention": Attention(time_zone="America/Guadeloupe"),
                "now": datetime(2026, 3, 5, 13, 0, tzinfo=UTC),
            },
            {"route": Route.IMMEDIATE, "email_at": datetime(2026, 3, 5, 13, 0, tzinfo=UTC)},
        ),
        (
            "Guadeloupe: the cap's day is the local day (03:30 UTC is still the 4th there)",
            {
                "mode": Mode.IMMEDIATE,
                "attention": Attention(time_zone="America/Guadeloupe", quiet_start=None, quiet_end=None),
                "now": datetime(2026, 3, 5, 3, 30, tzinfo=UTC),
                "emails_by_day": {date(2026, 3, 4): 3},
            },
            {"route": Route.CAP_REACHED, "digest": True},
        ),
        (
            "paused → site only, kept for the first summary after, no push",
            {"mode": Mode.IMMEDIATE, "attention": Attention(paused_until=date(2026, 3, 10)), "now": NOON_PARIS},
            {"inbox": True, "route": Route.PAUSED, "email_at": None, "digest": True, "push": False},
        ),
        (
            "pause includes its last day",
            {"mode": Mode.DIGEST, "attention": Attention(paused_until=date(2026, 3, 4)), "now": paris(23, 59)},
            {"route": Route.PAUSED},
        ),
        (
            "pause over → back to normal",
            {"mode": Mode.IMMEDIATE, "attention": Attention(paused_until=date(2026, 3, 3)), "now": NOON_PARIS},
            {"route": Route.IMMEDIATE, "email_at": NOON_PARIS},
        ),
        (
            "pause ends in the member's own time zone (Guadeloupe still on the 4th)",
            {
                "mode": Mode.DIGEST,
                "attention": Attention(time_zone="America/Guadeloupe", paused_until=date(2026, 3, 4)),
                "now": datetime(2026, 3, 5, 2, 0, tzinfo=UTC),
            },
            {"route": Route.PAUSED},
        ),
        (
            "in_app is not paused (nothing would be emailed anyway)",
            {"mode": Mode.IN_APP, "attention": Attention(paused_until=date(2026, 3, 10)), "now": NOON_PARIS},
            {"route": Route.IN_APP, "push": True},
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_route(case, kwargs, expected):
    delivery = route(**kwargs)
    for name, value in expected.items():
        assert getattr(delivery, name) == value, f"{case}: {name}"


def test_calm_defaults_email_only_votes_i_must_cast():
    assert DEFAULT_MODES[Category.VOTE_REQUIRED] == Mode.IMMEDIATE
    assert {mode for category, mode in DEFAULT_MODES.items() if category != Category.VOTE_REQUIRED} == {Mode.DIGEST}
    assert set(DEFAULT_MODES) == set(Category.values)
    assert CALM.digest_frequency == DigestFrequency.WEEKLY


@pytest.mark.parametrize(
    ("attention", "now", "period", "at"),
    [
        (Attention(digest_frequency="daily"), paris(9), "daily:2026-03-04", paris(8)),
        (Attention(digest_frequency="daily"), paris(7, 59), "daily:2026-03-03", paris(8, day=3)),
        (Attention(digest_frequency="daily"), paris(8), "daily:2026-03-04", paris(8)),
        # Weekly on Monday 08:00; the 4th is a Wednesday.
        (Attention(), paris(12), "weekly:2026-W10", paris(8, day=2)),
        (Attention(), paris(7, day=2), "weekly:2026-W09", datetime(2026, 2, 23, 8, tzinfo=PARIS)),
        (
            Attention(digest_frequency="daily", time_zone="America/Guadeloupe", digest_hour=18),
            datetime(2026, 3, 4, 23, 0, tzinfo=UTC),  # 19:00 in Guadeloupe
            "daily:2026-03-04",
            datetime(2026, 3, 4, 18, 0, tzinfo=GUADELOUPE),
        ),
    ],
)
def test_latest_digest_slot(attention, now, period, at):
    slot = latest_digest_slot(attention, now)
    assert slot is not None
    assert (slot.period, slot.at) == (period, at)


def test_no_digest_slot_for_never():
    assert latest_digest_slot(Attention(digest_frequency="never"), NOON_PARIS) is None


def test_an_unknown_time_zone_falls_back_to_paris():
    assert Attention(time_zone="Mars/Olympus").zone == PARIS
