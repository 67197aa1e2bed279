"""Beat's sweep and the per-proposal tasks: ids in, one association scope each, safe to run twice."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone
from django_scopes import scopes_disabled

from governance import tasks
from governance.models import Decision, Proposal, Status
from hub.tenancy import association_scope
from notifications.models import Event


@pytest.fixture
def enqueued(monkeypatch):
    """Record what the sweep enqueues instead of sending it to a broker."""
    calls = []
    for task in (tasks.close_proposal, tasks.remind_electors):
        monkeypatch.setattr(
            task, "delay_on_commit", lambda task=task, **kwargs: calls.append((task.name.rsplit(".", 1)[1], kwargs))
        )
    return calls


def test_beat_runs_the_sweep_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["governance-sweep-proposals"]
    assert entry == {"task": "governance.tasks.sweep_proposals", "schedule": 60.0}


def test_the_sweep_enqueues_due_closes_and_reminders_with_ids(association, alice, make_proposal, enqueued):
    due = make_proposal(title="Échue", closes_at=timezone.now() + timedelta(minutes=5))
    soon = make_proposal(title="Bientôt", closes_at=timezone.now() + timedelta(hours=20))
    make_proposal(title="Plus tard", closes_at=timezone.now() + timedelta(days=5))
    make_proposal(title="Brouillon", open=False)
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        assert tasks.sweep_proposals() == {"closing": 1, "reminding": 1}
    assert sorted(enqueued, key=lambda call: call[0]) == [
        ("close_proposal", {"proposal_id": due.pk, "association_id": association.pk}),
        ("remind_electors", {"proposal_id": soon.pk, "association_id": association.pk}),
    ]


def test_the_close_task_records_one_decision_however_often_it_runs(association, make_proposal):
    proposal = make_proposal(closes_at=timezone.now() + timedelta(minutes=5))
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        first = tasks.close_proposal(proposal_id=proposal.pk, association_id=association.pk)
        second = tasks.close_proposal(proposal_id=proposal.pk, association_id=association.pk)
    assert first is not None and second is None
    with scopes_disabled():
        assert Decision.objects.get().code.hex == first.replace("-", "")
        assert Proposal.objects.get(pk=proposal.pk).status == Status.CLOSED


def test_the_close_task_does_not_close_early(association, make_proposal):
    proposal = make_proposal()
    assert tasks.close_proposal(proposal_id=proposal.pk, association_id=association.pk) is None
    with scopes_disabled():
        assert Proposal.objects.get(pk=proposal.pk).status == Status.OPEN


def test_a_task_given_another_associations_id_touches_nothing(other_association, make_proposal):
    proposal = make_proposal(closes_at=timezone.now() + timedelta(minutes=5))
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        assert tasks.close_proposal(proposal_id=proposal.pk, association_id=other_association.pk) is None
        assert tasks.remind_electors(proposal_id=proposal.pk, association_id=other_association.pk) == 0
    with scopes_disabled():
        assert not Decision.objects.exists()


def test_the_reminder_task_sends_once(association, alice, bob, make_proposal):
    proposal = make_proposal(closes_at=timezone.now() + timedelta(hours=12))
    assert tasks.remind_electors(proposal_id=proposal.pk, association_id=association.pk) == 2
    assert tasks.remind_electors(proposal_id=proposal.pk, association_id=association.pk) == 0
    with association_scope(association):
        assert Event.objects.filter(kind="proposal.closing_soon").count() == 1


def test_a_task_refuses_to_run_without_an_association_id(make_proposal):
    proposal = make_proposal()
    with pytest.raises(TypeError):
        tasks.close_proposal(proposal_id=proposal.pk)
