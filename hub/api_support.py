"""What every app's DRF API shares: error bodies, pagination and the association access check.

Error bodies always have the same shape:
    {"error": {"code": "not_found", "message": "...", "fields": {"email": ["..."]}}}
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import TextChoices
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, pagination, permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from .permissions import Access, access_for, is_advisor_only
from .services import log_advisor_read

SLUG = re.compile(r"[-a-zA-Z0-9_]+")


class Pagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def document_page_errors(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular post-processing hook: a paginated list answers 404 for a page number past
    the last page (or below 1), as DRF's pagination does; say so in every list's responses."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or not any(
                parameter.get("in") == "query" and parameter.get("name") == Pagination.page_query_param
                for parameter in operation.get("parameters", [])
            ):
                continue
            operation["responses"].setdefault(
                "404",
                {
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    "description": "No such page (past the last one, or below 1).",
                },
            )
    return result


def _validation_error_detail(exc: DjangoValidationError) -> Any:
    if hasattr(exc, "error_dict"):
        return {field: [str(m) for e in errors for m in e.messages] for field, errors in exc.error_dict.items()}
    return [str(m) for m in exc.messages]


def _encodable(value: Any) -> Any:
    """Messages echo what was sent ("'x' is not a valid choice"); a lone surrogate in a JSON string
    ("\\udcff") would make the UTF-8 rendering of the error itself fail with a server error."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {_encodable(key): _encodable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_encodable(item) for item in value]
    return value


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Turn every error into `{"error": {code, message, fields}}`, translated."""
    service_code = None
    if isinstance(exc, DjangoValidationError):
        if not hasattr(exc, "error_dict"):
            # Keep a service's own code (expired, used, revoked...) for scripts to branch on.
            codes = {error.code for error in exc.error_list if error.code}
            service_code = codes.pop() if len(codes) == 1 else None
        exc = exceptions.ValidationError(_validation_error_detail(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if not isinstance(exc, exceptions.APIException):
        return response
    body: dict[str, Any] = {"code": getattr(exc, "default_code", "error"), "message": ""}
    detail = exc.detail
    if isinstance(exc, exceptions.ValidationError):
        body["code"] = service_code or "invalid"
        body["message"] = _("The data sent is not valid.")
        if isinstance(detail, dict):
            body["fields"] = {
                key: [str(item) for item in (value if isinstance(value, list) else [value])]
                for key, value in detail.items()
            }
            non_field = body["fields"].pop("non_field_errors", None)
            if non_field:
                body["message"] = " ".join(non_field)
        else:
            messages = [str(item) for item in (detail if isinstance(detail, list) else [detail])]
            body["message"] = " ".join(messages)
    else:
        body["message"] = str(detail)
        if hasattr(detail, "code") and detail.code:
            body["code"] = detail.code
    response.data = {"error": _encodable(body)}
    return response


class NotFoundView(APIView):
    """Any other address under /api/v1/ (a malformed code, a typo): the API's JSON 404 rather than
    the HTML page, whatever the method, with the same body as an association the caller cannot see."""

    schema = None  # not an operation of the API
    authentication_classes = ()
    permission_classes = ()

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        raise exceptions.NotFound()


def association_access(request: Request) -> Access:
    """The caller's access to the association in the URL, computed once per request.

    Raises NotFound for an unknown slug and for outsiders alike (same body), so the API never
    tells whether an association it does not show exists.
    """
    cached = getattr(request, "_association_access", None)
    if cached is not None:
        return cached
    association = getattr(request._request, "association", None)
    access = access_for(request.user, association) if association is not None else None
    if access is None:
        raise exceptions.NotFound()
    request._association_access = access  # type: ignore[attr-defined]
    return access


class AssociationPermission(permissions.BasePermission):
    """Checks `view.required_permissions[method]` (or `view.required_permission`) on the access.

    Outsiders get 404 whatever the method; members without the right get 403. A conseiller's
    request (not a member's) that passes is recorded in `AdvisorReadLog`.
    """

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        access = association_access(request)
        # HEAD and OPTIONS read what GET reads.
        method = "GET" if request.method in {"HEAD", "OPTIONS"} else request.method
        needed = getattr(view, "required_permissions", {}).get(method)
        if needed is None:
            needed = getattr(view, "required_permission", None)
        if needed is None:
            raise exceptions.MethodNotAllowed(request.method or "")
        allowed = access.has(needed)
        if allowed and is_advisor_only(access) and not getattr(request, "_advisor_read_logged", False):
            # Every read by a conseiller is recorded (once per request) for the administrators.
            match = request._request.resolver_match
            log_advisor_read(
                access=access,
                user=request.user,  # type: ignore[arg-type]
                path=request._request.get_full_path(),
                what=match.view_name if match else "",
            )
            request._advisor_read_logged = True  # type: ignore[attr-defined]
        return allowed


@extend_schema_field(
    {
        "type": "string",
        "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$",
        "example": "21:00:00",
        "description": "A time of day in the person's own time zone (no offset).",
    }
)
class LocalTimeField(serializers.TimeField):
    """A wall-clock time ("21:00:00"). drf-spectacular would call it `format: time`, which JSON Schema
    reads as an RFC 3339 time with an offset; these times have none (they follow the person's zone)."""


class BlankAsNull(serializers.Field):
    """Renders an empty value as null: the models keep "" for "none", which is not a URL or a slug."""

    def to_representation(self, value: Any) -> Any:
        return super().to_representation(value) if value else None


class OptionalURLField(BlankAsNull, serializers.URLField):
    """A read-only URL, null when there is none (declare it with `allow_null=True`)."""


class OptionalSlugField(BlankAsNull, serializers.SlugField):
    """A read-only slug, null when there is none (declare it with `allow_null=True`)."""


class SlugRelatedField(serializers.SlugRelatedField):
    """DRF's field, but the value must look like a slug before the lookup: anything else (a NUL byte
    in `?tool=`) would reach the database, and PostgreSQL answers NUL bytes with a server error."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid")
        if not SLUG.fullmatch(data):
            self.fail("does_not_exist", slug_name=self.slug_field, value=data)
        return super().to_internal_value(data)


class EnumField(serializers.ChoiceField):
    """A ChoiceField over the TextChoices of a subclass made by `enum_field`."""

    choices_class: type[TextChoices]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=self.choices_class.choices, **kwargs)

    def to_representation(self, value: Any) -> Any:
        # Empty values of optional choices (a history row's missing `from_stage`) are null.
        return None if value in ("", None) else super().to_representation(value)


def enum_field(choices: type[TextChoices], component: str) -> type[EnumField]:
    """An EnumField over `choices` whose schema is the named component `component`.

    Naming the enums keeps them apart from other apps' fields of the same name (`kind`, `status`).
    """
    schema = {
        "type": "string",
        "enum": list(choices.values),
        "description": "\n".join(f"* `{value}` - {label}" for value, label in choices.choices),
    }
    field_class = type(f"{component}Field", (EnumField,), {"choices_class": choices})
    return extend_schema_field(schema, component_name=component)(field_class)
