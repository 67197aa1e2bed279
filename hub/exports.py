"""An association's data export: a ZIP of CSV and JSON files, built in a temporary file.

The archive is written row by row into a temporary file on disk (querysets read with
`.iterator()`), then streamed to the administrator: memory stays flat whatever the size of the
association. Each app adds its own files (`hub.personal_data.register(association_export=...)`).

CSV files follow the stack export's format (`shared_tools.exports`): UTF-8 with a byte-order
mark, `;` between columns, and text a spreadsheet would run as a formula prefixed with an
apostrophe. Headers are in the language of the person who exports.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import IO, Any

from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import AdvisorReadLog, Association, HelpMessage, HelpRequest, Invitation, Membership, NetworkMembership
from .permissions import Access
from .personal_data import contributors

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ITERATOR_CHUNK = 500


def cell(value: Any) -> str:
    """One CSV cell: dates in ISO 8601 (local time), booleans as yes/no, formulas defused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class ExportArchive:
    """A ZIP being written: `csv(name, header, rows)` and `json(name, data)` add one file each."""

    def __init__(self, fileobj: IO[bytes], folder: str) -> None:
        self.zip = zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_DEFLATED)
        self.folder = folder
        self.names: list[str] = []

    @contextmanager
    def text(self, name: str) -> Iterator[io.TextIOWrapper]:
        """A text file of the archive, written as a stream (no copy in memory)."""
        self.names.append(name)
        with self.zip.open(f"{self.folder}/{name}", "w") as raw:
            out = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            yield out
            out.flush()
            out.detach()

    def csv(self, name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        with self.text(name) as out:
            out.write("\ufeff")
            writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
            writer.writerow(header)
            for row in rows:
                writer.writerow([cell(value) for value in row])

    def json(self, name: str, data: Any) -> None:
        with self.text(name) as out:
            json.dump(data, out, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)

    def close(self) -> None:
        self.zip.close()


def hub_association_export(association: Association, archive: ExportArchive) -> None:
    """The association, its members, invitations, networks, help requests and conseillers' reads."""
    archive.json(
        "association.json",
        {
            "code": str(association.code),
            "name": association.name,
            "slug": association.slug,
            "rna": association.rna,
            "siren": association.siren,
            "commune": association.commune,
            "departement": association.departement,
            "description": association.description,
            "default_electorate": association.default_electorate,
            "default_quorum_percent": association.default_quorum_percent,
            "default_threshold": association.default_threshold,
            "default_voting_days": association.default_voting_days,
            "members_can_propose": association.members_can_propose,
            "created_at": association.created_at,
            "exported_at": timezone.now(),
        },
    )
    members = Membership.objects.filter(association=association).select_related("user").order_by("joined_at", "pk")
    archive.csv(
        "members.csv",
        [_("Name"), _("Email address"), _("Role"), _("Active"), _("Joined on"), _("Left on")],
        (
            [
                m.user.display_name or _("Former member"),
                m.user.email if m.user.deleted_at is None else "",
                m.get_role_display(),
            ]
            + [m.is_active, m.joined_at, m.left_at]
            for m in members.iterator(chunk_size=ITERATOR_CHUNK)
        ),
    )
    invitations = Invitation.objects.filter(association=association).order_by("created_at", "pk")
    archive.csv(
        "invitations.csv",
        [_("Email address"), _("Role"), _("Sent on"), _("Expires on"), _("Accepted on"), _("Cancelled on")],
        (
            [i.email, i.get_role_display(), i.created_at, i.expires_at, i.accepted_at, i.revoked_at]
            for i in invitations.iterator(chunk_size=ITERATOR_CHUNK)
        ),
    )
    links = NetworkMembership.objects.filter(association=association).select_related("network").order_by("pk")
    archive.csv(
        "networks.csv",
        [_("Network"), _("Requested on"), _("Consented on"), _("Ended on")],
        ([n.network.name, n.requested_at, n.consented_at, n.revoked_at] for n in links.iterator()),
    )
    requests = HelpRequest.objects.filter(association=association).select_related("network").order_by("pk")
    archive.csv(
        "help_requests.csv",
        [_("Code"), _("Network"), _("Topic"), _("Tool"), _("Status"), _("Opened on"), _("Closed on")],
        (
            [r.code, r.network.name, r.title, r.tool_name, r.get_status_display(), r.created_at, r.closed_at]
            for r in requests.iterator(chunk_size=ITERATOR_CHUNK)
        ),
    )
    messages = (
        HelpMessage.objects.filter(association=association)
        .select_related("author", "help_request")
        .order_by("help_request_id", "created_at", "pk")
    )
    archive.csv(
        "help_messages.csv",
        [_("Help request"), _("Author"), _("Conseiller"), _("Written on"), _("Message")],
        (
            [m.help_request.code, (m.author.display_name if m.author else "") or _("Former member")]
            + [m.by_advisor, m.created_at, m.body]
            for m in messages.iterator(chunk_size=ITERATOR_CHUNK)
        ),
    )
    reads = AdvisorReadLog.objects.filter(association=association).select_related("advisor", "network").order_by("pk")
    archive.csv(
        "conseiller_reads.csv",
        [_("Read on"), _("Conseiller"), _("Network"), _("Page or resource"), _("Address read")],
        (
            [r.read_at, str(r.advisor), r.network.name, r.what, r.path]
            for r in reads.iterator(chunk_size=ITERATOR_CHUNK)
        ),
    )


def export_association(*, access: Access) -> IO[bytes]:
    """The association's data as a ZIP in a temporary file, rewound. Raises PermissionDenied.

    Needs the association's scope. The caller streams the file and closes it (it is deleted then).
    """
    if not access.has("hub.data:export"):
        raise PermissionDenied
    association = access.association
    fileobj = tempfile.TemporaryFile()  # noqa: SIM115 -- handed to the response, which closes it
    try:
        archive = ExportArchive(fileobj, folder=association.slug)
        hub_association_export(association, archive)
        for contributor in contributors():
            if contributor.association_export is not None:
                contributor.association_export(association, archive)
        archive.json(
            "README.json",
            {"association": association.name, "exported_at": timezone.now(), "files": sorted(archive.names)},
        )
        archive.close()
    except BaseException:
        fileobj.close()
        raise
    fileobj.seek(0)
    return fileobj
