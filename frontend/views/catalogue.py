"""The public catalogue (list, tool page, free alternatives, about the data) and tool proposals.

The catalogue pages need no login. A tool page lists the associations whose use of the tool the
visitor may see (`shared_tools.selectors.visible_usages` decides).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from hub.permissions import Access
from hub.selectors import memberships_of_user
from shared_tools import selectors, services
from shared_tools.models import HostingOption, Platform, Source, Tool, ToolProposal
from shared_tools.permissions import can_change_stack, can_moderate_proposals
from shared_tools.places.selectors import places_count

from ..access import AuthedRequest, association_view, template_access
from ..forms_shared_tools import AlternativeForm, CatalogueFilterForm, ProposalForm, ProposalRejectForm
from .common import add_service_errors

CATALOGUE_PAGE_SIZE = 30


def catalogue(request: HttpRequest) -> HttpResponse:
    form = CatalogueFilterForm(request.GET or None, categories=list(selectors.categories_for_filters()))
    tools = selectors.catalogue_tools(**form.filters())
    page = Paginator(tools, CATALOGUE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "shared_tools/catalogue.html", {"form": form, "page": page})


def tool_detail(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        tool = selectors.tool_by_slug(slug=slug)
    except Tool.DoesNotExist as exc:
        raise Http404 from exc
    stacks = []
    if request.user.is_authenticated:
        # The associations whose stack the visitor may add this tool to (no query per association:
        # the role alone grants `shared_tools.stack:change`).
        for membership in memberships_of_user(request.user):
            if can_change_stack(Access(association=membership.association, membership=membership)):
                stacks.append(membership.association)
    context = {
        "tool": tool,
        "platforms": [Platform(value).label for value in tool.platforms if value in Platform.values],
        "hosting_options": [
            HostingOption(value).label for value in tool.hosting_options if value in HostingOption.values
        ],
        "relations": selectors.relations_of(tool=tool),
        "usages": list(selectors.visible_usages(tool=tool, user=request.user)),
        "stacks": stacks,
    }
    return render(request, "shared_tools/tool_detail.html", context)


def free_alternatives(request: HttpRequest) -> HttpResponse:
    form = AlternativeForm(request.GET or None, tools=list(selectors.tools_with_free_alternatives()))
    chosen = form.chosen()
    options = list(selectors.free_alternatives_to(tool=chosen)) if chosen else []
    return render(request, "shared_tools/free_alternatives.html", {"form": form, "chosen": chosen, "options": options})


def about_data(request: HttpRequest) -> HttpResponse:
    counts = selectors.tools_per_source()
    return render(
        request,
        "shared_tools/about_data.html",
        {
            "sill_count": counts.get(Source.SILL, 0),
            "degooglisons_count": counts.get(Source.DEGOOGLISONS, 0),
            "places_count": places_count(),
        },
    )


# Proposals ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@association_view("shared_tools.tools:propose")
def propose_tool(request: AuthedRequest, access: Access) -> HttpResponse:
    form = ProposalForm(request.POST or None)
    duplicates: list[Tool] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        duplicates = selectors.likely_duplicates(name=data["name"])
        # Ask before recording: the member may find that the catalogue already has the tool.
        if not duplicates or data["not_a_duplicate"]:
            try:
                services.propose_tool(
                    access=access,
                    name=data["name"],
                    website=data["website"],
                    description=data["description"],
                    category=data["category"],
                    free_software=data["free_software"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Thank you: your proposal will be reviewed soon."))
                return redirect("frontend:tool_proposals")
    context = template_access(access) | {"form": form, "duplicates": duplicates}
    return render(request, "shared_tools/propose.html", context, status=400 if form.errors else 200)


@login_required
def tool_proposals(request: AuthedRequest) -> HttpResponse:
    moderator = can_moderate_proposals(request.user)
    context = {
        "mine": list(selectors.proposals_of(user=request.user)),
        "moderator": moderator,
        # Who proposed a tool, and from where, is for platform staff: conseillers review proposals
        # from associations that may not have accepted their network.
        "show_authors": request.user.is_staff,
        "pending": list(selectors.pending_proposals()) if moderator else [],
        "reject_form": ProposalRejectForm(),
    }
    return render(request, "shared_tools/proposals.html", context)


def _proposal_to_review(request: AuthedRequest, code: str) -> ToolProposal:
    if not can_moderate_proposals(request.user):
        raise PermissionDenied
    return get_object_or_404(ToolProposal, code=code)


@login_required
@require_POST
def tool_proposal_approve(request: AuthedRequest, code: str) -> HttpResponse:
    proposal = _proposal_to_review(request, code)
    try:
        tool = services.approve_proposal(user=request.user, proposal=proposal)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("frontend:tool_proposals")
    messages.success(request, _("“%(name)s” has been added to the catalogue.") % {"name": tool.name})
    return redirect("frontend:tool_detail", slug=tool.slug)


@login_required
@require_POST
def tool_proposal_reject(request: AuthedRequest, code: str) -> HttpResponse:
    proposal = _proposal_to_review(request, code)
    form = ProposalRejectForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the tool is not added: the member will read it."))
        return redirect("frontend:tool_proposals")
    try:
        services.reject_proposal(user=request.user, proposal=proposal, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The proposal of “%(name)s” has been declined.") % {"name": proposal.name})
    return redirect("frontend:tool_proposals")
