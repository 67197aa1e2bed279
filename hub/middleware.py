"""Per-request language and time zone from the signed-in user's profile; request body bounds."""

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _


class UserPreferencesMiddleware:
    """A signed-in user's saved language and time zone win over the browser's headers."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language  # type: ignore[attr-defined]
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        return self.get_response(request)


class RequestSizeLimitMiddleware:
    """Refuse a request whose declared body is too large, before anything reads it: 413 and a page.

    Forms and JSON are bounded by DATA_UPLOAD_MAX_MEMORY_SIZE (DRF reads JSON as a stream, which
    Django's own check does not cover); multipart bodies (file uploads) by MAX_REQUEST_BODY_SIZE.
    A body sent without Content-Length is bounded while it is parsed (Django's checks and
    `hub.uploads.BodySizeLimitUploadHandler`), ending in the same 413 page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > body_limit(request):
            return too_large_response(request)
        return self.get_response(request)


def body_limit(request: HttpRequest) -> int:
    if request.META.get("CONTENT_TYPE", "").startswith("multipart/"):
        return int(settings.MAX_REQUEST_BODY_SIZE)
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or settings.MAX_REQUEST_BODY_SIZE)


def too_large_response(request: HttpRequest) -> HttpResponse:
    """413 with a page for people and a JSON error for the API."""
    message = _("What you sent is too large. Send smaller files, or fewer at once.")
    if request.path.startswith("/api/"):
        return JsonResponse({"error": {"code": "too_large", "message": message}}, status=413)
    body = render_to_string("413.html", {"message": message}, request=request)
    return HttpResponse(body, status=413)
