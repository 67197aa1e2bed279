"""Error pages Django renders itself: 400, and 413 for bodies over the limits."""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from hub.middleware import too_large_response


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """`handler400`: a body over the limits is a 413 with its own message; anything else a 400 page."""
    if isinstance(exception, RequestDataTooBig | TooManyFieldsSent | TooManyFilesSent):
        return too_large_response(request)
    return render(request, "400.html", status=400)
