"""Conseillers' dashboard, help requests (both sides) and the administrators' log of conseillers' reads.

The dashboard's reads live here rather than in `hub.selectors`: they join stacks, know-how,
proposals and events, and hub must not import those apps (dependencies point one way). They
reuse the apps' own definitions (`STAGES_IN_USE`, the masters count of `shared_tools.selectors`,
governance's `Status`) so a figure means the same here as on the association's pages.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from governance.models import Proposal
from governance.models import Status as ProposalStatus
from hub import selectors, services
from hub.models import OPEN_HELP_STATUSES, Association, HelpRequest, HelpStatus, Network
from hub.permissions import Access, can_reply_to_help, help_moves
from hub.tenancy import association_scope
from notifications.models import Event
from shared_tools.exports import BOM, DELIMITER
from shared_tools.models import STAGES_IN_USE, FreeSoftware, Stage, ToolUsage, ToolUsageChange
from shared_tools.selectors import _masters_count, latest_assessment_value

from ..access import AuthedRequest, association_view, template_access
from .common import add_service_errors

# Dashboard ------------------------------------------------------------------------------------


def _count(rows: QuerySet[Any]) -> Coalesce:
    # One correlated subquery per figure: a Count() over several joins would multiply rows.
    counted = rows.order_by().values("association").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _latest(rows: QuerySet[Any], field: str) -> Subquery:
    return Subquery(rows.order_by(f"-{field}").values(field)[:1])


# Sort keys of the query string → the annotation they order by.
SORTS: dict[str, str] = {
    "name": "name",
    "place": "departement",
    "stack": "stack_size",
    "free": "free_share",
    "single": "single_master_count",
    "proposals": "open_proposal_count",
    "deadline": "nearest_deadline",
    "activity": "last_activity",
    "help": "open_help_count",
}


def dashboard_rows(
    network: Network,
    association_ids: list[int],
    *,
    sort: str = "name",
    place: str = "",
    has_risks: bool = False,
    has_help: bool = False,
) -> QuerySet[Association]:
    """The followed associations with their figures, in one query whatever their number.

    Needs a scope covering `association_ids` (those that consent to `network`). Annotations:
    - `stack_size`: tools in use (on trial, adopted, being retired: `STAGES_IN_USE`);
    - `free_share`: of the tools on trial or adopted, the percentage that are free software
      (rounded half up; None without such tools);
    - `single_master_count`: adopted tools that exactly one active member masters (the
      "single master" risk of `ToolUsage.know_how_risk`);
    - `open_proposal_count`, `nearest_deadline`: open votes and the earliest close among them;
    - `last_activity`: the latest event published in the association (votes opened, decisions,
      stage changes, tutorials, new members, help requests…) or stack change (tools added do not
      publish an event). Two index lookups per row; comments and votes cast do not count;
    - `open_help_count`: help requests to this network that are new or in progress;
    - `diagnostic_score`, `diagnostic_at`: overall score and date of the latest diagnostic (None without).
    """
    usages = ToolUsage.objects.filter(association=OuterRef("pk"))
    trial_or_adopted = usages.filter(stage__in=[Stage.TRIAL, Stage.ADOPTED])
    single_master = (
        ToolUsage.objects.filter(association=OuterRef("pk"), stage=Stage.ADOPTED)
        .annotate(master_count=_masters_count())
        .filter(master_count=1)
    )
    open_proposals = Proposal.objects.filter(association=OuterRef("pk"), status=ProposalStatus.OPEN)
    last_event = _latest(Event.objects.filter(association=OuterRef("pk")), "created_at")
    last_change = _latest(ToolUsageChange.objects.filter(association=OuterRef("pk")), "changed_at")
    help_requests = HelpRequest.objects.filter(
        association=OuterRef("pk"), network=network, status__in=OPEN_HELP_STATUSES
    )
    rows = Association.objects.filter(pk__in=association_ids).annotate(
        stack_size=_count(usages.filter(stage__in=STAGES_IN_USE)),
        free_count=_count(trial_or_adopted.filter(tool__free_software=FreeSoftware.YES)),
        trial_or_adopted_count=_count(trial_or_adopted),
        single_master_count=_count(single_master),
        open_proposal_count=_count(open_proposals),
        nearest_deadline=Subquery(open_proposals.order_by("closes_at").values("closes_at")[:1]),
        # GREATEST returns NULL on SQLite when one side is NULL: each side falls back on the other.
        last_activity=Greatest(Coalesce(last_event, last_change), Coalesce(last_change, last_event)),
        open_help_count=_count(help_requests),
        diagnostic_score=latest_assessment_value("score"),
        diagnostic_at=latest_assessment_value("taken_at"),
    )
    rows = rows.annotate(
        free_share=Case(
            When(trial_or_adopted_count=0, then=Value(None)),
            # Integer arithmetic, the same on SQLite and PostgreSQL: (200·free + n) div (2·n).
            default=(F("free_count") * 200 + F("trial_or_adopted_count")) / (F("trial_or_adopted_count") * 2),
            output_field=IntegerField(),
        )
    )
    place = place.strip()
    if place:
        rows = rows.filter(Q(commune__icontains=place) | Q(departement__iexact=place))
    if has_risks:
        rows = rows.filter(single_master_count__gt=0)
    if has_help:
        rows = rows.filter(open_help_count__gt=0)
    descending = sort.startswith("-")
    field = SORTS.get(sort.lstrip("-"), "name")
    order = F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True)
    return rows.order_by(order, "name", "pk")


def activity_by_week(association_ids: list[int], *, weeks: int = 12) -> list[int]:
    """Events published in the associations each week, oldest week first (one query). Needs the scope."""
    now = timezone.now()
    bounds = [now - timedelta(weeks=weeks - i) for i in range(weeks + 1)]
    counts = Event.objects.filter(association_id__in=association_ids, created_at__gte=bounds[0]).aggregate(
        **{
            f"w{i}": Count("pk", filter=Q(created_at__gte=bounds[i], created_at__lt=bounds[i + 1]))
            for i in range(weeks)
        }
    )
    return [counts[f"w{i}"] for i in range(weeks)]


# Charts, drawn here as numbers the template puts in SVG attributes (no script, no style attribute).

BAR_WIDTH = 100
SPARK_WIDTH, SPARK_HEIGHT = 120, 24


def sparkline_points(values: list[int]) -> str:
    """The `points` of an SVG polyline drawing `values` in a SPARK_WIDTH × SPARK_HEIGHT box."""
    if not values:
        return ""
    top = max(values) or 1
    step = SPARK_WIDTH / max(len(values) - 1, 1)
    return " ".join(
        f"{i * step:.1f},{SPARK_HEIGHT - 2 - (value / top) * (SPARK_HEIGHT - 4):.1f}" for i, value in enumerate(values)
    )


@dataclass
class ChartBar:
    label: str
    value: int
    y: int


def free_share_chart(rows: list[Association]) -> list[ChartBar]:
    """One bar per association with a known share, 20 units apart."""
    known = [row for row in rows if row.free_share is not None]  # type: ignore[attr-defined]
    return [ChartBar(label=row.name, value=row.free_share, y=i * 20) for i, row in enumerate(known)]  # type: ignore[attr-defined]


def _advised_network(request: AuthedRequest, network_slug: str) -> Network:
    network = selectors.networks_of_advisor(request.user).filter(slug=network_slug).first()
    if network is None:
        raise Http404
    return network


def _dashboard_options(request: AuthedRequest) -> dict[str, Any]:
    sort = request.GET.get("sort", "name")
    if sort.lstrip("-") not in SORTS:
        sort = "name"
    return {
        "sort": sort,
        "place": request.GET.get("place", "")[:120],
        "has_risks": request.GET.get("risks") == "1",
        "has_help": request.GET.get("help") == "1",
    }


SORT_COLUMNS = [
    ("name", gettext_lazy("Association")),
    ("place", gettext_lazy("Commune")),
    ("stack", gettext_lazy("Tools in use")),
    ("free", gettext_lazy("Free software share")),
    ("single", gettext_lazy("Tools known by one person")),
    ("proposals", gettext_lazy("Open votes")),
    ("deadline", gettext_lazy("Nearest deadline")),
    ("activity", gettext_lazy("Last activity")),
    ("help", gettext_lazy("Open help requests")),
]


@login_required
def network_dashboard(request: AuthedRequest, network_slug: str) -> HttpResponse:
    network = _advised_network(request, network_slug)
    options = _dashboard_options(request)
    ids = selectors.followed_association_ids(network)
    # The scope covers exactly the associations that consent now: a revoked one cannot leak in.
    with association_scope(ids):
        rows = list(dashboard_rows(network, ids, **options))
        help_requests = list(selectors.help_requests_for_network(network, ids).filter(status__in=OPEN_HELP_STATUSES))
        activity = activity_by_week(ids)
        services.log_network_reads(
            user=request.user,
            network=network,
            association_ids=[row.pk for row in rows],
            path=request.get_full_path(),
            what="frontend:network_dashboard",
        )
    query = request.GET.copy()
    query.pop("sort", None)
    current = options["sort"]
    columns = [
        {
            "key": key,
            "label": label,
            "sorted": current.lstrip("-") == key,
            "descending": current == f"-{key}",
            "next": f"-{key}" if current == key else key,
        }
        for key, label in SORT_COLUMNS
    ]
    context = {
        "network": network,
        "rows": rows,
        "columns": columns,
        "options": options,
        "filter_query": query.urlencode(),
        "export_query": request.GET.urlencode(),
        "help_requests": help_requests,
        "chart": free_share_chart(rows),
        "chart_height": max(len([r for r in rows if r.free_share is not None]), 1) * 20,  # type: ignore[attr-defined]
        "bar_width": BAR_WIDTH,
        "activity": activity,
        "activity_total": sum(activity),
        "sparkline": sparkline_points(activity),
        "spark_width": SPARK_WIDTH,
        "spark_height": SPARK_HEIGHT,
    }
    return render(request, "advisor/dashboard.html", context)


CSV_HEADERS = [
    # French, not translated: see shared_tools.exports (a spreadsheet built on the file keeps working).
    "Association",
    "Commune",
    "Département",
    "Outils utilisés",
    "Part de logiciel libre (%)",
    "Outils maîtrisés par une seule personne",
    "Votes en cours",
    "Prochaine échéance",
    "Dernière activité",
    "Score du diagnostic",
    "Date du diagnostic",
    "Demandes d'aide ouvertes",
]
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def _local_date(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y") if value else ""


def dashboard_csv_rows(rows: list[Association]) -> list[list[str]]:
    """The export, headers first. The diagnostic columns stay empty for an association without one."""
    lines = [CSV_HEADERS]
    for row in rows:
        figures: Any = row
        lines.append(
            [
                _cell(row.name),
                _cell(row.commune),
                row.departement,
                str(figures.stack_size),
                "" if figures.free_share is None else str(figures.free_share),
                str(figures.single_master_count),
                str(figures.open_proposal_count),
                _local_date(figures.nearest_deadline),
                _local_date(figures.last_activity),
                "" if figures.diagnostic_score is None else str(figures.diagnostic_score),
                _local_date(figures.diagnostic_at),
                str(figures.open_help_count),
            ]
        )
    return lines


@login_required
def network_dashboard_csv(request: AuthedRequest, network_slug: str) -> HttpResponse:
    network = _advised_network(request, network_slug)
    ids = selectors.followed_association_ids(network)
    with association_scope(ids):
        rows = list(dashboard_rows(network, ids, **_dashboard_options(request)))
        services.log_network_reads(
            user=request.user,
            network=network,
            association_ids=[row.pk for row in rows],
            path=request.get_full_path(),
            what="frontend:network_dashboard_csv",
        )
    filename = f"suivi-{network.slug}-{timezone.localdate():%Y-%m-%d}.csv"
    response = HttpResponse(
        content_type="text/csv; charset=utf-8", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
    response.write(BOM)
    csv.writer(response, delimiter=DELIMITER, lineterminator="\r\n").writerows(dashboard_csv_rows(rows))
    return response


# Help requests: the association's side and the conseillers' (same pages, behind the same gate) --


class HelpRequestForm(forms.Form):
    network = forms.ModelChoiceField(label=gettext_lazy("Network"), queryset=Network.objects.none(), empty_label=None)
    title = forms.CharField(label=gettext_lazy("Topic"), max_length=200)
    tool = forms.ChoiceField(label=gettext_lazy("Tool concerned (optional)"), required=False)
    message = forms.CharField(
        label=gettext_lazy("Your message"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("Only your board, your administrators and the network's conseillers will read it."),
    )

    def __init__(self, *args: Any, access: Access, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["network"].queryset = selectors.active_networks_of(access.association)  # type: ignore[attr-defined]
        usages = (
            ToolUsage.objects.filter(association=access.association)
            .exclude(stage=Stage.ABANDONED)
            .order_by("tool__name")
            .values_list("tool__slug", "tool__name")
        )
        self.tool_names: dict[str, str] = dict(usages)
        self.fields["tool"].choices = [("", _("No particular tool")), *self.tool_names.items()]  # type: ignore[attr-defined]


class HelpReplyForm(forms.Form):
    body = forms.CharField(label=gettext_lazy("Your answer"), max_length=5000, widget=forms.Textarea(attrs={"rows": 5}))


HELP_PAGE_SIZE = 30


@association_view("hub.help:view")
def help_requests(request: AuthedRequest, access: Access) -> HttpResponse:
    page = Paginator(selectors.help_requests_of(access.association), HELP_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "associations/help_list.html", template_access(access) | {"page": page})


@require_http_methods(["GET", "POST"])
@association_view("hub.help:request")
def help_request_new(request: AuthedRequest, access: Access) -> HttpResponse:
    form = HelpRequestForm(request.POST or None, access=access)
    if request.method == "POST" and form.is_valid():
        tool_slug = form.cleaned_data["tool"]
        try:
            help_request = services.open_help_request(
                access=access,
                user=request.user,
                network=form.cleaned_data["network"],
                title=form.cleaned_data["title"],
                message=form.cleaned_data["message"],
                tool_slug=tool_slug,
                tool_name=form.tool_names.get(tool_slug, ""),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Your help request has been sent to the network's conseillers."))
            return redirect(
                "frontend:help_request_detail", association_slug=access.association.slug, code=help_request.code
            )
    context = template_access(access) | {"form": form, "has_network": form.fields["network"].queryset.exists()}  # type: ignore[attr-defined]
    return render(request, "associations/help_new.html", context, status=400 if form.errors else 200)


def _help_request(access: Access, code: Any) -> HelpRequest:
    return get_object_or_404(
        HelpRequest.objects.filter(association=access.association).select_related("network", "opened_by"), code=code
    )


STATUS_ACTIONS = {
    HelpStatus.IN_PROGRESS: gettext_lazy("Mark as in progress"),
    HelpStatus.DONE: gettext_lazy("Mark as done"),
}


@require_http_methods(["GET", "POST"])
@association_view("hub.help:view")
def help_request_detail(request: AuthedRequest, access: Access, code: Any) -> HttpResponse:
    help_request = _help_request(access, code)
    form = HelpReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reply_to_help_request(
                access=access, user=request.user, help_request=help_request, body=form.cleaned_data["body"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Your message has been added."))
            return redirect("frontend:help_request_detail", association_slug=access.association.slug, code=code)
    moves = help_moves(access, help_request)
    context = template_access(access) | {
        "help_request": help_request,
        "thread": selectors.help_messages_of(help_request),
        "form": form,
        "can_reply": can_reply_to_help(access, help_request),
        "moves": [(status, STATUS_ACTIONS[HelpStatus(status)]) for status in HelpStatus.values if status in moves],
    }
    return render(request, "associations/help_detail.html", context, status=400 if form.errors else 200)


@require_POST
@association_view("hub.help:view")
def help_request_status(request: AuthedRequest, access: Access, code: Any) -> HttpResponse:
    help_request = _help_request(access, code)
    status = request.POST.get("status", "")
    try:
        services.move_help_request(access=access, help_request=help_request, status=status)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The help request is now: %(status)s.") % {"status": HelpStatus(status).label})
    return redirect("frontend:help_request_detail", association_slug=access.association.slug, code=code)


# The administrators' view of conseillers' reads -----------------------------------------------

READS_PAGE_SIZE = 50


@association_view("hub.reads:view")
def advisor_reads(request: AuthedRequest, access: Access) -> HttpResponse:
    page = Paginator(selectors.advisor_reads_of(access.association), READS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "associations/advisor_reads.html", template_access(access) | {"page": page})
