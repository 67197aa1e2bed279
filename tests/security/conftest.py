"""Fixtures for the personal-data tests: votes through the services, a person's activity in bulk."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from governance import services as governance
from governance.models import Comment, Proposal
from hub.models import HelpMessage, HelpRequest, Membership
from hub.tenancy import association_scope
from notifications.models import Event, Notification, Preference
from shared_tools.models import Referent, Tool, Tutorial, TutorialQuestion


@pytest.fixture
def vote_on(association, alice, access_of):
    """`vote_on(votes={user: choice}, anonymous=False, close=True)` → (proposal, decision, receipts)."""

    def _vote(votes, anonymous=False, close=True, title="Adopter un agenda partagé"):
        receipts = {}
        with association_scope(association):
            proposal = governance.create_proposal(
                access=access_of(alice),
                title=title,
                electorate="members",
                quorum_percent=0,
                threshold="simple",
                anonymous=anonymous,
            )
            proposal = governance.open_proposal(
                access=access_of(alice), proposal=proposal, closes_at=timezone.now() + timedelta(days=7)
            )
            for user, choice in votes.items():
                cast = governance.cast_vote(
                    access=access_of(user), proposal=proposal, choice=choice, reason="Ma raison"
                )
                receipts[user] = cast.receipt
            decision = governance.close_proposal(proposal_id=proposal.pk, access=access_of(alice)) if close else None
        return proposal, decision, receipts

    return _vote


@pytest.fixture
def activity(association, berenice, network):
    """`activity(user, n)`: n comments, tutorials, questions, referents, help messages, notifications."""

    def _activity(user, n):
        with scopes_disabled():
            membership = Membership.objects.get(association=association, user=user)
            draft = Proposal.objects.create(
                association=association,
                author=user,
                title="Une idée",
                electorate="members",
                quorum_percent=0,
                threshold="simple",
            )
            Comment.objects.bulk_create(
                [Comment(association=association, proposal=draft, author=user, body=f"Avis {i}") for i in range(n)]
            )
            tools = [
                Tool.objects.create(
                    name=f"Outil {user.pk}-{i}", slug=f"outil-{user.pk}-{i}", match_key=f"o{user.pk}-{i}"
                )
                for i in range(n)
            ]
            Referent.objects.bulk_create(
                [Referent(association=association, membership=membership, tool=t, level="masters") for t in tools]
            )
            tutorials = Tutorial.objects.bulk_create(
                [Tutorial(association=association, title=f"Tuto {i}", author=user) for i in range(n)]
            )
            TutorialQuestion.objects.bulk_create(
                [
                    TutorialQuestion(association=association, tutorial=t, author=user, body="Comment ?")
                    for t in tutorials
                ]
            )
            request = HelpRequest.objects.create(association=association, network=network, title="Aide", opened_by=user)
            HelpMessage.objects.bulk_create(
                [
                    HelpMessage(association=association, help_request=request, author=user, body=f"M{i}")
                    for i in range(n)
                ]
            )
            events = Event.objects.bulk_create(
                [
                    Event(association=association, kind="proposal.opened", category="proposals", title=f"E{i}")
                    for i in range(n)
                ]
            )
            Notification.objects.bulk_create(
                [
                    Notification(association=association, event=e, recipient=user, category="proposals", route="in_app")
                    for e in events
                ]
            )
            Preference.objects.create(association=association, user=user, category="proposals", mode="digest")

    return _activity
