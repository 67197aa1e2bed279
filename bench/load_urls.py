"""The project's URLs plus `/bench/bare/`: the baseline each page's time is compared with.

The bare view goes through the same server, middleware, session and authentication as the pages;
what it lacks is the page's own work (queries, template), which is what the ratio shows.
"""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from hub.urls import urlpatterns as project_urlpatterns


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/bare/", bare, name="bench-bare"), *project_urlpatterns]
