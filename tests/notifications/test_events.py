"""`publish()` and the fan-out: one event per write, one notification per recipient, set-based."""

from datetime import date, datetime, time, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from hub.models import Membership
from hub.tenancy import association_scope
from notifications import registry, services
from notifications.events import publish
from notifications.models import Event, Mode, Notification, OutboxEmail, Preference, Route, Subscription
from notifications.registry import Audience
from tests.factories import MembershipFactory

from .conftest import notifications_of, set_attention

PARIS = ZoneInfo("Europe/Paris")
NOON = datetime(2026, 3, 4, 12, 0, tzinfo=PARIS)


@pytest.fixture
def at_noon():
    with time_machine.travel(NOON, tick=False):
        yield


def recipients(event):
    with scopes_disabled():
        return sorted(Notification.objects.filter(event=event).values_list("recipient__email", flat=True))


def event_count():
    with scopes_disabled():
        return Event.objects.count()


# publish() -------------------------------------------------------------------------------


def test_publish_refuses_an_unregistered_kind(association):
    with association_scope(association), pytest.raises(registry.UnknownEventKind):
        publish(kind="nope", association_id=association.pk, actor_id=None, target_kind="", target_code=None, title="x")


def test_publish_needs_recipients_for_an_explicit_audience_and_refuses_them_otherwise(association, alice):
    common = {"association_id": association.pk, "actor_id": alice.pk, "target_kind": "", "target_code": None}
    with association_scope(association):
        with pytest.raises(ValueError, match="recipients"):
            publish(kind="test.vote", title="x", **common)
        with pytest.raises(ValueError, match="recipients"):
            publish(kind="test.decision", title="x", recipients=[alice.pk], **common)
    assert event_count() == 0


def test_publish_records_the_event_and_fans_out_only_after_commit(
    association, alice, bob, eager_celery, django_capture_on_commit_callbacks
):
    code = uuid4()
    with django_capture_on_commit_callbacks(execute=True) as callbacks, association_scope(association):
        event = publish(
            kind="test.decision",
            association_id=association.pk,
            actor_id=alice.pk,
            target_kind="proposal",
            target_code=code,
            title="Adopter Nextcloud",
            data={"when": NOON},
        )
        assert Notification.objects.count() == 0  # nothing before commit
    assert len(callbacks) >= 1
    assert event.category == "decisions"
    assert event.target_code == code
    assert event.data == {"when": "2026-03-04T12:00:00+01:00"}
    assert recipients(event) == ["bob@exemple.fr"]


def test_a_rolled_back_write_leaves_no_event_and_no_fan_out(
    association, alice, bob, eager_celery, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        association_scope(association),
        transaction.atomic(),
    ):
        publish(
            kind="test.decision",
            association_id=association.pk,
            actor_id=alice.pk,
            target_kind="proposal",
            target_code=uuid4(),
            title="Jamais",
        )
        transaction.set_rollback(True)
    assert callbacks == []
    assert event_count() == 0
    assert notifications_of(bob) == []


def test_the_hub_registers_its_own_kind_and_lines_render_in_the_reader_language(emit, association, alice, bob):
    from django.utils import translation

    assert registry.get("invitation.accepted").audience == Audience.BOARD
    event = emit(association, "test.decision", actor=alice, title="Adopter Nextcloud")
    with scopes_disabled():
        event = Event.objects.select_related("actor").get(pk=event.pk)
    with translation.override("en"):
        assert registry.render_line(event) == "Alice Martin recorded “Adopter Nextcloud”"


# Audiences -------------------------------------------------------------------------------


def test_all_members_except_the_actor_and_nobody_elsewhere(emit, association, alice, berenice, bob, charlie):
    event = emit(association, "test.decision", actor=alice)
    assert recipients(event) == ["berenice@exemple.fr", "bob@exemple.fr"]
    assert notifications_of(charlie) == []


def test_board_audience_reaches_board_and_admins_only(emit, association, alice, berenice, bob):
    event = emit(association, "test.help", actor=bob)
    assert recipients(event) == ["alice@exemple.fr", "berenice@exemple.fr"]


def test_explicit_audience_is_limited_to_active_members_of_the_association(
    emit, association, alice, berenice, bob, charlie
):
    with scopes_disabled():
        Membership.objects.filter(user=berenice).update(is_active=False)
    event = emit(association, "test.vote", actor=alice, recipients=[alice.pk, berenice.pk, bob.pk, charlie.pk])
    # alice is the actor, berenice left, charlie belongs to another association.
    assert recipients(event) == ["bob@exemple.fr"]


def test_followers_receive_events_on_what_they_follow_even_outside_the_audience(emit, association, alice, bob):
    tutorial = uuid4()
    with association_scope(association):
        services.set_subscription(
            user=bob, association=association, target_kind="tutorial", target_code=tutorial, state="follow"
        )
    event = emit(association, "test.tutorial", actor=alice, target_code=tutorial)
    other = emit(association, "test.tutorial", actor=alice, target_code=uuid4())
    assert recipients(event) == ["bob@exemple.fr"]
    assert recipients(other) == []


def test_a_muted_target_reaches_nobody_who_muted_it(emit, association, alice, berenice, bob):
    proposal = uuid4()
    with association_scope(association):
        services.set_subscription(
            user=bob, association=association, target_kind="proposal", target_code=proposal, state="mute"
        )
    event = emit(association, "test.decision", actor=alice, target_code=proposal)
    assert recipients(event) == ["berenice@exemple.fr"]


def test_a_category_turned_off_creates_nothing_for_that_member(emit, association, alice, berenice, bob):
    with association_scope(association):
        services.set_preferences(user=bob, association=association, modes={"decisions": Mode.OFF})
    event = emit(association, "test.decision", actor=alice)
    assert recipients(event) == ["berenice@exemple.fr"]


def test_preferences_are_per_association(emit, association, other_association, alice, bob):
    MembershipFactory(association=other_association, user=bob)
    with association_scope(other_association):
        services.set_preferences(user=bob, association=other_association, modes={"decisions": Mode.OFF})
    emit(association, "test.decision", actor=alice)
    emit(other_association, "test.decision")
    assert [n.association_id for n in notifications_of(bob)] == [association.pk]


# Routing at fan-out ------------------------------------------------------------------------


def outbox_of(user):
    with scopes_disabled():
        return list(OutboxEmail.objects.filter(recipient=user).order_by("due_at"))


def test_default_routes_votes_by_email_and_the_rest_to_the_summary(at_noon, emit, association, alice, bob):
    emit(association, "test.decision", actor=alice)
    emit(association, "test.vote", actor=alice, recipients=[bob.pk])
    routes = [(n.category, n.route, n.in_digest) for n in notifications_of(bob)]
    assert routes == [("decisions", Route.DIGEST, True), ("vote_required", Route.IMMEDIATE, False)]
    assert [o.due_at for o in outbox_of(bob)] == [NOON]


def test_the_daily_cap_sends_the_rest_to_the_summary(at_noon, emit, association, alice, bob):
    set_attention(bob, daily_email_cap=2, quiet_start=None, quiet_end=None)
    for n in range(4):
        emit(association, "test.vote", actor=alice, recipients=[bob.pk], title=f"Vote {n}")
    assert [n.route for n in notifications_of(bob)] == [
        Route.IMMEDIATE,
        Route.IMMEDIATE,
        Route.CAP_REACHED,
        Route.CAP_REACHED,
    ]
    assert len(outbox_of(bob)) == 2
    assert [n.in_digest for n in notifications_of(bob)] == [False, False, True, True]


def test_the_cap_spans_associations(at_noon, emit, association, other_association, alice, bob):
    MembershipFactory(association=other_association, user=bob)
    set_attention(bob, daily_email_cap=1, quiet_start=None, quiet_end=None)
    emit(association, "test.vote", actor=alice, recipients=[bob.pk])
    emit(other_association, "test.vote", recipients=[bob.pk])
    assert [n.route for n in notifications_of(bob)] == [Route.IMMEDIATE, Route.CAP_REACHED]


def test_quiet_hours_hold_the_email_in_the_member_time_zone(emit, association, alice, bob):
    guadeloupe = ZoneInfo("America/Guadeloupe")
    bob.time_zone = "America/Guadeloupe"
    bob.save()
    set_attention(bob, quiet_start=time(22), quiet_end=time(7))
    # 23:00 in Paris is 18:00 in Guadeloupe: not quiet there.
    with time_machine.travel(datetime(2026, 3, 4, 23, 0, tzinfo=PARIS), tick=False):
        emit(association, "test.vote", actor=alice, recipients=[bob.pk], title="Soir")
    # 04:00 in Paris is 23:00 in Guadeloupe: held until 07:00 there.
    with time_machine.travel(datetime(2026, 3, 5, 4, 0, tzinfo=PARIS), tick=False):
        emit(association, "test.vote", actor=alice, recipients=[bob.pk], title="Nuit")
    assert [n.route for n in notifications_of(bob)] == [Route.IMMEDIATE, Route.HELD]
    assert [o.due_at.astimezone(guadeloupe).time() for o in outbox_of(bob)] == [time(18), time(7)]


def test_paused_members_get_nothing_by_email_until_the_pause_ends(at_noon, emit, association, alice, bob):
    set_attention(bob, paused_until=date(2026, 3, 10))
    emit(association, "test.vote", actor=alice, recipients=[bob.pk])
    assert [(n.route, n.in_digest) for n in notifications_of(bob)] == [(Route.PAUSED, True)]
    assert outbox_of(bob) == []


# Idempotence and shape ----------------------------------------------------------------------


def test_running_the_fan_out_again_inserts_nothing_new(emit, association, alice, berenice, bob):
    event = emit(association, "test.vote", actor=alice, recipients=[berenice.pk, bob.pk])
    with association_scope(association):
        assert services.fan_out(event=event) == 0
    with scopes_disabled():
        assert Notification.objects.filter(event=event).count() == 2
        assert OutboxEmail.objects.count() == 2


def test_an_event_of_an_unregistered_kind_is_not_fanned_out(association, alice, bob, monkeypatch):
    with association_scope(association):
        event = Event.objects.create(association=association, kind="gone.kind", category="decisions", title="x")
        assert services.fan_out(event=event) == 0


def fan_out_queries(association, actor) -> int:
    with association_scope(association):
        event = Event.objects.create(
            association=association, kind="test.vote", category="vote_required", title="x", actor=actor
        )
        # Everyone is in the electorate: each recipient gets a notification, an email and a push.
        event.recipient_ids = list(association.memberships.values_list("user_id", flat=True))
        with CaptureQueriesContext(connection) as queries:
            services.fan_out(event=event)
    return len(queries.captured_queries)


def test_fan_out_queries_do_not_grow_with_recipients(at_noon, association, alice, bob):
    one = fan_out_queries(association, alice)
    for _ in range(49):
        MembershipFactory(association=association)
    assert fan_out_queries(association, alice) == one
    with scopes_disabled():
        assert Notification.objects.filter(event__title="x").count() == 1 + 50
        assert OutboxEmail.objects.count() == 2 + 49  # bob had both votes; one email per vote each


def test_fan_out_inserts_in_batches_of_fixed_cost(at_noon, association, alice, monkeypatch):
    monkeypatch.setattr(services, "FAN_OUT_BATCH_SIZE", 10)
    for _ in range(10):
        MembershipFactory(association=association)
    one_batch = fan_out_queries(association, alice)
    for _ in range(20):
        MembershipFactory(association=association)
    three_batches = fan_out_queries(association, alice)
    # Per batch: planned emails, insert (RETURNING what it inserted), outbox insert, unread counts —
    # whatever its size.
    assert three_batches - one_batch == 2 * 4


def test_preferences_are_upserted(association, bob):
    with association_scope(association):
        services.set_preferences(user=bob, association=association, modes={"decisions": Mode.OFF})
        services.set_preferences(user=bob, association=association, modes={"decisions": Mode.IN_APP, "help": "off"})
        assert dict(Preference.objects.filter(user=bob).values_list("category", "mode")) == {
            "decisions": Mode.IN_APP,
            "help": Mode.OFF,
        }


def test_subscriptions_can_be_cleared(association, bob):
    code = uuid4()
    with association_scope(association):
        services.set_subscription(
            user=bob, association=association, target_kind="proposal", target_code=code, state="mute"
        )
        services.set_subscription(
            user=bob, association=association, target_kind="proposal", target_code=code, state=None
        )
        assert not Subscription.objects.exists()


def test_a_lost_fan_out_is_picked_up_by_the_sweep(
    association, alice, bob, eager_celery, monkeypatch, django_capture_on_commit_callbacks
):
    from notifications import events, tasks

    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(events, "enqueue_fan_out", broker_down)
    with time_machine.travel(NOON, tick=False):
        with django_capture_on_commit_callbacks(execute=True) as callbacks, association_scope(association):
            publish(
                kind="test.decision",
                association_id=association.pk,
                actor_id=alice.pk,
                target_kind="proposal",
                target_code=uuid4(),
                title="Perdu puis retrouvé",
            )
        assert len(callbacks) == 1  # it ran, failed, and the failure was only logged
        # The write committed although the enqueue failed (robust on_commit): nothing fanned out yet.
        assert event_count() == 1
        assert notifications_of(bob) == []
        assert tasks.fan_out_stragglers() == 0  # too young: its own task may still be on its way
    with time_machine.travel(NOON + timedelta(minutes=5), tick=False):
        assert tasks.fan_out_stragglers() == 1
        assert tasks.fan_out_stragglers() == 0
    assert [n.event.title for n in notifications_of(bob)] == ["Perdu puis retrouvé"]
