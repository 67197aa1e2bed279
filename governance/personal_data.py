"""governance's part of personal data (registered in `GovernanceConfig.ready()`, see `hub.personal_data`).

- Export: proposals written, comments, the votes the person was called to and what they may see
  of them: on a named vote their ballot; on a secret vote only that they took part (the ballot
  carries no link to them, and their receipt was never stored in clear).
- Erasure: their proposals and comments stay, under "former member"; their elector rows lose
  their name, salt and links (participations and ballots stay counted, pseudonymous); names
  outside the hash of recorded decisions are emptied. Decisions of content version 1 hashed the
  names themselves: there the name is kept in the row (the register is the association's legal
  record and must still verify) and only shown as "former member".
- Association export: proposals, comments, the register (CSV as on the register page, with its
  verification) and the ballots of closed votes (named or not, as the members see them).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from hub.exports import ITERATOR_CHUNK, ExportArchive
from hub.models import Association, User
from hub.personal_data import ErasedPerson

from .exports import write_register_csv
from .models import Ballot, Comment, Decision, Elector, Option, Participation, Proposal, Status
from .register import verify_register


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def export(user: User) -> dict[str, Any]:
    """What governance holds about `user` (5 queries)."""
    with scopes_disabled():
        proposals = Proposal.objects.filter(author=user).select_related("association").order_by("created_at", "pk")
        comments = Comment.objects.filter(author=user).select_related("association", "proposal")
        electors = (
            Elector.objects.filter(user=user)
            .select_related("proposal__association")
            .prefetch_related(
                Prefetch("participations", queryset=Participation.objects.order_by("pk")),
                Prefetch("ballots", queryset=Ballot.objects.order_by("pk")),
            )
            .order_by("pk")
        )
        votes = []
        for elector in electors:
            proposal = elector.proposal
            participation = next(iter(elector.participations.all()), None)
            vote: dict[str, Any] = {
                "association": proposal.association.name,
                "proposal": proposal.title,
                "proposal_code": str(proposal.code),
                "secret_ballot": proposal.anonymous,
                "voted_at": _iso(participation.voted_at) if participation else None,
            }
            ballot = next(iter(elector.ballots.all()), None)
            if ballot is not None:
                vote |= {"choice": ballot.choice, "options": ballot.options, "reason": ballot.reason}
            votes.append(vote)
        return {
            "proposals_written": [
                {
                    "association": p.association.name,
                    "code": str(p.code),
                    "title": p.title,
                    "body": p.body,
                    "status": p.status,
                    "created_at": _iso(p.created_at),
                }
                for p in proposals
            ],
            "comments": [
                {
                    "association": c.association.name,
                    "proposal": c.proposal.title,
                    "message": c.body,
                    "created_at": _iso(c.created_at),
                }
                for c in comments
            ],
            # On a secret ballot the choice is not linked to the voter: only the receipt (which
            # Asso Hub never stored) finds it. What is known is that they took part.
            "votes": votes,
            "statements_written": [
                {"association": d.association.name, "decision": str(d.code), "statement": d.statement}
                for d in Decision.objects.filter(statement_author_code=user.code).select_related("association")
            ],
        }


def erase(person: ErasedPerson) -> None:
    """Detach the person from proposals, comments and electorates; erase their names from decisions."""
    user = person.user
    with scopes_disabled():
        Proposal.objects.detach_author(user_id=user.pk)
        Comment.objects.filter(author=user).update(author=None)
        electors = Elector.objects.filter(Q(user=user) | Q(membership_id__in=person.membership_ids))
        # Version 1 decisions hashed the name itself: keep it there, show "former member".
        hashed_names = Q(proposal__decision__content_version=1)
        electors.filter(hashed_names).update(user=None, membership=None, erased_at=person.erased_at)
        electors.exclude(hashed_names).update(
            user=None, membership=None, display_name="", name_salt="", erased_at=person.erased_at
        )
        Decision.objects.erase_person(user_code=user.code)


def association_export(association: Association, archive: ExportArchive) -> None:
    """proposals.csv, comments.csv, register.csv and ballots.csv (closed votes only)."""
    proposals = Proposal.objects.filter(association=association).select_related("author").order_by("created_at", "pk")
    archive.csv(
        "proposals.csv",
        [_("Code"), _("Title"), _("Kind"), _("Status"), _("Voting method"), _("Who votes")]
        + [_("Secret ballot"), _("Author"), _("Created on"), _("Closed on")],
        (
            [p.code, p.title, p.get_kind_display(), p.get_status_display(), p.get_method_display()]
            + [p.get_electorate_display(), p.anonymous, _author(p.author), p.created_at, p.closed_at]
            for p in proposals.iterator(chunk_size=ITERATOR_CHUNK)
        ),
    )
    comments = (
        Comment.objects.filter(association=association)
        .select_related("author", "proposal")
        .order_by("proposal_id", "created_at", "pk")
    )
    archive.csv(
        "comments.csv",
        [_("Proposal"), _("Author"), _("Written on"), _("Message")],
        (
            [c.proposal.code, _author(c.author), c.created_at, c.body]
            for c in comments.iterator(chunk_size=ITERATOR_CHUNK)
        ),
    )
    verification = verify_register(association)
    decisions = (
        Decision.objects.filter(association=association)
        .select_related("proposal", "winning_option")
        .order_by("sequence")
    )
    with archive.text("register.csv") as out:
        write_register_csv(out, decisions.iterator(chunk_size=ITERATOR_CHUNK), verification)
    # Ballots of open votes stay out: their results may be hidden until the close.
    ballots = (
        Ballot.objects.filter(association=association, proposal__status=Status.CLOSED)
        .select_related("proposal", "elector")
        .order_by("proposal_id", "pk")
    )
    labels = {
        str(code): label for code, label in Option.objects.filter(association=association).values_list("code", "label")
    }
    archive.csv(
        "ballots.csv",
        [_("Proposal"), _("Voter"), _("Vote"), _("Options chosen"), _("Reason")],
        (
            [
                b.proposal.code,
                b.elector.shown_name if b.elector is not None and not b.proposal.anonymous else "",
                b.get_choice_display(),
                " / ".join(labels.get(code, code) for code in b.options),
                b.reason,
            ]
            for b in ballots.iterator(chunk_size=ITERATOR_CHUNK)
        ),
    )


def _author(user: User | None) -> str:
    return (user.display_name if user is not None else "") or _("Former member")
