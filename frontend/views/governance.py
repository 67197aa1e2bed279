"""Governance pages: proposals, the vote, the discussion, the register and its exports.

Thin views: a form checks the shape, a service decides (re-checking the predicates of
`governance.permissions`, which also decide what the templates show) and the view redirects.
Every action is a plain POST form; htmx only refreshes the running tally.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from governance import exports, permissions, selectors, services
from governance.calendar import calendar_token, membership_for_token, render_calendar
from governance.models import Choice, Decision, Method, Proposal, ProposalKind, Status
from governance.register import decisions_for_verification, verify_register
from hub.markdown import render_markdown
from hub.models import Electorate, Threshold
from hub.permissions import Access
from hub.tenancy import association_scope
from notifications.selectors import subscription_state
from shared_tools.models import Stage, Tool

from ..access import AuthedRequest, association_view, template_access
from .common import add_service_errors

OPTION_ROWS = 5


# Forms -------------------------------------------------------------------------------------


class ToolNameField(forms.CharField):
    """A catalogue tool typed by name or short name (the page offers the names in a datalist)."""

    def clean(self, value: Any) -> Tool | None:  # type: ignore[override]
        text = (super().clean(value) or "").strip()
        if not text:
            return None
        tool = Tool.objects.filter(slug=text).first() or Tool.objects.filter(name__iexact=text).first()
        if tool is None:
            raise ValidationError(_("No tool of the catalogue has this name."), code="unknown_tool")
        return tool


def local_input(**attrs: Any) -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local", **attrs}, format="%Y-%m-%dT%H:%M")


class ProposalForm(forms.Form):
    """The whole proposal on one page: what, the options, the rules."""

    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    kind = forms.ChoiceField(label=gettext_lazy("What is it about?"), choices=ProposalKind.choices)
    body = forms.CharField(
        label=gettext_lazy("Description"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("Why, for whom, at what cost. Markdown: **bold**, *italic*, lists, links."),
    )
    current_tool = ToolNameField(
        label=gettext_lazy("Tool replaced or retired"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"list": "catalogue-tools", "autocomplete": "off"}),
        help_text=gettext_lazy("Only for a replacement or a retirement: its name in the catalogue."),
    )
    method = forms.ChoiceField(label=gettext_lazy("How do we vote?"), choices=Method.choices)
    criteria = forms.CharField(
        label=gettext_lazy("Comparison criteria (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("One per line, for example: cost, where the data is kept, ease of use."),
    )
    electorate = forms.ChoiceField(label=gettext_lazy("Who votes?"), choices=Electorate.choices)
    quorum_percent = forms.IntegerField(
        label=gettext_lazy("Quorum (percentage of voters who must take part)"), min_value=0, max_value=100
    )
    threshold = forms.ChoiceField(label=gettext_lazy("Majority needed"), choices=Threshold.choices)
    anonymous = forms.BooleanField(label=gettext_lazy("Secret ballot"), required=False)
    results_hidden = forms.BooleanField(label=gettext_lazy("Hide the results until the vote closes"), required=False)
    allow_vote_change = forms.BooleanField(
        label=gettext_lazy("Voters can change their vote until the close"), required=False
    )
    reason_required = forms.BooleanField(
        label=gettext_lazy("A reason is required to vote against or object"), required=False
    )
    opens_at = forms.DateTimeField(
        label=gettext_lazy("Voting opens"),
        required=False,
        widget=local_input(),
        help_text=gettext_lazy("Empty: when you open the vote."),
    )
    closes_at = forms.DateTimeField(
        label=gettext_lazy("Voting closes"),
        required=False,
        widget=local_input(),
        help_text=gettext_lazy("Empty: after the association's usual voting period."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for n in range(1, OPTION_ROWS + 1):
            self.fields[f"option_{n}_label"] = forms.CharField(
                label=gettext_lazy("Name of the option"),
                required=False,
                max_length=200,
                help_text=gettext_lazy("Empty: the tool's name."),
            )
            self.fields[f"option_{n}_tool"] = ToolNameField(
                label=gettext_lazy("Tool of the catalogue"),
                required=False,
                max_length=200,
                widget=forms.TextInput(attrs={"list": "catalogue-tools", "autocomplete": "off"}),
            )
            self.fields[f"option_{n}_description"] = forms.CharField(
                label=gettext_lazy("Description"),
                required=False,
                max_length=5000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.fields[f"option_{n}_assessments"] = forms.CharField(
                label=gettext_lazy("On each criterion"),
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
                help_text=gettext_lazy("One line per criterion, in the same order as the criteria."),
            )

    def option_rows(self) -> list[dict[str, forms.BoundField]]:
        return [
            {part: self[f"option_{n}_{part}"] for part in ("label", "tool", "description", "assessments")}
            for n in range(1, OPTION_ROWS + 1)
        ]

    def rule_checkboxes(self) -> list[forms.BoundField]:
        return [self[name] for name in ("anonymous", "results_hidden", "allow_vote_change", "reason_required")]

    def criteria_list(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data.get("criteria", "").splitlines() if line.strip()]

    def options(self) -> list[services.OptionSpec]:
        criteria = self.criteria_list()
        specs = []
        for n in range(1, OPTION_ROWS + 1):
            data = {part: self.cleaned_data.get(f"option_{n}_{part}") for part in ("label", "tool", "description")}
            lines = [line.strip() for line in (self.cleaned_data.get(f"option_{n}_assessments") or "").splitlines()]
            label = data["label"] or (data["tool"].name if data["tool"] else "")
            if not label:
                continue
            specs.append(
                services.OptionSpec(
                    label=label,
                    description=data["description"] or "",
                    tool=data["tool"],
                    assessments={c: v for c, v in zip(criteria, lines, strict=False) if v},
                )
            )
        return specs

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "kind": data["kind"],
            "body": data["body"],
            "current_tool": data["current_tool"],
            "criteria": self.criteria_list(),
            "method": data["method"],
            "options": self.options(),
            "electorate": data["electorate"],
            "quorum_percent": data["quorum_percent"],
            "threshold": data["threshold"],
            "anonymous": data["anonymous"],
            "results_hidden": data["results_hidden"],
            "allow_vote_change": data["allow_vote_change"],
            "reason_required": data["reason_required"],
            "opens_at": data["opens_at"],
            "closes_at": data["closes_at"],
        }


def initial_from_association(access: Access) -> dict[str, Any]:
    association = access.association
    return {
        "kind": ProposalKind.OTHER,
        "method": Method.CONSENT,
        "electorate": association.default_electorate,
        "quorum_percent": association.default_quorum_percent,
        "threshold": association.default_threshold,
        "results_hidden": True,
        "allow_vote_change": True,
    }


def initial_from_query(query: QueryDict) -> dict[str, Any]:
    """Prefill from a link (the diagnostic's "open a proposal to adopt X"): `kind`, `title`, `tool`.

    Only fills the form; nothing is saved until the board submits it. Unknown values are ignored.
    """
    initial: dict[str, Any] = {}
    if query.get("kind") in ProposalKind.values:
        initial["kind"] = query["kind"]
    title = (query.get("title") or "").strip()[:200]
    if title:
        initial["title"] = title
    tool = Tool.objects.filter(slug=query.get("tool") or "", discontinued=False).first()
    if tool is not None:
        initial["option_1_tool"] = tool.name
    return initial


def initial_from_proposal(proposal: Proposal) -> dict[str, Any]:
    initial: dict[str, Any] = {
        name: getattr(proposal, name)
        for name in ("title", "kind", "body", "method", "electorate", "quorum_percent", "threshold", "anonymous",
                     "results_hidden", "allow_vote_change", "reason_required")
    }  # fmt: skip
    initial["current_tool"] = proposal.current_tool.name if proposal.current_tool else ""
    initial["criteria"] = "\n".join(proposal.criteria or [])
    initial["opens_at"] = timezone.localtime(proposal.opens_at) if proposal.opens_at else None
    initial["closes_at"] = timezone.localtime(proposal.closes_at) if proposal.closes_at else None
    for n, option in enumerate(proposal.options.all(), start=1):
        initial[f"option_{n}_label"] = option.label
        initial[f"option_{n}_tool"] = option.tool.name if option.tool else ""
        initial[f"option_{n}_description"] = option.description
        initial[f"option_{n}_assessments"] = "\n".join((option.assessments or {}).get(c, "") for c in proposal.criteria)
    return initial


class VoteForm(forms.Form):
    """The ballot: `choice` for a consent vote, `pick` for a single choice, `options` for approval."""

    choice = forms.ChoiceField(choices=Choice.choices, required=False)
    pick = forms.CharField(required=False, max_length=64)
    options = forms.MultipleChoiceField(required=False, choices=())
    reason = forms.CharField(
        label=gettext_lazy("Reason (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    receipt = forms.CharField(label=gettext_lazy("Your receipt"), required=False, max_length=100)

    def __init__(self, *args: Any, proposal: Proposal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.proposal = proposal
        codes = [(str(option.code), option.label) for option in proposal.options.all()]
        options_field = self.fields["options"]
        assert isinstance(options_field, forms.MultipleChoiceField)  # noqa: S101 -- declared just above
        options_field.choices = codes
        if proposal.reason_required:
            self.fields["reason"].label = gettext_lazy("Reason (required to vote against or object)")

    def ballot(self) -> tuple[str, list[str]]:
        data = self.cleaned_data
        if self.proposal.method == Method.CONSENT:
            return data.get("choice") or "", []
        if self.proposal.method == Method.SINGLE:
            pick = data.get("pick") or ""
            if pick == Choice.ABSTAIN:
                return Choice.ABSTAIN, []
            return Choice.OPTIONS, [pick] if pick else []
        if data.get("choice") == Choice.ABSTAIN:
            return Choice.ABSTAIN, []
        return Choice.OPTIONS, list(data.get("options") or [])


class CommentForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Your message"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("Markdown: **bold**, *italic*, lists, links."),
    )


class StatementForm(forms.Form):
    statement = forms.CharField(
        label=gettext_lazy("Outcome statement"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("What the board records about this decision. It can be written only once."),
    )


class ReceiptForm(forms.Form):
    receipt = forms.CharField(label=gettext_lazy("Your receipt"), max_length=100)


# Helpers -------------------------------------------------------------------------------------


def get_proposal(access: Access, code: Any) -> Proposal:
    try:
        return selectors.proposal_detail(access, code)
    except Proposal.DoesNotExist as exc:
        raise Http404 from exc


def get_decision(access: Access, code: Any) -> Decision:
    try:
        return selectors.decision_detail(access.association, code)
    except Decision.DoesNotExist as exc:
        raise Http404 from exc


def proposal_url(access: Access, proposal: Proposal) -> str:
    return reverse(
        "frontend:proposal_detail", kwargs={"association_slug": access.association.slug, "code": proposal.code}
    )


def show_errors(request: HttpRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


def tool_names() -> Sequence[str]:
    return list(Tool.objects.order_by("name").values_list("name", flat=True))


# Proposals ---------------------------------------------------------------------------------


@association_view("governance.proposals:view")
def proposals(request: AuthedRequest, access: Access) -> HttpResponse:
    calendar_url = None
    if access.membership is not None:
        calendar_url = request.build_absolute_uri(
            reverse("frontend:governance_calendar", kwargs={"token": calendar_token(access.membership)})
        )
    context = template_access(access) | {
        "sections": selectors.proposal_sections(access),
        "can_create": permissions.can_create_proposal(access),
        "calendar_url": calendar_url,
    }
    return render(request, "governance/proposals.html", context)


@require_http_methods(["GET", "POST"])
@association_view("governance.proposals:view")
def proposal_create(request: AuthedRequest, access: Access) -> HttpResponse:
    if not permissions.can_create_proposal(access):
        raise PermissionDenied
    initial = initial_from_association(access)
    if request.method == "GET":
        initial |= initial_from_query(request.GET)
    form = ProposalForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            # Both or neither: a vote that cannot open leaves no stray draft behind.
            with transaction.atomic():
                proposal = services.create_proposal(access=access, **form.service_fields())
                if "open_now" in request.POST:
                    proposal = services.open_proposal(access=access, proposal=proposal)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if proposal.status == Status.OPEN:
                messages.success(request, _("The vote is open. The voters have been told."))
            else:
                messages.success(request, _("The proposal is saved as a draft: discuss it, then open the vote."))
            return redirect(proposal_url(access, proposal))
    context = template_access(access) | {"form": form, "tool_names": tool_names(), "editing": None}
    return render(request, "governance/proposal_form.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@association_view("governance.proposals:view")
def proposal_edit(request: AuthedRequest, access: Access, code: str) -> HttpResponse:
    proposal = get_proposal(access, code)
    if not permissions.can_edit_proposal(access, proposal):
        raise PermissionDenied
    form = ProposalForm(request.POST or None, initial=initial_from_proposal(proposal))
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        options = fields.pop("options")
        try:
            services.update_proposal(access=access, proposal=proposal, options=options, **fields)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The draft has been saved."))
            return redirect(proposal_url(access, proposal))
    context = template_access(access) | {"form": form, "tool_names": tool_names(), "editing": proposal}
    return render(request, "governance/proposal_form.html", context, status=400 if form.errors else 200)


def detail_context(request: AuthedRequest, access: Access, proposal: Proposal, **extra: Any) -> dict[str, Any]:
    elector = selectors.elector_of(proposal, access)
    options = list(proposal.options.all())
    can_vote = permissions.can_cast_vote(access, proposal, elector)
    can_comment = permissions.can_comment(access, proposal)
    return template_access(access) | {
        "proposal": proposal,
        "body_html": render_markdown(proposal.body),
        "options": options,
        "comparison": selectors.comparison_rows(proposal, options),
        "elector": elector,
        "my_vote": selectors.my_vote(proposal, elector),
        "tally": selectors.running_tally(proposal) if permissions.can_see_results(access, proposal) else None,
        "comments": [(c, render_markdown(c.body)) for c in selectors.comments_of(proposal)],
        "allowed": {
            "vote": can_vote,
            "comment": can_comment,
            "edit": permissions.can_edit_proposal(access, proposal),
            "open": permissions.can_publish_proposal(access, proposal),
            "withdraw": permissions.can_withdraw_proposal(access, proposal),
            "close": permissions.can_close_proposal(access, proposal),
        },
        "vote_form": extra.pop("vote_form", None) or (VoteForm(proposal=proposal) if can_vote else None),
        "comment_form": extra.pop("comment_form", None) or (CommentForm() if can_comment else None),
        "receipt_form": ReceiptForm(),
        "consent_choices": [c for c in Choice.choices if c[0] != Choice.OPTIONS],
        "now": timezone.now(),
        # Members choose to follow (comments reach them) or mute this proposal; conseillers cannot.
        "follow_state": subscription_state(
            request.user, access.association, target_kind="proposal", target_code=proposal.code
        )
        if access.is_member
        else None,
        **extra,
    }


@association_view("governance.proposals:view")
def proposal_detail(request: AuthedRequest, access: Access, code: str) -> HttpResponse:
    proposal = get_proposal(access, code)
    return render(request, "governance/proposal_detail.html", detail_context(request, access, proposal))


@require_GET
@association_view("governance.proposals:view")
def proposal_tally(request: AuthedRequest, access: Access, code: str) -> HttpResponse:
    """The running tally alone, for htmx to refresh the detail page's section."""
    proposal = get_proposal(access, code)
    if not permissions.can_see_results(access, proposal):
        raise PermissionDenied
    context = template_access(access) | {"proposal": proposal, "tally": selectors.running_tally(proposal)}
    return render(request, "governance/_tally.html", context)


@require_POST
@association_view("governance.votes:cast")
def proposal_vote(request: AuthedRequest, access: Access, code: str) -> HttpResponse:
    proposal = get_proposal(access, code)
    form = VoteForm(request.POST, proposal=proposal)
    if form.is_valid():
        choice, options = form.ballot()
        try:
            cast = services.cast_vote(
                access=access,
                proposal=proposal,
                choice=choice,
                options=options,
                reason=form.cleaned_data["reason"],
                receipt=form.cleaned_data["receipt"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if cast.receipt:
                messages.success(
                    request,
                    _(
                        "Your vote is recorded. Your receipt is %(receipt)s — note it down: it is the only way "
                        "to check your secret ballot or change it, and it will not be shown again."
                    )
                    % {"receipt": cast.receipt},
                )
            elif cast.changed:
                messages.success(request, _("Your vote has been changed."))
            else:
                messages.success(request, _("Your vote is recorded."))
            return redirect(proposal_url(access, proposal))
    context = detail_context(request, access, proposal, vote_form=form)
    return render(request, "governance/proposal_detail.html", context, status=400)


@require_POST
@association_view("governance.proposals:view")
def proposal_ballot_check(request: AuthedRequest, access: Access, code: str) -> HttpResponse:
    proposal = get_proposal(access, code)
    form = ReceiptForm(request.POST)
    ballot = selectors.ballot_by_receipt(proposal, form.cleaned_data["receipt"]) if form.is_valid() else None
    if ballot is None:
        messages.error(request, _("This receipt does not match any ballot of this vote."))
    else:
        chosen = [o.label for o in proposal.options.all() if str(o.code) in ballot.options]
        what = ", ".join(chosen) if chosen else str(Choice(ballot.choice).label)
        messages.info(request, _("This receipt's ballot is counted. It says: %(what)s.") % {"what": what})
    return redirect(proposal_url(access, proposal))


@require_POST
@association_view("governance.comments:write")
def proposal_comment(request: AuthedRequest, access: Access, code: str) -> HttpResponse:
    proposal = get_proposal(access, code)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.add_comment(access=access, proposal=proposal, body=form.cleaned_data["body"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Your message is posted."))
            return redirect(proposal_url(access, proposal) + "#discussion")
    context = detail_context(request, access, proposal, comment_form=form)
    return render(request, "governance/proposal_detail.html", context, status=400)


@require_POST
@association_view("governance.proposals:view")
def proposal_open(request: AuthedRequest, access: Access, code: str) -> HttpResponse:
    proposal = get_proposal(access, code)
    try:
        services.open_proposal(access=access, proposal=proposal)
    except ValidationError as exc:
        show_errors(request, exc)
    else:
        messages.success(request, _("The vote is open. The voters have been told."))
    return redirect(proposal_url(access, proposal))


@require_POST
@association_view("governance.proposals:view")
def proposal_withdraw(request: AuthedRequest, access: Access, code: str) -> HttpResponse:
    proposal = get_proposal(access, code)
    try:
        services.withdraw_proposal(access=access, proposal=proposal)
    except ValidationError as exc:
        show_errors(request, exc)
    else:
        messages.success(request, _("The proposal has been withdrawn."))
    return redirect(proposal_url(access, proposal))


@require_POST
@association_view("governance.proposals:close")
def proposal_close(request: AuthedRequest, access: Access, code: str) -> HttpResponse:
    proposal = get_proposal(access, code)
    decision = services.close_proposal(proposal_id=proposal.pk, access=access)
    if decision is None:
        messages.info(request, _("This vote was already closed."))
        return redirect(proposal_url(access, proposal))
    messages.success(request, _("The vote is closed and the decision recorded in the register."))
    return redirect("frontend:decision_detail", association_slug=access.association.slug, code=decision.code)


# The register ------------------------------------------------------------------------------


@association_view("governance.decisions:view")
def register(request: AuthedRequest, access: Access) -> HttpResponse:
    association = access.association
    context = template_access(access) | {
        "decisions": list(selectors.register_of(association)),
        "verification": verify_register(association, decisions_for_verification(association)),
    }
    return render(request, "governance/register.html", context)


@association_view("governance.decisions:view")
def decision_detail(request: AuthedRequest, access: Access, code: str) -> HttpResponse:
    decision = get_decision(access, code)
    proposal = decision.proposal
    options = list(proposal.options.all())
    can_write = permissions.can_write_statement(access, decision)
    context = template_access(access) | {
        "decision": decision,
        "proposal": proposal,
        "tally": selectors.decision_tally(decision, options),
        "ballots": selectors.ballot_lines(proposal),
        "voters": selectors.voter_names(proposal),
        "effect": [
            (step["tool_name"], Stage(step["from"]).label if step["from"] else "", Stage(step["to"]).label)
            for step in decision.effect
        ],
        "statement_html": render_markdown(decision.statement) if decision.statement else "",
        "statement_form": StatementForm() if can_write else None,
    }
    return render(request, "governance/decision_detail.html", context)


@require_POST
@association_view("governance.decisions:write")
def decision_statement(request: AuthedRequest, access: Access, code: str) -> HttpResponse:
    decision = get_decision(access, code)
    form = StatementForm(request.POST)
    if form.is_valid():
        try:
            services.record_statement(access=access, decision=decision, statement=form.cleaned_data["statement"])
        except ValidationError as exc:
            show_errors(request, exc)
        else:
            messages.success(request, _("The statement has been recorded."))
    else:
        messages.error(request, _("Write the statement."))
    return redirect("frontend:decision_detail", association_slug=access.association.slug, code=decision.code)


def _minutes(request: AuthedRequest, access: Access, *, code: Any = None, pdf: bool = False) -> HttpResponse:
    association = access.association
    decisions = selectors.minutes_decisions(association, code)
    if code is not None and not decisions:
        raise Http404
    context = exports.minutes_context(
        association=association,
        decisions=decisions,
        verification=verify_register(association, decisions_for_verification(association)),
        single=code is not None,
    )
    if not pdf:
        return render(request, "governance/minutes.html", context)
    suffix = f"-{decisions[0].sequence}" if code is not None else ""
    filename = f"proces-verbal-{association.slug}{suffix}-{timezone.localdate():%Y-%m-%d}.pdf"
    return HttpResponse(
        exports.minutes_pdf(context),
        content_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@require_GET
@association_view("governance.decisions:view")
def register_minutes(request: AuthedRequest, access: Access) -> HttpResponse:
    return _minutes(request, access)


@require_GET
@association_view("governance.decisions:view")
def register_pdf(request: AuthedRequest, access: Access) -> HttpResponse:
    return _minutes(request, access, pdf=True)


@require_GET
@association_view("governance.decisions:view")
def decision_minutes(request: AuthedRequest, access: Access, code: str) -> HttpResponse:
    return _minutes(request, access, code=code)


@require_GET
@association_view("governance.decisions:view")
def decision_pdf(request: AuthedRequest, access: Access, code: str) -> HttpResponse:
    return _minutes(request, access, code=code, pdf=True)


@require_GET
@association_view("governance.decisions:view")
def register_csv(request: AuthedRequest, access: Access) -> HttpResponse:
    association = access.association
    verification = verify_register(association, decisions_for_verification(association))
    filename = f"registre-des-decisions-{association.slug}-{timezone.localdate():%Y-%m-%d}.csv"
    response = HttpResponse(
        content_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Register-Hash": verification.latest_hash,
        },
    )
    response.write("\ufeff")  # so that spreadsheet programs read the accents right
    exports.write_register_csv(response, selectors.minutes_decisions(association), verification)  # type: ignore[arg-type]
    return response


# Calendar (no login: the signed token in the address is the key) ------------------------------


@require_GET
def governance_calendar(request: HttpRequest, token: str) -> HttpResponse:
    membership = membership_for_token(token)
    if membership is None:
        raise Http404
    association = membership.association
    with association_scope(association):
        rows = selectors.calendar_proposals(membership)
    urls = {
        p.pk: request.build_absolute_uri(
            reverse("frontend:proposal_detail", kwargs={"association_slug": association.slug, "code": p.code})
        )
        for p in rows
    }
    body = render_calendar(association_name=association.name, proposals=rows, url_for=urls, now=timezone.now())
    return HttpResponse(
        body,
        content_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'inline; filename="votes.ics"', "Cache-Control": "private, max-age=300"},
    )
