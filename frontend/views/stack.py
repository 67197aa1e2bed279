"""An association's stack ("Notre boîte à outils"), its history, its CSV export and its know-how.

Every view goes through `association_view`: anonymous → login, outsider → 404, lacking the
permission → 403. Rows are looked up through `access.association`, inside its scope.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from hub.permissions import Access
from shared_tools import selectors, services
from shared_tools.exports import write_stack_csv
from shared_tools.models import Referent, Stage, Tool, ToolUsage
from shared_tools.permissions import can_change_stack, can_change_usage, can_edit_referent

from ..access import AuthedRequest, association_view, template_access
from ..forms_shared_tools import (
    ReferentDeclareForm,
    ReferentFieldsForm,
    StageChangeForm,
    UsageAddForm,
    UsageEditForm,
)
from .common import add_service_errors

HISTORY_PAGE_SIZE = 50


def _usage(access: Access, code: str) -> ToolUsage:
    try:
        return selectors.usage_in(access.association, code=code)
    except ToolUsage.DoesNotExist as exc:
        raise Http404 from exc


def _to_usage(access: Access, usage: ToolUsage) -> HttpResponse:
    return redirect("frontend:stack_usage", association_slug=access.association.slug, code=usage.code)


@association_view("shared_tools.stack:view")
def stack(request: AuthedRequest, access: Access) -> HttpResponse:
    context = template_access(access) | {
        "overview": selectors.stack_overview(access.association),
        "can_change": can_change_stack(access),
    }
    return render(request, "shared_tools/stack.html", context)


@require_http_methods(["GET", "POST"])
@association_view("shared_tools.stack:change")
def stack_add(request: AuthedRequest, access: Access) -> HttpResponse:
    initial = {}
    if request.method == "GET" and request.GET.get("tool"):
        initial["tool"] = Tool.objects.filter(slug=request.GET["tool"], discontinued=False).first()
    form = UsageAddForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            usage = services.add_tool_to_stack(
                access=access, tool=data["tool"], stage=data["stage"], reason=data["reason"], **form.usage_fields()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("“%(tool)s” is now in your toolbox.") % {"tool": usage.tool.name})
            return _to_usage(access, usage)
    context = template_access(access) | {"form": form}
    return render(request, "shared_tools/stack_add.html", context, status=400 if form.errors else 200)


def _usage_page(
    request: AuthedRequest,
    access: Access,
    usage: ToolUsage,
    *,
    edit_form: UsageEditForm | None = None,
    stage_form: StageChangeForm | None = None,
) -> HttpResponse:
    bound = [form for form in (edit_form, stage_form) if form is not None and form.errors]
    context: dict[str, Any] = template_access(access) | {
        "usage": usage,
        "can_change": can_change_usage(access, usage),
        "edit_form": edit_form or UsageEditForm.for_usage(usage),
        "stage_form": stage_form or StageChangeForm(usage=usage),
        "history": list(selectors.usage_history(usage)),
        "referents": [r for r in selectors.referents_in(access.association) if r.tool_id == usage.tool_id],
    }
    return render(request, "shared_tools/usage_detail.html", context, status=400 if bound else 200)


@require_http_methods(["GET", "POST"])
@association_view("shared_tools.stack:view")
def stack_usage(request: AuthedRequest, access: Access, code: str) -> HttpResponse:
    usage = _usage(access, code)
    if request.method == "GET":
        return _usage_page(request, access, usage)
    if not can_change_usage(access, usage):
        raise PermissionDenied
    form = UsageEditForm.for_usage(usage, request.POST)
    if form.is_valid():
        try:
            services.update_usage(access=access, usage=usage, **form.usage_fields())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The changes have been saved."))
            return _to_usage(access, usage)
    return _usage_page(request, access, usage, edit_form=form)


@require_POST
@association_view("shared_tools.stack:change")
def stack_usage_stage(request: AuthedRequest, access: Access, code: str) -> HttpResponse:
    usage = _usage(access, code)
    form = StageChangeForm(request.POST, usage=usage)
    if form.is_valid():
        try:
            usage = services.change_stage(
                access=access, usage=usage, to_stage=form.cleaned_data["to_stage"], reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("“%(tool)s” is now at the stage “%(stage)s”.")
                % {"tool": usage.tool.name, "stage": Stage(usage.stage).label},
            )
            return _to_usage(access, usage)
    return _usage_page(request, access, usage, stage_form=form)


@require_POST
@association_view("shared_tools.stack:change")
def stack_usage_remove(request: AuthedRequest, access: Access, code: str) -> HttpResponse:
    usage = _usage(access, code)
    try:
        services.remove_from_stack(access=access, usage=usage)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _to_usage(access, usage)
    messages.success(request, _("“%(tool)s” has been removed from your toolbox.") % {"tool": usage.tool.name})
    return redirect("frontend:stack", association_slug=access.association.slug)


@association_view("shared_tools.stack:view")
def stack_history(request: AuthedRequest, access: Access) -> HttpResponse:
    page = Paginator(selectors.stack_history(access.association), HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "shared_tools/stack_history.html", template_access(access) | {"page": page})


@association_view("shared_tools.stack:view")
def stack_export(request: AuthedRequest, access: Access) -> HttpResponse:
    association = access.association
    filename = f"boite-a-outils-{association.slug}-{timezone.localdate():%Y-%m-%d}.csv"
    response = HttpResponse(
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
    write_stack_csv(response, selectors.stack_of(association), selectors.referents_in(association))
    return response


# Know-how -----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@association_view("shared_tools.stack:view")
def know_how(request: AuthedRequest, access: Access) -> HttpResponse:
    association = access.association
    can_declare = access.is_member and access.has("shared_tools.referents:declare")
    for_others = can_change_stack(access)
    form = None
    if can_declare:
        form = ReferentDeclareForm(request.POST or None, association=association, for_others=for_others)
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.declare_referent(
                    access=access,
                    tool=data["tool"],
                    level=data["level"],
                    membership=data.get("member"),
                    backup=data["backup"],
                    note=data["note"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The know-how has been recorded. Thank you!"))
                return redirect("frontend:know_how", association_slug=association.slug)
    overview = selectors.know_how_of(association)
    editable = {
        referent.pk
        for row in overview.rows
        for referent in (*row.masters, *row.helpers, *row.learners)
        if can_edit_referent(access, referent)
    }
    context = template_access(access) | {"know_how": overview, "form": form, "editable": editable}
    return render(request, "shared_tools/know_how.html", context, status=400 if form and form.errors else 200)


def _referent(access: Access, code: str) -> Referent:
    referent = selectors.referents_in(access.association).filter(code=code).first()
    if referent is None:
        raise Http404
    if not can_edit_referent(access, referent):
        raise PermissionDenied
    return referent


@require_http_methods(["GET", "POST"])
@association_view("shared_tools.referents:declare")
def referent_edit(request: AuthedRequest, access: Access, code: str) -> HttpResponse:
    referent = _referent(access, code)
    initial = {"level": referent.level, "backup": referent.backup, "note": referent.note}
    form = ReferentFieldsForm(request.POST or None, association=access.association, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_referent(access=access, referent=referent, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The know-how has been updated."))
            return redirect("frontend:know_how", association_slug=access.association.slug)
    context = template_access(access) | {"referent": referent, "form": form}
    return render(request, "shared_tools/referent_edit.html", context, status=400 if form.errors else 200)


@require_POST
@association_view("shared_tools.referents:declare")
def referent_remove(request: AuthedRequest, access: Access, code: str) -> HttpResponse:
    referent = _referent(access, code)
    services.remove_referent(access=access, referent=referent)
    messages.success(request, _("The know-how has been removed."))
    return redirect("frontend:know_how", association_slug=access.association.slug)
