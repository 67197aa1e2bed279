"""Races on PostgreSQL with real threads: votes against the close, double votes, concurrent closes.

Each vote either lands in the decision's tally or is refused with a clear error; none is lost or
counted twice; two closes record one decision; closes in one association never fork the chain.
"""

import random
import threading
from datetime import timedelta
from functools import partial

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy
from django_scopes import scopes_disabled

from governance import services
from governance.models import Ballot, Decision, Participation
from governance.register import verify_register
from hub.models import Role
from hub.tenancy import association_scope
from tests.concurrency import run_together
from tests.factories import MembershipFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

VOTERS = 50
with translation.override(settings.LANGUAGE_CODE):  # what the threads (default language) say
    CLOSED_MESSAGE = str(gettext_lazy("Voting on this proposal is closed: your vote was not recorded."))


def cast(association, access, proposal, choice):
    with association_scope(association):
        return services.cast_vote(access=access, proposal=proposal, choice=choice)


def close(association, proposal, access=None, delay=0.0, now=None):
    threading.Event().wait(delay)
    with association_scope(association):
        return services.close_proposal(proposal_id=proposal.pk, access=access, now=now)


@pytest.fixture
def crowd(association, alice, access_of):
    users = [UserFactory(email=f"votant{i}@exemple.fr", display_name=f"Votant {i:02d}") for i in range(VOTERS)]
    for user in users:
        MembershipFactory(association=association, user=user, role=Role.MEMBER)
    return [access_of(user) for user in users]


def test_votes_racing_the_close_are_counted_or_refused_never_lost(association, alice, access_of, crowd, make_proposal):
    board = access_of(alice)
    refused_total = 0
    for round_number, close_after in enumerate((0.0, 0.005, 0.02, 0.05)):
        proposal = make_proposal(title=f"Tour {round_number}")

        choices = [random.choice(["for", "against", "abstain"]) for _ in crowd]
        # Ten members also send a second vote at the same time (a double click): never two ballots.
        jobs = [partial(cast, association, a, proposal, c) for a, c in zip(crowd, choices, strict=True)]
        jobs += [partial(cast, association, a, proposal, "for") for a in crowd[:10]]
        jobs.append(partial(close, association, proposal, access=board, delay=close_after))
        results = run_together(jobs)
        refused_total += sum(1 for status, _value in results if status == "error")

        decision = results[-1][1]
        assert results[-1][0] == "ok" and isinstance(decision, Decision), results[-1]
        voted_members = set()
        for (status, value), access in zip(results[:-1], crowd + crowd[:10], strict=True):
            if status == "ok":
                voted_members.add(access.membership.pk)
            else:
                assert isinstance(value, ValidationError), value
                assert value.messages == [CLOSED_MESSAGE]
        with scopes_disabled():
            ballots = list(Ballot.objects.filter(proposal=proposal).select_related("elector"))
            participations = Participation.objects.filter(proposal=proposal)
            assert {b.elector.membership_id for b in ballots} == voted_members  # every accepted vote is stored
            assert len(ballots) == len(voted_members) == participations.count()  # no double votes
            assert decision.participants == len(ballots)  # the tally equals the stored ballots
            counted = {c: sum(1 for b in ballots if b.choice == c) for c in ("for", "against", "abstain")}
            assert {c: decision.tally["counts"][c] for c in counted} == counted
    print(f"{refused_total} of {4 * (VOTERS + 10)} votes arrived after the close and were refused")
    with association_scope(association):
        assert verify_register(association).ok


def test_two_closers_record_one_decision(association, alice, berenice, access_of, make_proposal):
    for _round in range(5):
        proposal = make_proposal(closes_at=timezone.now() + timedelta(seconds=1))

        results = run_together(
            [
                partial(close, association, proposal, access=access_of(alice)),
                partial(close, association, proposal, access=access_of(berenice)),
                partial(close, association, proposal, now=timezone.now() + timedelta(seconds=2)),  # the schedule
            ]
        )
        assert all(status == "ok" for status, _value in results), results
        assert sum(1 for _status, value in results if value is not None) == 1
    with scopes_disabled():
        assert Decision.objects.count() == 5


def test_concurrent_closes_in_one_association_never_fork_the_chain(association, alice, access_of, make_proposal):
    proposals = [make_proposal(title=f"Proposition {i}") for i in range(8)]
    board = access_of(alice)
    results = run_together([partial(close, association, p, access=board) for p in proposals])
    assert all(status == "ok" for status, _value in results), results
    with association_scope(association):
        decisions = list(Decision.objects.order_by("sequence"))
        assert [d.sequence for d in decisions] == list(range(1, 9))
        assert all(d.previous_hash == p.hash for p, d in zip(decisions, decisions[1:], strict=False))
        assert verify_register(association).ok
