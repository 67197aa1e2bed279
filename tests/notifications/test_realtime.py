"""Real time: after the fan-out commits, each recipient's open tabs get the new unread count."""

import os
import uuid

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.db import connections, transaction
from django.test import Client
from django_scopes import scopes_disabled

from hub.asgi import application
from hub.tenancy import association_scope
from notifications import selectors, services
from notifications.events import publish
from notifications.models import Notification

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

SAME_ORIGIN = [(b"origin", b"http://testserver"), (b"host", b"testserver")]


@pytest.fixture(autouse=True)
def fresh_in_memory_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture(autouse=True)
def eager(eager_celery):
    return eager_celery


@pytest_asyncio.fixture(autouse=True)
async def close_connections_of_the_sync_thread():
    yield
    await sync_to_async(connections.close_all)()


def session_cookie(user) -> tuple[bytes, bytes]:
    client = Client()
    client.force_login(user)
    key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    return (b"cookie", f"{django_settings.SESSION_COOKIE_NAME}={key}".encode())


async def connected_socket(user) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(
        application, "/ws/me/", headers=[*SAME_ORIGIN, await sync_to_async(session_cookie)(user)]
    )
    connected, _ = await communicator.connect()
    assert connected
    assert (await communicator.receive_json_from(timeout=3))["kind"] == "unread"  # the count when joining
    return communicator


def publish_in_a_service(association, actor, title: str) -> None:
    """What a service does: write, publish in the same transaction; the fan-out follows the commit."""
    with association_scope(association), transaction.atomic():
        publish(
            kind="test.decision",
            association_id=association.pk,
            actor_id=actor.pk,
            target_kind="proposal",
            target_code=uuid.uuid4(),
            title=title,
        )


def notification_code(user) -> str:
    with scopes_disabled():
        return str(Notification.objects.get(recipient=user).code)


async def test_a_member_receives_the_new_unread_count_and_another_association_nothing(association, alice, bob, charlie):
    bob_socket = await connected_socket(bob)
    charlie_socket = await connected_socket(charlie)

    await sync_to_async(publish_in_a_service)(association, alice, "Adopter Nextcloud")

    message = await bob_socket.receive_json_from(timeout=3)
    assert message == {
        "kind": "unread",
        "count": 1,
        "notification": {"code": await sync_to_async(notification_code)(bob), "title": "Adopter Nextcloud"},
    }
    assert await charlie_socket.receive_nothing(timeout=0.3)
    await bob_socket.disconnect()
    await charlie_socket.disconnect()


async def test_the_actor_is_not_pushed_and_reading_pushes_the_lower_count(association, alice, bob):
    alice_socket = await connected_socket(alice)
    bob_socket = await connected_socket(bob)

    await sync_to_async(publish_in_a_service)(association, alice, "Un")
    await sync_to_async(publish_in_a_service)(association, alice, "Deux")
    assert [(await bob_socket.receive_json_from(timeout=3))["count"] for _ in range(2)] == [1, 2]
    assert await alice_socket.receive_nothing(timeout=0.3)

    def read_everything() -> None:
        with association_scope(association):
            services.mark_all_read(user=bob, association_ids=[association.pk])

    await sync_to_async(read_everything)()
    assert await bob_socket.receive_json_from(timeout=3) == {"kind": "unread", "count": 0}
    await alice_socket.disconnect()
    await bob_socket.disconnect()


async def test_with_the_channel_layer_down_the_notifications_still_commit(settings, association, alice, bob, caplog):
    # Port 1 refuses connections: a Redis outage, seen from the client.
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]}}
    }
    await sync_to_async(publish_in_a_service)(association, alice, "Malgré la panne")

    assert await sync_to_async(selectors.unread_count)(bob) == 1
    assert f"Push to user {bob.pk} failed" in caplog.text


@pytest.mark.redis
async def test_the_count_reaches_the_member_through_redis(settings, association, alice, bob, charlie):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [os.environ["REDIS_URL"]], "prefix": f"asso-hub-test-{uuid.uuid4().hex}"},
        }
    }
    bob_socket = await connected_socket(bob)
    charlie_socket = await connected_socket(charlie)

    await sync_to_async(publish_in_a_service)(association, alice, "Par Redis")

    message = await bob_socket.receive_json_from(timeout=5)
    assert (message["kind"], message["count"]) == ("unread", 1)
    assert await charlie_socket.receive_nothing(timeout=0.3)
    await bob_socket.disconnect()
    await charlie_socket.disconnect()
