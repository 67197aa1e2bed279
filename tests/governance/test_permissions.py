"""The governance predicates as a table: role × action × state (one row per rule)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from governance import permissions
from governance.models import Decision, Elector, Proposal, Status

ROLES = ["alice", "berenice", "bob", "conseiller"]  # admin, board, member, conseiller


@pytest.fixture
def cast(alice, berenice, bob, conseiller, access_of):
    return {name: access_of(user) for name, user in zip(ROLES, (alice, berenice, bob, conseiller), strict=True)}


def proposal(status=Status.OPEN, opens_in=-1, closes_in=24, author=None, results_hidden=True):
    now = timezone.now()
    return Proposal(
        pk=1,
        status=status,
        author_id=author.pk if author else None,
        opens_at=now + timedelta(hours=opens_in),
        closes_at=now + timedelta(hours=closes_in),
        results_hidden=results_hidden,
    )


@pytest.mark.parametrize(
    ("members_can_propose", "expected"),
    [(False, {"alice", "berenice"}), (True, {"alice", "berenice", "bob"})],
)
def test_who_may_create_and_open_proposals(association, cast, members_can_propose, expected):
    association.members_can_propose = members_can_propose
    for access in cast.values():
        access.association.members_can_propose = members_can_propose
    assert {name for name, access in cast.items() if permissions.can_create_proposal(access)} == expected
    assert {name for name, access in cast.items() if permissions.can_open_proposal(access)} == expected


def test_who_may_close_early(cast):
    assert {n for n, a in cast.items() if permissions.can_close_proposal(a, proposal())} == {"alice", "berenice"}
    assert not any(permissions.can_close_proposal(a, proposal(Status.CLOSED)) for a in cast.values())
    assert not any(permissions.can_close_proposal(a, proposal(Status.DRAFT)) for a in cast.values())


def elector_for(access, p):
    if access.membership is None:
        return None
    return Elector(proposal_id=p.pk, membership_id=access.membership.pk)


@pytest.mark.parametrize(
    ("state", "who_votes"),
    [
        ({}, {"alice", "berenice", "bob"}),
        ({"status": Status.DRAFT}, set()),
        ({"status": Status.CLOSED}, set()),
        ({"status": Status.WITHDRAWN}, set()),
        ({"opens_in": 2}, set()),  # not yet open
        ({"closes_in": -1}, set()),  # deadline passed, not yet closed by beat
    ],
    ids=["open", "draft", "closed", "withdrawn", "before opening", "after deadline"],
)
def test_who_may_vote_given_the_phase(cast, state, who_votes):
    p = proposal(**state)
    allowed = {n for n, a in cast.items() if permissions.can_cast_vote(a, p, elector_for(a, p))}
    assert allowed == who_votes


def test_a_member_outside_the_electorate_may_not_vote(cast):
    p = proposal()
    assert not permissions.can_cast_vote(cast["bob"], p, None)
    # An elector row of someone else does not let bob vote.
    assert not permissions.can_cast_vote(cast["bob"], p, elector_for(cast["alice"], p))


@pytest.mark.parametrize(
    ("status", "who"),
    [
        (Status.DRAFT, {"alice", "berenice", "bob"}),
        (Status.OPEN, {"alice", "berenice", "bob"}),
        (Status.CLOSED, set()),
        (Status.WITHDRAWN, set()),
    ],
)
def test_who_may_comment_given_the_phase(cast, status, who):
    assert {n for n, a in cast.items() if permissions.can_comment(a, proposal(status))} == who


def test_who_may_edit_publish_or_withdraw_a_draft(cast, bob, association):
    for access in cast.values():
        access.association.members_can_propose = True
    bobs_draft = proposal(Status.DRAFT, author=bob)
    assert {n for n, a in cast.items() if permissions.can_edit_proposal(a, bobs_draft)} == {"alice", "berenice", "bob"}
    assert {n for n, a in cast.items() if permissions.can_publish_proposal(a, bobs_draft)} == {
        "alice",
        "berenice",
        "bob",
    }
    others_draft = proposal(Status.DRAFT, author=None)
    assert {n for n, a in cast.items() if permissions.can_edit_proposal(a, others_draft)} == {"alice", "berenice"}
    # Once open, only the board withdraws.
    assert {n for n, a in cast.items() if permissions.can_withdraw_proposal(a, proposal(author=bob))} == {
        "alice",
        "berenice",
    }


@pytest.mark.parametrize(
    ("status", "hidden", "visible"),
    [
        (Status.OPEN, True, False),
        (Status.OPEN, False, True),
        (Status.CLOSED, True, True),
        (Status.DRAFT, False, False),
        (Status.WITHDRAWN, False, False),
    ],
)
def test_results_visibility(cast, status, hidden, visible):
    p = proposal(status, results_hidden=hidden)
    assert {permissions.can_see_results(a, p) for a in cast.values()} == {visible}


def test_who_may_write_the_statement_once(cast):
    blank, written = Decision(statement=""), Decision(statement="Fait.")
    assert {n for n, a in cast.items() if permissions.can_write_statement(a, blank)} == {"alice", "berenice"}
    assert not any(permissions.can_write_statement(a, written) for a in cast.values())


def test_everyone_with_access_reads_proposals_and_the_register(cast):
    assert all(permissions.can_view_proposals(a) and permissions.can_view_decisions(a) for a in cast.values())


def test_outsiders_have_no_access_at_all(charlie, access_of):
    with scopes_disabled():
        assert access_of(charlie) is None
