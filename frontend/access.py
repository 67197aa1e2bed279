"""The one gate of association pages: login, then access (404 for outsiders), then permission (403)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from hub.models import User
from hub.permissions import Access, access_for, is_advisor_only
from hub.services import log_advisor_read


class AuthedRequest(HttpRequest):
    """A request behind `login_required` or `association_view`: its user is signed in."""

    user: User


AssociationView = Callable[..., HttpResponse]


def association_view(permission: str) -> Callable[[AssociationView], Callable[..., HttpResponse]]:
    """Decorate a page view taking `(request, access, ...)`.

    Anonymous visitors are sent to the login page whether or not the association exists; signed-in
    outsiders get the same 404 as an unknown address; members without `permission` get 403.
    A conseiller's request (not a member's) is recorded in `AdvisorReadLog` once it passes.
    """

    def decorator(view: AssociationView) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, association_slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            association = getattr(request, "association", None)
            access = access_for(request.user, association) if association is not None else None
            if access is None:
                raise Http404
            if not access.has(permission):
                raise PermissionDenied
            if is_advisor_only(access):
                # Every read by a conseiller is recorded for the association's administrators,
                # before the page is built (see `hub.services.log_advisor_read`).
                match = request.resolver_match
                log_advisor_read(
                    access=access,
                    user=request.user,  # type: ignore[arg-type]
                    path=request.get_full_path(),
                    what=match.view_name if match else "",
                )
            request.access = access  # type: ignore[attr-defined]
            return view(request, access, *args, **kwargs)

        return wrapper

    return decorator


def template_access(access: Access) -> dict[str, Any]:
    """Booleans the templates use to show or hide actions (the services re-check them)."""
    return {
        "access": access,
        "association": access.association,
        "can": {perm.replace(".", "_").replace(":", "_"): access.has(perm) for perm in access.permissions},
    }
