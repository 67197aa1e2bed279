"""Event kinds for the tests (registered like other apps do at ready) and helpers to publish and fan out."""

from uuid import uuid4

import pytest
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled

from hub.celery import app as celery_app
from hub.tenancy import association_scope
from notifications import registry
from notifications.events import publish
from notifications.models import Category, Notification, NotificationSettings
from notifications.registry import Audience

TEST_KINDS = [
    registry.EventType(
        "test.decision", Category.DECISIONS, Audience.ALL_MEMBERS, _("%(actor)s recorded “%(title)s”"), "proposal"
    ),
    registry.EventType(
        "test.proposal", Category.PROPOSALS, Audience.ALL_MEMBERS, _("New proposal: %(title)s"), "proposal"
    ),
    registry.EventType("test.vote", Category.VOTE_REQUIRED, Audience.EXPLICIT, _("Vote on “%(title)s”"), "proposal"),
    registry.EventType("test.help", Category.HELP, Audience.BOARD, _("%(actor)s asks for help: %(title)s"), "tool"),
    registry.EventType(
        "test.tutorial", Category.TOOLS, Audience.FOLLOWERS, _("Tutorial updated: %(title)s"), "tutorial"
    ),
]


@pytest.fixture(autouse=True)
def test_kinds(monkeypatch):
    for event_type in TEST_KINDS:
        monkeypatch.setitem(registry._types, event_type.kind, event_type)


@pytest.fixture
def eager_celery():
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def emit(eager_celery, django_capture_on_commit_callbacks):
    """`emit(association, kind, actor=..., title=..., ...)`: publish as a service would, then run what
    commits trigger (fan-out, emails, pushes) like a worker. Returns the event."""

    def _emit(association, kind="test.decision", *, actor=None, title="Adopter Nextcloud", **kwargs):
        kwargs.setdefault("target_kind", registry.get(kind).target_kind)
        kwargs.setdefault("target_code", uuid4())
        with django_capture_on_commit_callbacks(execute=True), association_scope(association):
            return publish(
                kind=kind,
                association_id=association.pk,
                actor_id=actor.pk if actor else None,
                title=title,
                **kwargs,
            )

    return _emit


def notifications_of(user):
    with scopes_disabled():
        return list(Notification.objects.filter(recipient=user).select_related("event").order_by("created_at", "pk"))


def set_attention(user, **fields):
    NotificationSettings.objects.update_or_create(user=user, defaults=fields)


@pytest.fixture
def quiet_free(alice, berenice, bob, charlie):
    """The cast without quiet hours, so emails are immediate whatever the test's clock."""
    for user in (alice, berenice, bob, charlie):
        set_attention(user, quiet_start=None, quiet_end=None)


def make_notifications(association, recipient, count, *, actor=None, kind="test.decision", start=None, read=False):
    """`count` events of `association` already fanned out to `recipient` (rows written directly, for volume)."""
    from datetime import timedelta

    from django.utils import timezone

    from notifications.models import Event

    start = start or timezone.now() - timedelta(minutes=count)
    event_type = registry.get(kind)
    with scopes_disabled():
        events = Event.objects.bulk_create(
            [
                Event(
                    association=association,
                    kind=kind,
                    category=event_type.category,
                    actor=actor,
                    target_kind=event_type.target_kind,
                    target_code=uuid4(),
                    title=f"Sujet {n}",
                    created_at=start + timedelta(minutes=n),
                )
                for n in range(count)
            ]
        )
        return Notification.objects.bulk_create(
            [
                Notification(
                    association=association,
                    event=event,
                    recipient=recipient,
                    category=event.category,
                    created_at=event.created_at,
                    route="digest",
                    in_digest=True,
                    read_at=event.created_at if read else None,
                )
                for event in events
            ]
        )
