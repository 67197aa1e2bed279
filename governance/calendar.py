"""The iCalendar feed of open votes' deadlines, one per member, at a secret address.

The address carries a signed token naming the membership: it is the capability (calendar apps
cannot log in). It stops working when the membership ends; to revoke a leaked address before
that, rotate `SECRET_KEY` (which also invalidates sessions and links).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.core import signing
from django.utils.translation import gettext as _

from hub.models import Membership

from .models import Proposal

CALENDAR_SALT = "governance.calendar"


def calendar_token(membership: Membership) -> str:
    return signing.Signer(salt=CALENDAR_SALT).sign(str(membership.code))


def membership_for_token(token: str) -> Membership | None:
    """The active membership a calendar token names, or None (bad signature, left, unknown).

    Crosses tenants on purpose: the token, not a session, says which association it is.
    """
    try:
        code = signing.Signer(salt=CALENDAR_SALT).unsign(token)
    except signing.BadSignature:
        return None
    return (
        Membership.objects.with_scopes_disabled()
        .select_related("association", "user")
        .filter(code=code, is_active=True)
        .first()
    )


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n").replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """RFC 5545: lines of at most 75 octets, continued with a leading space (never splitting a character)."""
    out: list[str] = []
    current = ""
    for char in line:
        if len((current + char).encode("utf-8")) > (75 if not out else 74):
            out.append(current)
            current = ""
        current += char
    out.append(current)
    return "\r\n ".join(out)


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def render_calendar(
    *, association_name: str, proposals: Iterable[Proposal], url_for: dict[int, str], now: datetime
) -> str:
    """A VCALENDAR with one short event at each open vote's deadline."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Asso Hub//Votes//FR",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape(_('Votes of %(association)s') % {'association': association_name})}",
    ]
    for proposal in proposals:
        if proposal.closes_at is None:
            continue
        voter = getattr(proposal, "is_elector", False)
        summary = (_("Vote closes: %(title)s") if voter else _("Vote closes (you do not vote): %(title)s")) % {
            "title": proposal.title
        }
        lines += [
            "BEGIN:VEVENT",
            f"UID:{proposal.code}@asso-hub",
            f"DTSTAMP:{_stamp(now)}",
            f"DTSTART:{_stamp(proposal.closes_at - timedelta(minutes=30))}",
            f"DTEND:{_stamp(proposal.closes_at)}",
            f"SUMMARY:{_escape(summary)}",
            f"URL:{url_for.get(proposal.pk, '')}",
            f"DESCRIPTION:{_escape(url_for.get(proposal.pk, ''))}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
