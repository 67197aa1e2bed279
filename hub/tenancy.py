"""Fail-closed tenancy: exactly one association scope per request, task and websocket consumer.

Association-owned models use django-scopes' `ScopedManager`: a query on them outside a scope raises
`ScopeError` instead of returning every association's rows. This module is the only place that
opens scopes for requests; `hub.tasks.AssociationTask` does it for Celery and the websocket
consumer does it in `connect()`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django_scopes import scope, scopes_disabled

from .models import Association

ASSOCIATION_URL_KWARG = "association_slug"


@contextmanager
def association_scope(association: Association | int | Iterable[int]) -> Iterator[None]:
    """Open the scope of one association (or an explicit list of ids).

    django-scopes treats a `None` value as "no filter"; refusing it here keeps the scope
    fail-closed even when a caller passes an unset id.
    """
    if association is None:
        raise ValueError("An association scope needs an association, not None.")
    if isinstance(association, Association):
        value: int | list[int] = association.pk
    elif isinstance(association, int):
        value = association
    else:
        value = list(association)
    with scope(association=value):
        yield


class AssociationScopeMiddleware:
    """Resolve `/a/<association_slug>/...` and `/api/v1/associations/<association_slug>/...`.

    Sets `request.association` (None when the slug is unknown: the view answers 404 after its
    own login check, so an anonymous visitor cannot probe which slugs exist) and runs the rest
    of the request inside that association's scope. Other URLs run with no scope, so a stray
    query on association data raises. The admin is platform staff's tool and runs unscoped.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            match = None
        if match is not None and match.namespace == "admin":
            with scopes_disabled():
                return self.get_response(request)
        slug = match.kwargs.get(ASSOCIATION_URL_KWARG) if match is not None else None
        request.association = None  # type: ignore[attr-defined]
        if slug is None:
            return self.get_response(request)
        association = Association.objects.filter(slug=slug).first()
        if association is None:
            return self.get_response(request)
        request.association = association  # type: ignore[attr-defined]
        with association_scope(association):
            return self.get_response(request)
