"""Who may do what with proposals, votes, comments and decisions, given their state.

Each predicate combines a permission string of `hub.permissions` with the proposal's phase and
deadlines. The same predicate hides the button (templates get its result), guards the view, and
is re-checked by the service under the row lock.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from hub.permissions import Access

from .models import Decision, Elector, Proposal, Status


def can_view_proposals(access: Access) -> bool:
    return access.has("governance.proposals:view")


def can_create_proposal(access: Access) -> bool:
    """The board opens proposals; members too when the association lets them (never conseillers)."""
    if access.has("governance.proposals:open"):
        return True
    return access.is_member and access.association.members_can_propose and access.has("governance.votes:cast")


# Opening a vote and drafting are the same right: whoever may create a proposal may open it.
can_open_proposal = can_create_proposal


def _is_author(access: Access, proposal: Proposal) -> bool:
    return access.user is not None and proposal.author_id == access.user.pk


def can_edit_proposal(access: Access, proposal: Proposal) -> bool:
    """Drafts only, by their author or the board."""
    if proposal.status != Status.DRAFT or not can_create_proposal(access):
        return False
    return _is_author(access, proposal) or access.has("governance.proposals:open")


def can_publish_proposal(access: Access, proposal: Proposal) -> bool:
    """Open the vote on a draft: its author (if still allowed to propose) or the board."""
    return can_edit_proposal(access, proposal)


def can_withdraw_proposal(access: Access, proposal: Proposal) -> bool:
    """The board withdraws a draft or an open vote; an author withdraws their own draft."""
    if proposal.status == Status.OPEN:
        return access.has("governance.proposals:close")
    return can_edit_proposal(access, proposal)


def can_close_proposal(access: Access, proposal: Proposal) -> bool:
    """The board may close an open vote early (the schedule closes it otherwise)."""
    return proposal.status == Status.OPEN and access.has("governance.proposals:close")


def can_cast_vote(access: Access, proposal: Proposal, elector: Elector | None, now: datetime | None = None) -> bool:
    """An elector of this proposal, with the right to vote, while voting is on."""
    if elector is None or access.membership is None or not access.has("governance.votes:cast"):
        return False
    if elector.proposal_id != proposal.pk or elector.membership_id != access.membership.pk:
        return False
    return proposal.voting_is_on(now or timezone.now())


def can_comment(access: Access, proposal: Proposal) -> bool:
    """Discussion runs from the draft until the close."""
    return access.has("governance.comments:write") and proposal.status in (Status.DRAFT, Status.OPEN)


def can_see_results(access: Access, proposal: Proposal) -> bool:
    """Running results are shown unless the rules hide them until the close."""
    if not access.has("governance.proposals:view"):
        return False
    if proposal.status == Status.CLOSED:
        return True
    return proposal.status == Status.OPEN and not proposal.results_hidden


def can_view_decisions(access: Access) -> bool:
    return access.has("governance.decisions:view")


def can_write_statement(access: Access, decision: Decision) -> bool:
    """The board writes the outcome statement once, after the close."""
    return access.has("governance.decisions:write") and decision.statement == ""
