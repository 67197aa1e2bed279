"""Home, association pages, members, invitations and association settings."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from hub import selectors, services
from hub.models import Network, NetworkMembership
from hub.permissions import Access, can_change_role, can_remove_member

from ..access import AuthedRequest, association_view, template_access
from ..forms import AssociationCreateForm, AssociationSettingsForm, InvitationForm, RoleForm
from .common import add_service_errors


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "frontend/landing.html")
    memberships = list(selectors.memberships_of_user(request.user))
    networks = list(selectors.networks_of_advisor(request.user))
    return render(request, "frontend/home.html", {"memberships": memberships, "networks": networks})


@login_required
@require_http_methods(["GET", "POST"])
def association_create(request: AuthedRequest) -> HttpResponse:
    form = AssociationCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            association = services.create_association(creator=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The association has been created. You are its administrator."))
            return redirect("frontend:association_home", association_slug=association.slug)
    return render(request, "associations/create.html", {"form": form})


@association_view("hub.association:view")
def association_home(request: AuthedRequest, access: Access) -> HttpResponse:
    association = access.association
    context = template_access(access) | {
        "counts": selectors.member_counts(association),
        "links": [link for link in selectors.network_links_of(association) if link.is_active],
    }
    return render(request, "associations/home.html", context)


@association_view("hub.members:view")
def members(request: AuthedRequest, access: Access) -> HttpResponse:
    rows = list(selectors.members_of(access.association))
    for row in rows:
        row.association = access.association
    context = template_access(access) | {
        "members": rows,
        "role_form": RoleForm(),
        "manageable": {m.pk for m in rows if can_change_role(access, m) and can_remove_member(access, m)},
    }
    return render(request, "associations/members.html", context)


@require_POST
@association_view("hub.members:manage")
def member_role(request: AuthedRequest, access: Access, code: str) -> HttpResponse:
    membership = get_object_or_404(access.association.memberships, code=code, is_active=True)
    form = RoleForm(request.POST)
    if form.is_valid():
        try:
            services.change_role(access=access, membership=membership, role=form.cleaned_data["role"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("%(name)s's role has been changed.") % {"name": membership.user.display_name})
    return redirect("frontend:members", association_slug=access.association.slug)


@require_POST
@association_view("hub.members:manage")
def member_remove(request: AuthedRequest, access: Access, code: str) -> HttpResponse:
    membership = get_object_or_404(access.association.memberships, code=code, is_active=True)
    try:
        services.remove_member(access=access, membership=membership)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("%(name)s no longer belongs to the association.") % {"name": membership.user.display_name}
        )
    return redirect("frontend:members", association_slug=access.association.slug)


@require_POST
@association_view("hub.membership:leave")
def leave(request: AuthedRequest, access: Access) -> HttpResponse:
    try:
        services.leave_association(access=access)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("frontend:members", association_slug=access.association.slug)
    messages.success(request, _("You have left %(association)s.") % {"association": access.association.name})
    return redirect("frontend:home")


@require_http_methods(["GET", "POST"])
@association_view("hub.invitations:view")
def invitations(request: AuthedRequest, access: Access) -> HttpResponse:
    can_manage = access.has("hub.invitations:manage")
    form = InvitationForm(request.POST or None, can_grant_admin=access.has("hub.invitations:grant_admin"))
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if form.is_valid():
            try:
                invitation = services.invite_member(access=access, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("An invitation has been sent to %(email)s.") % {"email": invitation.email})
                return redirect("frontend:invitations", association_slug=access.association.slug)
    context = template_access(access) | {
        "invitations": selectors.pending_invitations(access.association),
        "form": form,
        "can_manage": can_manage,
    }
    return render(request, "associations/invitations.html", context, status=400 if form.errors else 200)


@require_POST
@association_view("hub.invitations:manage")
def invitation_revoke(request: AuthedRequest, access: Access, code: str) -> HttpResponse:
    invitation = get_object_or_404(access.association.invitations, code=code)
    try:
        services.revoke_invitation(access=access, invitation=invitation)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The invitation to %(email)s has been cancelled.") % {"email": invitation.email})
    return redirect("frontend:invitations", association_slug=access.association.slug)


@require_http_methods(["GET", "POST"])
@association_view("hub.association:change")
def association_settings(request: AuthedRequest, access: Access) -> HttpResponse:
    form = AssociationSettingsForm(request.POST or None, instance=access.association)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_association(access=access, **{name: form.cleaned_data[name] for name in form.Meta.fields})
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The association's settings have been saved."))
            return redirect("frontend:association_settings", association_slug=access.association.slug)
    links = list(selectors.network_links_of(access.association))
    linked = {link.network_id for link in links if link.revoked_at is None}
    context = template_access(access) | {
        "form": form,
        "links": links,
        "available_networks": [n for n in Network.objects.order_by("name") if n.pk not in linked],
    }
    return render(request, "associations/settings.html", context, status=400 if form.errors else 200)


@require_POST
@association_view("hub.networks:consent")
def network_consent(request: AuthedRequest, access: Access, network_slug: str) -> HttpResponse:
    network = get_object_or_404(Network, slug=network_slug)
    services.consent_followup(access=access, network=network)
    messages.success(
        request, _("%(network)s's conseillers can now read your association's pages.") % {"network": network.name}
    )
    return redirect("frontend:association_settings", association_slug=access.association.slug)


@require_POST
@association_view("hub.networks:consent")
def network_end(request: AuthedRequest, access: Access, code: str) -> HttpResponse:
    link: NetworkMembership = get_object_or_404(access.association.network_links.select_related("network"), code=code)
    try:
        services.end_followup(user=request.user, link=link, access=access)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The follow-up by %(network)s has ended.") % {"network": link.network.name})
    return redirect("frontend:association_settings", association_slug=access.association.slug)
