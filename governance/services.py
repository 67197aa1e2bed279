"""Writes on proposals, votes, comments and the decision register.

Every function is keyword-only, runs in a transaction, re-checks its predicate from
`governance.permissions` and raises `PermissionDenied` or `ValidationError` (translated) without
writing anything when it refuses.

Concurrency, in one place:
- `cast_vote` locks the proposal row (`select_for_update`) and re-checks that voting is on;
- `close_proposal` claims the close with a conditional update (`status=open → closed`): exactly
  one closer wins; the update waits for any vote holding the row lock, so a vote is either
  committed before the claim (and counted, since the tally is read after it) or it waits and
  then sees the proposal closed (and is refused). Nothing is lost;
- appending to the register locks the association row, so two closes in one association get
  consecutive sequence numbers and each chains onto the other, never onto the same parent.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from hub.models import Association, Electorate, Role, Threshold, User
from hub.permissions import Access
from shared_tools.models import Tool

from . import effects, events, register
from .models import (
    GENESIS_HASH,
    Ballot,
    Choice,
    Comment,
    Decision,
    Elector,
    Method,
    Option,
    Participation,
    Proposal,
    ProposalKind,
    Status,
    decisions_in,
    new_name_commitment,
    proposals_in,
)
from .permissions import (
    can_cast_vote,
    can_close_proposal,
    can_comment,
    can_create_proposal,
    can_edit_proposal,
    can_publish_proposal,
    can_withdraw_proposal,
    can_write_statement,
)

MAX_OPTIONS = 12
MAX_CRITERIA = 10
REMINDER_BEFORE = timedelta(hours=24)
RECEIPT_SALT = "governance.ballot-receipt"


@dataclass(frozen=True)
class OptionSpec:
    """An option as a form or the API gives it."""

    label: str
    description: str = ""
    tool: Tool | None = None
    assessments: dict[str, str] = field(default_factory=dict)


# Drafting --------------------------------------------------------------------------------

RULE_FIELDS = (
    "electorate",
    "quorum_percent",
    "threshold",
    "anonymous",
    "results_hidden",
    "allow_vote_change",
    "reason_required",
)
DRAFT_FIELDS = ("kind", "title", "body", "current_tool", "criteria", "method", *RULE_FIELDS, "opens_at", "closes_at")


def _clean_criteria(criteria: Sequence[str]) -> list[str]:
    cleaned = list(dict.fromkeys(c.strip() for c in criteria if c and c.strip()))
    if len(cleaned) > MAX_CRITERIA:
        raise ValidationError({"criteria": _("At most %(n)s criteria.") % {"n": MAX_CRITERIA}})
    if any(len(c) > 100 for c in cleaned):
        raise ValidationError({"criteria": _("A criterion name has at most 100 characters.")})
    return cleaned


def _check_shape(proposal: Proposal, options: Sequence[OptionSpec]) -> None:
    """The rules a proposal must follow whatever its phase. Raises ValidationError naming the field."""
    errors: dict[str, str] = {}
    if not proposal.title.strip():
        errors["title"] = _("Give the proposal a title.")
    if proposal.method == Method.CONSENT and len(options) > 1:
        errors["options"] = _("A for/against vote has at most one option: the motion itself.")
    if proposal.uses_options and len(options) < 2:
        errors["options"] = _("Give at least two options to choose from.")
    if len(options) > MAX_OPTIONS:
        errors["options"] = _("At most %(n)s options.") % {"n": MAX_OPTIONS}
    if any(not option.label.strip() for option in options):
        errors["options"] = _("Every option needs a label.")
    if len({option.label.strip().casefold() for option in options}) != len(options):
        errors["options"] = _("Two options have the same label.")
    criteria = set(proposal.criteria or [])
    if any(set(option.assessments) - criteria for option in options):
        errors["options"] = _("An option is assessed on a criterion the proposal does not list.")
    needs_new_tool = proposal.kind in (ProposalKind.ADOPT, ProposalKind.REPLACE)
    if needs_new_tool and not any(option.tool for option in options):
        errors["options"] = _("Name the tool (or the candidate tools) in the options.")
    needs_current_tool = proposal.kind in (ProposalKind.REPLACE, ProposalKind.RETIRE)
    if needs_current_tool and proposal.current_tool is None:
        errors["current_tool"] = _("Name the tool that is replaced or retired.")
    if proposal.kind in (ProposalKind.ADOPT, ProposalKind.OTHER) and proposal.current_tool is not None:
        errors["current_tool"] = _("Only a replacement or a retirement names a current tool.")
    if proposal.quorum_percent is None or not 0 <= proposal.quorum_percent <= 100:
        errors["quorum_percent"] = _("The quorum is a percentage between 0 and 100.")
    if proposal.electorate not in Electorate.values:
        errors["electorate"] = _("Unknown electorate.")
    if proposal.threshold not in Threshold.values:
        errors["threshold"] = _("Unknown majority.")
    if proposal.anonymous and not proposal.results_hidden:
        # Live results of a secret ballot would let someone watching the count tie a change in it
        # to the moment a person said they voted.
        errors["results_hidden"] = _("With a secret ballot, the results stay hidden until the close.")
    if proposal.opens_at and proposal.closes_at and proposal.closes_at <= proposal.opens_at:
        errors["closes_at"] = _("The vote must close after it opens.")
    if errors:
        raise ValidationError(errors)


def _replace_options(proposal: Proposal, options: Sequence[OptionSpec]) -> None:
    proposal.options.all().delete()
    Option.objects.bulk_create(
        [
            Option(
                association_id=proposal.association_id,
                proposal=proposal,
                position=position,
                label=spec.label.strip(),
                description=spec.description.strip(),
                tool=spec.tool,
                assessments={key: str(value).strip() for key, value in spec.assessments.items()},
            )
            for position, spec in enumerate(options, start=1)
        ]
    )


@transaction.atomic
def create_proposal(
    *,
    access: Access,
    title: str,
    kind: str = ProposalKind.OTHER,
    body: str = "",
    current_tool: Tool | None = None,
    criteria: Sequence[str] = (),
    method: str = Method.CONSENT,
    options: Sequence[OptionSpec] = (),
    electorate: str | None = None,
    quorum_percent: int | None = None,
    threshold: str | None = None,
    anonymous: bool = False,
    results_hidden: bool = True,
    allow_vote_change: bool = True,
    reason_required: bool = False,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
) -> Proposal:
    """Create a draft; unset rules take the association's defaults. Raises PermissionDenied, ValidationError."""
    if not can_create_proposal(access):
        raise PermissionDenied
    association = access.association
    proposal = Proposal(
        association=association,
        author=access.user,
        kind=kind,
        title=title.strip(),
        body=body.strip(),
        current_tool=current_tool,
        criteria=_clean_criteria(criteria),
        method=method,
        electorate=electorate or association.default_electorate,
        quorum_percent=association.default_quorum_percent if quorum_percent is None else quorum_percent,
        threshold=threshold or association.default_threshold,
        anonymous=anonymous,
        results_hidden=results_hidden,
        allow_vote_change=allow_vote_change,
        reason_required=reason_required,
        opens_at=opens_at,
        closes_at=closes_at,
    )
    _check_shape(proposal, options)
    proposal.full_clean(exclude=["association", "author", "current_tool"])
    proposal.save()
    _replace_options(proposal, options)
    return proposal


@transaction.atomic
def update_proposal(
    *, access: Access, proposal: Proposal, options: Sequence[OptionSpec] | None = None, **fields: Any
) -> Proposal:
    """Change a draft (and replace its options when given). Raises PermissionDenied, ValidationError."""
    unknown = set(fields) - set(DRAFT_FIELDS)
    if unknown:
        raise ValueError(f"Not editable: {sorted(unknown)}")
    proposal = proposals_in(access.association).select_for_update(of=("self",)).get(pk=proposal.pk)
    if not can_edit_proposal(access, proposal):
        raise PermissionDenied
    for name, value in fields.items():
        if name == "criteria":
            value = _clean_criteria(value)
        elif isinstance(value, str):
            value = value.strip()
        setattr(proposal, name, value)
    if options is None:
        options = [
            OptionSpec(label=o.label, description=o.description, tool=o.tool, assessments=o.assessments)
            for o in proposal.options.select_related("tool")
        ]
    _check_shape(proposal, options)
    proposal.full_clean(exclude=["association", "author", "current_tool"])
    proposal.save()
    _replace_options(proposal, options)
    return proposal


# Opening, withdrawing --------------------------------------------------------------------


def _electorate_memberships(association: Association, electorate: str) -> list[Any]:
    roles = [Role.BOARD, Role.ADMIN] if electorate == Electorate.BOARD else list(Role.values)
    return list(association.memberships.filter(is_active=True, role__in=roles).select_related("user").order_by("pk"))


@transaction.atomic
def open_proposal(
    *, access: Access, proposal: Proposal, opens_at: datetime | None = None, closes_at: datetime | None = None
) -> Proposal:
    """Open the vote: snapshot the electorate, fix the dates, tell the electors.

    Dates default to the draft's, else now and now + the association's voting period.
    Raises PermissionDenied, ValidationError (no electors, dates in the past, incomplete draft).
    """
    association = access.association
    proposal = (
        proposals_in(association).select_for_update(of=("self",)).select_related("current_tool").get(pk=proposal.pk)
    )
    if not can_publish_proposal(access, proposal):
        raise PermissionDenied
    now = timezone.now()
    proposal.opens_at = opens_at or proposal.opens_at or now
    if proposal.opens_at < now:
        proposal.opens_at = now
    proposal.closes_at = (
        closes_at or proposal.closes_at or proposal.opens_at + timedelta(days=association.default_voting_days)
    )
    if proposal.closes_at <= now:
        raise ValidationError({"closes_at": _("The closing date is already past.")})
    options = [
        OptionSpec(label=o.label, description=o.description, tool=o.tool, assessments=o.assessments)
        for o in proposal.options.select_related("tool")
    ]
    _check_shape(proposal, options)
    memberships = _electorate_memberships(association, proposal.electorate)
    if not memberships:
        raise ValidationError(_("Nobody can vote: the chosen electorate has no active member."))
    claimed = (
        proposals_in(association)
        .filter(pk=proposal.pk, status=Status.DRAFT)
        .update(status=Status.OPEN, opened_at=now, opens_at=proposal.opens_at, closes_at=proposal.closes_at)
    )
    if claimed != 1:
        raise ValidationError(_("This proposal is no longer in preparation."))
    proposal.status, proposal.opened_at = Status.OPEN, now
    electors = []
    for membership in memberships:
        salt, digest = new_name_commitment(membership.user.display_name)
        electors.append(
            Elector(
                association=association,
                proposal=proposal,
                membership=membership,
                user=membership.user,
                display_name=membership.user.display_name,
                role=membership.role,
                name_salt=salt,
                name_digest=digest,
            )
        )
    Elector.objects.bulk_create(electors)
    events.publish(
        events.PROPOSAL_OPENED,
        association_id=association.pk,
        actor_id=access.user.pk if access.user else None,
        proposal_code=proposal.code,
        title=proposal.title,
        data={"closes_at": events.local_datetime(proposal.closes_at)},
        recipients=[membership.user_id for membership in memberships],
    )
    return proposal


@transaction.atomic
def withdraw_proposal(*, access: Access, proposal: Proposal) -> Proposal:
    """Withdraw a draft or an open vote; nothing is counted. Raises PermissionDenied, ValidationError."""
    proposal = proposals_in(access.association).select_for_update(of=("self",)).get(pk=proposal.pk)
    if not can_withdraw_proposal(access, proposal):
        if proposal.is_final:
            raise ValidationError(_("This proposal is already closed or withdrawn."))
        raise PermissionDenied
    now = timezone.now()
    proposals_in(access.association).filter(pk=proposal.pk, status__in=[Status.DRAFT, Status.OPEN]).update(
        status=Status.WITHDRAWN, withdrawn_at=now
    )
    proposal.status, proposal.withdrawn_at = Status.WITHDRAWN, now
    proposal._loaded_status = Status.WITHDRAWN  # type: ignore[attr-defined]
    return proposal


# Voting ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CastVote:
    participation: Participation
    ballot: Ballot
    changed: bool
    receipt: str = ""  # given once, for a first anonymous ballot


def receipt_digest(proposal: Proposal, receipt: str) -> str:
    """The stored form of an anonymous ballot's receipt: keyed, so a database copy alone cannot link it."""
    return salted_hmac(RECEIPT_SALT, f"{proposal.code}:{receipt.strip()}", algorithm="sha256").hexdigest()


def _checked_content(
    proposal: Proposal, choice: str, option_codes: Sequence[str], reason: str
) -> tuple[str, list[str]]:
    codes = sorted({str(code) for code in option_codes})
    if proposal.method == Method.CONSENT:
        if choice not in (Choice.FOR, Choice.AGAINST, Choice.ABSTAIN, Choice.BLOCK):
            raise ValidationError({"choice": _("Choose for, against, abstain or a blocking objection.")})
        codes = []
    elif choice == Choice.ABSTAIN:
        codes = []
    else:
        choice = Choice.OPTIONS
        known = {str(code) for code in proposal.options.values_list("code", flat=True)}
        if not codes:
            raise ValidationError({"options": _("Choose an option, or abstain.")})
        if set(codes) - known:
            raise ValidationError({"options": _("This option is not part of the vote.")})
        if proposal.method == Method.SINGLE and len(codes) != 1:
            raise ValidationError({"options": _("Choose exactly one option.")})
    if proposal.reason_required and choice in (Choice.AGAINST, Choice.BLOCK) and not reason.strip():
        raise ValidationError(
            {"reason": _("The rules of this vote ask for a reason when voting against or objecting.")}
        )
    return choice, codes


@transaction.atomic
def cast_vote(
    *,
    access: Access,
    proposal: Proposal,
    choice: str,
    options: Sequence[str] = (),
    reason: str = "",
    receipt: str = "",
) -> CastVote:
    """Record the caller's vote, or change it while the rules allow.

    `choice`: for / against / abstain / block on a consent vote; `abstain` or `options` (with
    option codes) otherwise. Changing an anonymous ballot needs the receipt given with it.
    Raises PermissionDenied (not an elector), ValidationError (voting not on, bad content,
    change not allowed, wrong receipt); a refused vote writes nothing.
    """
    # The lock orders this vote against the close: see the module docstring.
    proposal = proposals_in(access.association).select_for_update(of=("self",)).get(pk=proposal.pk)
    # A member who left since the request began is no longer an elector (their membership is inactive).
    elector = (
        proposal.electors.filter(membership_id=access.membership.pk, membership__is_active=True).first()
        if access.membership is not None
        else None
    )
    now = timezone.now()
    if not can_cast_vote(access, proposal, elector, now):
        if elector is None or not access.has("governance.votes:cast"):
            raise PermissionDenied
        if proposal.status == Status.OPEN and proposal.opens_at and now < proposal.opens_at:
            raise ValidationError(_("Voting on this proposal has not started yet."))
        raise ValidationError(_("Voting on this proposal is closed: your vote was not recorded."))
    assert elector is not None  # noqa: S101 -- can_cast_vote checked it
    choice, codes = _checked_content(proposal, choice, options, reason)
    reason = reason.strip()
    participation = proposal.participations.filter(elector=elector).first()

    if participation is None:
        new_receipt = secrets.token_urlsafe(12) if proposal.anonymous else ""
        ballot = Ballot(
            association_id=proposal.association_id,
            proposal=proposal,
            elector=None if proposal.anonymous else elector,
            choice=choice,
            options=codes,
            reason=reason,
            receipt_digest=receipt_digest(proposal, new_receipt) if proposal.anonymous else "",
        )
        try:
            with transaction.atomic():
                participation = Participation.objects.create(
                    association_id=proposal.association_id, proposal=proposal, elector=elector, voted_at=now
                )
                ballot.save(force_insert=True)
        except IntegrityError as exc:  # the row lock makes this unreachable; the constraint is the backstop
            raise ValidationError(_("You have already voted.")) from exc
        return CastVote(participation=participation, ballot=ballot, changed=False, receipt=new_receipt)

    if not proposal.allow_vote_change:
        raise ValidationError(_("You have already voted, and the rules of this vote do not allow changing it."))
    if proposal.anonymous:
        if not receipt.strip():
            raise ValidationError({"receipt": _("To change a secret ballot, give the receipt you received.")})
        found = proposal.ballots.filter(receipt_digest=receipt_digest(proposal, receipt), elector__isnull=True).first()
        if found is None:
            raise ValidationError({"receipt": _("This receipt does not match any ballot of this vote.")})
        ballot = found
    else:
        ballot = proposal.ballots.get(elector=elector)
    ballot.choice, ballot.options, ballot.reason = choice, codes, reason
    ballot.save(update_fields=["choice", "options", "reason"])
    participation.voted_at = now
    participation.save(update_fields=["voted_at"])
    return CastVote(participation=participation, ballot=ballot, changed=True)


# Discussion ------------------------------------------------------------------------------


@transaction.atomic
def add_comment(*, access: Access, proposal: Proposal, body: str) -> Comment:
    """Post a message in the discussion (draft or open proposals). Raises PermissionDenied, ValidationError."""
    proposal = proposals_in(access.association).select_for_update(of=("self",)).get(pk=proposal.pk)
    if not can_comment(access, proposal):
        if access.has("governance.comments:write"):
            raise ValidationError(_("The discussion is closed."))
        raise PermissionDenied
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("Write a message.")})
    comment = Comment(association_id=proposal.association_id, proposal=proposal, author=access.user, body=body)
    comment.full_clean(exclude=["association", "proposal", "author"])
    comment.save()
    events.publish(
        events.PROPOSAL_COMMENTED,
        association_id=proposal.association_id,
        actor_id=access.user.pk if access.user else None,
        proposal_code=proposal.code,
        title=proposal.title,
    )
    return comment


# Closing and the register ----------------------------------------------------------------


def close_proposal(*, proposal_id: int, access: Access | None = None, now: datetime | None = None) -> Decision | None:
    """Close an open vote and record its decision; None when someone else closed it (or nothing was due).

    With `access`, the board closes early (PermissionDenied otherwise); without, the schedule
    closes it only once `closes_at` has passed. Needs the association scope. Safe to run twice.
    """
    with transaction.atomic():
        now = now or timezone.now()
        claim = Proposal.objects.filter(pk=proposal_id, status=Status.OPEN)
        if access is None:
            claim = claim.filter(closes_at__lte=now)
        else:
            proposal = proposals_in(access.association).get(pk=proposal_id)
            if not can_close_proposal(access, proposal):
                if proposal.is_final:
                    return None
                raise PermissionDenied
        # The one closer: the conditional update. It waits for votes holding the row lock.
        if claim.update(status=Status.CLOSED, closed_at=now) != 1:
            return None
        proposal = Proposal.objects.select_related("association", "current_tool").get(pk=proposal_id)
        closer = access.user if access is not None else None
        decision = _record_decision(proposal, closer=closer, now=now)
        effects.apply_decision(decision)
        events.publish(
            events.DECISION_RECORDED,
            association_id=proposal.association_id,
            actor_id=access.user.pk if access is not None and access.user is not None else None,
            proposal_code=proposal.code,
            title=proposal.title,
            data={"outcome": decision.outcome, "decision": str(decision.code), "sequence": decision.sequence},
        )
        return decision


def _record_decision(proposal: Proposal, *, closer: User | None, now: datetime) -> Decision:
    # Serialise appends to this association's chain: the next sequence and the previous hash are
    # read under the association row lock, so concurrent closes queue instead of forking.
    association = Association.objects.select_for_update().get(pk=proposal.association_id)
    proposal.association = association
    previous = decisions_in(association).order_by("-sequence").only("sequence", "hash").first()
    options = list(proposal.options.select_related("tool").order_by("position", "pk"))
    electors = list(proposal.electors.order_by("pk"))
    # Electors snapshotted before names were committed (content version 1) get their digest now,
    # while the proposal's rows can still change.
    uncommitted = [e for e in electors if not e.name_digest and e.erased_at is None]
    for elector in uncommitted:
        elector.name_salt, elector.name_digest = new_name_commitment(elector.display_name)
    if uncommitted:
        Elector.objects.bulk_update(uncommitted, ["name_salt", "name_digest"])
    participations = list(proposal.participations.order_by("pk"))
    ballots = list(proposal.ballots.order_by("pk"))
    result = register.recount(proposal, options, ballots, electorate=len(electors))
    winning_option = next((o for o in options if str(o.code) == result.winner), None)
    decision = Decision(
        association=association,
        proposal=proposal,
        sequence=previous.sequence + 1 if previous else 1,
        previous_hash=previous.hash if previous else GENESIS_HASH,
        electorate_size=result.electorate,
        participants=result.participants,
        expressed=result.expressed,
        quorum_met=result.quorum_met,
        outcome=result.outcome,
        winning_option=winning_option,
        tally=result.as_json(),
        effect=effects.plan_effects(proposal=proposal, outcome=result.outcome, winning_option=winning_option),
        content_version=register.CONTENT_VERSION,
        recorded_at=now,
    )
    if closer is not None:
        decision.closed_by_name = closer.display_name
        decision.closed_by_code = closer.code
        decision.closed_by_salt, decision.closed_by_digest = new_name_commitment(closer.display_name)
    decision.hash = register.content_hash(
        register.decision_content(
            decision=decision,
            proposal=proposal,
            options=options,
            electors=electors,
            participations=participations,
            ballots=ballots,
        )
    )
    decision.save(force_insert=True)
    return decision


@transaction.atomic
def record_statement(*, access: Access, decision: Decision, statement: str) -> Decision:
    """Write the board's outcome statement, once. Raises PermissionDenied, ValidationError."""
    statement = statement.strip()
    if not statement:
        raise ValidationError({"statement": _("Write the statement.")})
    if len(statement) > 10000:
        raise ValidationError({"statement": _("At most 10,000 characters.")})
    if not access.has("governance.decisions:write"):
        raise PermissionDenied
    current = decisions_in(access.association).get(pk=decision.pk)
    author = access.user.display_name if access.user else ""
    author_code = access.user.code if access.user else None
    if not can_write_statement(access, current) or not Decision.objects.record_statement(
        pk=decision.pk, statement=statement, author_name=author, author_code=author_code
    ):
        raise ValidationError(_("The statement of this decision has already been written."))
    return decisions_in(access.association).get(pk=decision.pk)


# Reminders -------------------------------------------------------------------------------


@transaction.atomic
def send_closing_reminder(*, proposal_id: int, now: datetime | None = None) -> int:
    """Remind the electors who have not voted, once, in the last 24 hours. Returns how many were reminded.

    Needs the association scope. The conditional update on `reminder_sent_at` makes a second run
    (or a concurrent one) a no-op.
    """
    now = now or timezone.now()
    claimed = Proposal.objects.filter(
        pk=proposal_id,
        status=Status.OPEN,
        reminder_sent_at__isnull=True,
        opens_at__lte=now,
        closes_at__gt=now,
        closes_at__lte=now + REMINDER_BEFORE,
    ).update(reminder_sent_at=now)
    if claimed != 1:
        return 0
    proposal = Proposal.objects.get(pk=proposal_id)
    recipients = list(
        proposal.electors.filter(user__isnull=False, membership__is_active=True)
        .exclude(participations__proposal=proposal)
        .values_list("user_id", flat=True)
    )
    if recipients:
        events.publish(
            events.PROPOSAL_CLOSING_SOON,
            association_id=proposal.association_id,
            actor_id=None,
            proposal_code=proposal.code,
            title=proposal.title,
            data={"closes_at": events.local_datetime(proposal.closes_at)},
            recipients=recipients,
        )
    return len(recipients)
