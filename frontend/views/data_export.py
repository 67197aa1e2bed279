"""An association's data export (administrators: `hub.data:export`; never conseillers)."""

from __future__ import annotations

from typing import cast

from django.http import FileResponse, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from hub.exports import export_association
from hub.permissions import Access

from ..access import AuthedRequest, association_view, template_access


@association_view("hub.data:export")
def association_export(request: AuthedRequest, access: Access) -> HttpResponse:
    return render(request, "associations/export.html", template_access(access))


@association_view("hub.data:export")
def association_export_download(request: AuthedRequest, access: Access) -> HttpResponse:
    """The ZIP, built in a temporary file and streamed (see `hub.exports`)."""
    filename = f"{access.association.slug}-{timezone.localdate():%Y-%m-%d}.zip"
    response = FileResponse(
        export_association(access=access), as_attachment=True, filename=filename, content_type="application/zip"
    )
    # A streaming response: the page gate is typed for HttpResponse, which it only passes through.
    return cast(HttpResponse, response)
