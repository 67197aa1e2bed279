"""The conseillers' network page: followed associations and pending follow-up requests."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from hub import selectors, services
from hub.models import Association, Network

from ..access import AuthedRequest
from ..forms import FollowupRequestForm


def _advised_network(request: AuthedRequest, network_slug: str) -> Network:
    network = selectors.networks_of_advisor(request.user).filter(slug=network_slug).first()
    if network is None:
        raise Http404
    return network


@login_required
@require_http_methods(["GET", "POST"])
def network_detail(request: AuthedRequest, network_slug: str) -> HttpResponse:
    network = _advised_network(request, network_slug)
    form = FollowupRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        association = Association.objects.filter(slug=form.cleaned_data["association_slug"]).first()
        if association is None:
            form.add_error("association_slug", _("No association has this short name."))
        else:
            services.request_followup(user=request.user, network=network, association=association)
            messages.success(
                request,
                _("Your request has been sent. %(association)s's administrators must accept it.")
                % {"association": association.name},
            )
            return redirect("frontend:network_detail", network_slug=network.slug)
    context = {
        "network": network,
        "associations": selectors.followed_associations(network),
        "pending": selectors.pending_followups(network),
        "form": form,
    }
    return render(request, "networks/detail.html", context, status=400 if form.errors else 200)
