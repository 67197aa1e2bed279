"""One request of the matrix, observed: status, the markers anywhere in what came back, and the
rows it tried to write. The request runs in a savepoint that is always rolled back, so an allowed
write never changes what the next combination sees."""

from __future__ import annotations

import io
import json
import re
import traceback
import zipfile
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django.http import HttpResponse

from .world import PREFIX, World

# INSERT INTO "t" / INSERT OR IGNORE INTO "t" / UPDATE "t" / DELETE FROM "t" (quoted or not).
WRITE = re.compile(
    r'^\s*(?:WITH\b.*?\)\s*)?(INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+"?([\w.]+)"?',
    re.IGNORECASE | re.DOTALL,
)
MARKER = re.compile(re.escape(PREFIX.lower()).encode() + rb"[a-z0-9]+")

# Tables a request may write whoever sends it: the session (login, messages) and Django's cache
# table if one is configured. Anything else is a domain write.
NEUTRAL_TABLES = frozenset({"django_session", "django_cache_table"})
# The conseillers' read log: an audit row written by the page and API gates for every request of a
# conseiller that passes them (test_matrix.judge lets the conseiller write it, nobody else).
READ_LOG_TABLE = "hub_advisorreadlog"


@dataclass
class Observation:
    status: int
    location: str = ""
    content_type: str = ""
    markers: set[str] = field(default_factory=set)
    writes: list[tuple[str, str]] = field(default_factory=list)  # (statement, table)
    error: str = ""

    @property
    def domain_writes(self) -> list[tuple[str, str]]:
        return [(verb, table) for verb, table in self.writes if table not in NEUTRAL_TABLES]


def _text_of_pdf(content: bytes) -> bytes:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    parts = [page.extract_text() or "" for page in reader.pages]
    parts.append(json.dumps({str(k): str(v) for k, v in (reader.metadata or {}).items()}))
    return "\n".join(parts).encode()


def _scanned(response: HttpResponse, content: bytes) -> bytes:
    """Everything a client receives, as lower-case bytes: body (PDF text extracted, ZIP files
    opened, iCalendar lines unfolded), every header (Content-Disposition, Location...), cookies
    and queued flash messages."""
    chunks = [content]
    content_type = response.get("Content-Type", "")
    if content_type.startswith("application/pdf") and content.startswith(b"%PDF"):
        chunks.append(_text_of_pdf(content))
    if content.startswith(b"PK\x03\x04"):  # a ZIP (the association's export): every file in it
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            chunks += [name.encode() for name in archive.namelist()]
            chunks += [archive.read(name) for name in archive.namelist()]
    if content_type.startswith("text/calendar"):
        chunks.append(content.replace(b"\r\n ", b"").replace(b"\r\n\t", b""))
    chunks.extend(f"{name}: {value}".encode() for name, value in response.items())
    chunks.extend(morsel.OutputString().encode() for morsel in response.cookies.values())
    storage = getattr(getattr(response, "wsgi_request", None), "_messages", None)
    for message in getattr(storage, "_queued_messages", []):
        chunks.append(str(message).encode())
    return b"\n".join(chunks).lower()


def markers_in(world: World, data: bytes) -> set[str]:
    kinds = sorted(world.markers, key=len, reverse=True)
    found = set()
    for token in MARKER.findall(data):
        tail = token.decode()[len(PREFIX) :]
        # The longest known kind that starts the token (text may run on after a marker).
        kind = next((k for k in kinds if tail.startswith(k.lower())), None)
        found.add(kind or f"?{tail}")
    return found


def request(
    world: World,
    role: str,
    method: str,
    url: str,
    *,
    data: Any = None,
    as_json: bool = False,
) -> Observation:
    cache.clear()  # rate limits and throttles count in the cache
    writes: list[tuple[str, str]] = []

    def spy(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        match = WRITE.match(sql)
        if match:
            writes.append((match.group(1).split()[0].upper(), match.group(2).strip('"').lower()))
        return execute(sql, params, many, context)

    client = world.client(role)
    kwargs: dict[str, Any] = {}
    if as_json:
        kwargs = {"data": json.dumps({} if data is None else data), "content_type": "application/json"}
    elif data is not None:
        kwargs = {"data": data}  # a query string for GET, a form for POST
    try:
        with transaction.atomic():
            with connection.execute_wrapper(spy):
                response = getattr(client, method.lower())(url, **kwargs)
                # The test client closes the response itself (a streamed one once read through),
                # keeping `close_old_connections` away from our open transaction.
                if getattr(response, "streaming", False):
                    content = b"".join(response.streaming_content)  # type: ignore[attr-defined]
                else:
                    content = response.content
            transaction.set_rollback(True)
    except Exception:  # noqa: BLE001 -- reported as a 500 with its traceback
        return Observation(status=500, writes=writes, error=traceback.format_exc(limit=-6))
    return Observation(
        status=response.status_code,
        location=response.get("Location", ""),
        content_type=response.get("Content-Type", ""),
        markers=markers_in(world, _scanned(response, content)),
        writes=writes,
    )
