"""Reads on proposals, votes, comments and the register. Each selector owns its joins.

All of them need the association scope (the request's or the task's), except
`calendar_membership` which resolves a signed token and names its bypass.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Exists, OuterRef, Prefetch, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from hub.models import Membership
from hub.permissions import Access

from . import register, tally
from .models import (
    Ballot,
    Choice,
    Comment,
    Decision,
    Elector,
    Option,
    Participation,
    Proposal,
    Status,
    decisions_in,
    proposals_in,
)

if TYPE_CHECKING:
    from hub.models import Association


def _count_of(model: Any) -> Coalesce:
    # A correlated subquery rather than Count() over two joins (electors × participations rows).
    rows = model.objects.filter(proposal=OuterRef("pk")).order_by().values("proposal").annotate(n=Count("pk"))
    return Coalesce(Subquery(rows.values("n")), 0)


def proposals_of(access: Access) -> QuerySet[Proposal]:
    """Proposals of the association with counts and the caller's own state, in one query.

    Annotations: `elector_count`, `participation_count`, `is_elector`, `has_voted`; the decision
    (closed ones) is joined.
    """
    rows = proposals_in(access.association).select_related("decision", "decision__winning_option", "author")
    rows = rows.annotate(elector_count=_count_of(Elector), participation_count=_count_of(Participation))
    if access.membership is None:
        return rows.annotate(is_elector=Value(False), has_voted=Value(False)).order_by("-created_at", "-pk")
    membership_id = access.membership.pk
    return rows.annotate(
        is_elector=Exists(Elector.objects.filter(proposal=OuterRef("pk"), membership_id=membership_id)),
        has_voted=Exists(Participation.objects.filter(proposal=OuterRef("pk"), elector__membership_id=membership_id)),
    ).order_by("-created_at", "-pk")


@dataclass
class ProposalSections:
    to_vote: list[Proposal]
    open: list[Proposal]
    drafts: list[Proposal]
    closed: list[Proposal]


CLOSED_ON_LIST = 30


def proposal_sections(access: Access) -> ProposalSections:
    """The proposals list page: awaiting my vote, open, in preparation, recently closed (two queries)."""
    now = timezone.now()
    live = list(proposals_of(access).filter(status__in=[Status.DRAFT, Status.OPEN]))
    closed = list(proposals_of(access).filter(status__in=[Status.CLOSED, Status.WITHDRAWN])[:CLOSED_ON_LIST])
    return ProposalSections(
        to_vote=[
            p
            for p in live
            if p.status == Status.OPEN
            and getattr(p, "is_elector", False)
            and not getattr(p, "has_voted", False)
            and p.voting_is_on(now)
        ],
        open=[p for p in live if p.status == Status.OPEN],
        drafts=[p for p in live if p.status == Status.DRAFT],
        closed=closed,
    )


def proposal_detail(access: Access, code: Any) -> Proposal:
    """One proposal with its tool(s), options, author and the caller's state. Raises Proposal.DoesNotExist."""
    return (
        proposals_of(access)
        .select_related("current_tool")
        .prefetch_related(Prefetch("options", queryset=Option.objects.select_related("tool").order_by("position")))
        .get(code=code)
    )


def elector_of(proposal: Proposal, access: Access) -> Elector | None:
    if access.membership is None:
        return None
    return proposal.electors.filter(membership_id=access.membership.pk).first()


@dataclass(frozen=True)
class MyVote:
    """What a member may see of their own vote: that it counts, and on a named vote what it says."""

    voted_at: Any
    ballot: Ballot | None  # None on a secret ballot: the app cannot tell which one is theirs


def my_vote(proposal: Proposal, elector: Elector | None) -> MyVote | None:
    if elector is None:
        return None
    participation = proposal.participations.filter(elector=elector).first()
    if participation is None:
        return None
    ballot = None if proposal.anonymous else proposal.ballots.filter(elector=elector).first()
    return MyVote(voted_at=participation.voted_at, ballot=ballot)


def ballot_by_receipt(proposal: Proposal, receipt: str) -> Ballot | None:
    """The secret ballot a receipt designates (its holder may check what it says)."""
    from .services import receipt_digest

    if not receipt.strip():
        return None
    return proposal.ballots.filter(receipt_digest=receipt_digest(proposal, receipt), elector__isnull=True).first()


@dataclass(frozen=True)
class OptionCount:
    option: Option
    count: int
    percent: int  # of expressed ballots, rounded down, for display only


@dataclass(frozen=True)
class TallyView:
    result: tally.Result
    options: list[OptionCount]
    is_final: bool


def _tally_view(proposal: Proposal, options: list[Option], result: tally.Result, is_final: bool) -> TallyView:
    expressed = result.expressed or 1
    counts = [(option, result.option_counts.get(str(option.code), 0)) for option in options]
    rows = [OptionCount(option=option, count=n, percent=n * 100 // expressed) for option, n in counts]
    return TallyView(result=result, options=rows, is_final=is_final)


def decision_tally(decision: Decision, options: list[Option]) -> TallyView:
    """The recorded result of a decision, in the shape of a running tally (no query)."""
    result = tally.Result(
        electorate=decision.electorate_size,
        participants=decision.participants,
        expressed=decision.expressed,
        quorum_met=decision.quorum_met,
        outcome=decision.outcome,
        winner=str(decision.winning_option.code) if decision.winning_option else None,
        counts={k: int(v) for k, v in decision.tally.get("counts", {}).items()},
        option_counts={k: int(v) for k, v in decision.tally.get("options", {}).items()},
    )
    return _tally_view(decision.proposal, options, result, is_final=True)


def running_tally(proposal: Proposal) -> TallyView:
    """The count so far, or the recorded one once closed. At most three queries."""
    options = list(proposal.options.all())
    if proposal.status == Status.CLOSED and hasattr(proposal, "decision"):
        return decision_tally(proposal.decision, options)
    electorate = proposal.electors.count()
    ballots = list(proposal.ballots.only("choice", "options"))
    return _tally_view(proposal, options, register.recount(proposal, options, ballots, electorate), is_final=False)


def comments_of(proposal: Proposal) -> QuerySet[Comment]:
    return proposal.comments.select_related("author").order_by("created_at", "pk")


@dataclass(frozen=True)
class ComparisonRow:
    label: str
    values: list[str]


def comparison_rows(proposal: Proposal, options: list[Option]) -> list[ComparisonRow]:
    """The options side by side: catalogue facts of their tools, then the proposal's own criteria."""
    rows: list[ComparisonRow] = []
    if any(option.tool_id for option in options):

        def fact(option: Option, getter: Any) -> str:
            return str(getter(option.tool)) if option.tool is not None else "—"

        rows += [
            ComparisonRow(_("Free software"), [fact(o, lambda t: t.get_free_software_display()) for o in options]),
            ComparisonRow(_("Licence"), [fact(o, lambda t: t.licence or t.licence_raw or "—") for o in options]),
            ComparisonRow(_("Cost"), [fact(o, lambda t: t.get_pricing_display()) for o in options]),
            ComparisonRow(_("Data location"), [fact(o, lambda t: t.get_data_location_display()) for o in options]),
            ComparisonRow(_("Ease of use"), [fact(o, lambda t: t.get_ease_of_use_display()) for o in options]),
        ]
    for criterion in proposal.criteria or []:
        rows.append(ComparisonRow(criterion, [(o.assessments or {}).get(criterion, "") or "—" for o in options]))
    return rows


# The register ------------------------------------------------------------------------------


def register_of(association: Association) -> QuerySet[Decision]:
    """The decisions, newest first, with what the register table shows (one query)."""
    return decisions_in(association).select_related("proposal", "winning_option").order_by("-sequence")


def _with_options_and_ballots() -> tuple[Prefetch, Prefetch]:
    # Built per call: a scoped manager's queryset needs the scope active when it is made.
    return (
        Prefetch("proposal__options", queryset=Option.objects.select_related("tool").order_by("position", "pk")),
        Prefetch("proposal__ballots", queryset=Ballot.objects.select_related("elector").order_by("pk")),
    )


def decision_detail(association: Association, code: Any) -> Decision:
    """One decision with its proposal, options and ballots. Raises Decision.DoesNotExist."""
    return (
        decisions_in(association)
        .select_related("proposal", "proposal__current_tool", "winning_option")
        .prefetch_related(*_with_options_and_ballots())
        .get(code=code)
    )


def minutes_decisions(association: Association, code: Any = None) -> list[Decision]:
    """Decisions for the minutes, oldest first, with options and ballots (constant queries)."""
    rows = (
        decisions_in(association)
        .select_related("proposal", "proposal__current_tool", "winning_option")
        .prefetch_related(*_with_options_and_ballots())
        .order_by("sequence")
    )
    if code is not None:
        rows = rows.filter(code=code)
    return list(rows)


@dataclass(frozen=True)
class BallotLine:
    voter: str  # "" on a secret ballot
    choice: str
    options: list[str]
    reason: str


def ballot_lines(proposal: Proposal) -> list[BallotLine]:
    """Who voted what on a named vote; on a secret one the ballots unnamed, in random order.

    Reads `proposal.options` and `proposal.ballots` (with electors) as prefetched by the
    decision selectors above.
    """
    labels = {str(o.code): o.label for o in proposal.options.all()}
    choices = dict(Choice.choices)
    lines = [
        BallotLine(
            voter=ballot.elector.shown_name if ballot.elector is not None and not proposal.anonymous else "",
            choice=str(choices.get(ballot.choice, ballot.choice)),
            options=[labels.get(code, code) for code in ballot.options],
            reason=ballot.reason,
        )
        for ballot in proposal.ballots.all()
    ]
    # Secret ballots keep their random (UUID) order; named ones read by voter.
    if not proposal.anonymous:
        lines.sort(key=lambda line: line.voter.casefold())
    return lines


def voter_names(proposal: Proposal) -> list[str]:
    """Names of the electors who voted (public even on a secret ballot: who took part, not how)."""
    return [
        elector.shown_name
        for elector in proposal.electors.filter(participations__isnull=False)
        .only("display_name", "erased_at")
        .order_by("display_name", "pk")
    ]


# Calendar ------------------------------------------------------------------------------------


def calendar_proposals(membership: Membership) -> list[Proposal]:
    """Open proposals of the member's association, with whether the member votes on each."""
    return list(
        Proposal.objects.filter(association_id=membership.association_id, status=Status.OPEN)
        .annotate(is_elector=Exists(Elector.objects.filter(proposal=OuterRef("pk"), membership_id=membership.pk)))
        .order_by("closes_at")
    )
