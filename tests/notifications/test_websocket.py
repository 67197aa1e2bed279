"""The per-user websocket through the real ASGI stack, and `push_to_user` on top of it."""

import os
import uuid

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from channels_redis.core import RedisChannelLayer
from django.conf import settings as django_settings
from django.db import connections, transaction
from django.test import Client

from hub.asgi import application
from hub.models import User
from notifications.push import push_to_user
from tests.notifications.conftest import make_notifications

# The consumer reads the session and the memberships from another thread: real commits needed.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

SAME_ORIGIN = [(b"origin", b"http://testserver"), (b"host", b"testserver")]


@pytest.fixture(autouse=True)
def fresh_in_memory_layer(settings):
    # A cached layer would outlive the event loop of the test that created it.
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest_asyncio.fixture(autouse=True)
async def close_connections_of_the_sync_thread():
    yield
    # The ORM calls of the consumer run in asgiref's sync thread, which keeps its connection
    # (CONN_MAX_AGE); left open, it stops PostgreSQL from dropping the test database.
    await sync_to_async(connections.close_all)()


def session_cookie(user: User) -> tuple[bytes, bytes]:
    client = Client()  # one client per user: a second login on the same client would end the first session
    client.force_login(user)
    key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    return (b"cookie", f"{django_settings.SESSION_COOKIE_NAME}={key}".encode())


def socket(*headers: tuple[bytes, bytes], origin: list[tuple[bytes, bytes]] = SAME_ORIGIN) -> WebsocketCommunicator:
    return WebsocketCommunicator(application, "/ws/me/", headers=[*origin, *headers])


async def joined(communicator: WebsocketCommunicator, unread: int = 0) -> WebsocketCommunicator:
    """Connect; the first message is always the current unread count."""
    assert (await communicator.connect())[0]
    assert await communicator.receive_json_from(timeout=2) == {"kind": "unread", "count": unread}
    return communicator


def committed_push(user_id: int, payload: dict) -> None:
    with transaction.atomic():
        push_to_user(user_id, payload)


def rolled_back_write_and_push(user: User, payload: dict) -> None:
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(display_name="Never saved")
        push_to_user(user.pk, payload)
        transaction.set_rollback(True)


@pytest.mark.parametrize("cookie", [None, (b"cookie", b"sessionid=not-a-session")])
async def test_anonymous_connection_is_refused(cookie):
    communicator = socket(*([cookie] if cookie else []))
    connected, _ = await communicator.connect()
    assert not connected


async def test_signed_in_user_from_another_origin_is_refused(alice):
    cookie = await sync_to_async(session_cookie)(alice)
    communicator = socket(cookie, origin=[(b"origin", b"https://evil.example"), (b"host", b"testserver")])
    connected, _ = await communicator.connect()
    assert not connected


async def test_push_reaches_its_user_and_nobody_else(alice, bob):
    alice_socket = socket(await sync_to_async(session_cookie)(alice))
    bob_socket = socket(await sync_to_async(session_cookie)(bob))
    await joined(alice_socket)
    await joined(bob_socket)

    await sync_to_async(committed_push)(alice.pk, {"kind": "notification", "unread": 3})

    assert await alice_socket.receive_json_from(timeout=2) == {"kind": "notification", "unread": 3}
    assert await bob_socket.receive_nothing(timeout=0.3)
    await alice_socket.disconnect()
    await bob_socket.disconnect()


async def test_a_socket_that_joins_late_gets_the_count_it_missed(association, alice, bob):
    # Notified after the page was rendered, before its socket joined: the join brings the count.
    await sync_to_async(make_notifications)(association, bob, 2)
    await sync_to_async(make_notifications)(association, bob, 1, read=True)
    bob_socket = await joined(socket(await sync_to_async(session_cookie)(bob)), unread=2)
    assert await bob_socket.receive_nothing(timeout=0.3)
    await bob_socket.disconnect()


async def test_push_from_a_rolled_back_transaction_is_never_delivered(alice):
    alice_socket = socket(await sync_to_async(session_cookie)(alice))
    await joined(alice_socket)

    await sync_to_async(rolled_back_write_and_push)(alice, {"unread": 1})
    await sync_to_async(committed_push)(alice.pk, {"unread": 2})

    # The committed push arrives and the rolled-back one never does, neither before nor after it.
    assert await alice_socket.receive_json_from(timeout=2) == {"unread": 2}
    assert await alice_socket.receive_nothing(timeout=0.3)
    await alice_socket.disconnect()


async def test_what_the_client_sends_is_ignored(alice):
    alice_socket = socket(await sync_to_async(session_cookie)(alice))
    await joined(alice_socket)
    await alice_socket.send_json_to({"type": "notify.push", "payload": {"forged": True}})
    assert await alice_socket.receive_nothing(timeout=0.3)
    await alice_socket.disconnect()


@pytest.mark.redis
async def test_push_round_trip_through_redis(settings, alice, bob):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # A prefix per test: parallel runs share the server and their user ids collide.
            "CONFIG": {"hosts": [os.environ["REDIS_URL"]], "prefix": f"asso-hub-test-{uuid.uuid4().hex}"},
        }
    }
    assert isinstance(get_channel_layer(), RedisChannelLayer)
    alice_socket = socket(await sync_to_async(session_cookie)(alice))
    bob_socket = socket(await sync_to_async(session_cookie)(bob))
    await joined(alice_socket)
    await joined(bob_socket)

    await sync_to_async(rolled_back_write_and_push)(alice, {"unread": 1})
    await sync_to_async(committed_push)(alice.pk, {"unread": 2})

    assert await alice_socket.receive_json_from(timeout=5) == {"unread": 2}
    assert await alice_socket.receive_nothing(timeout=0.5)
    assert await bob_socket.receive_nothing(timeout=0.1)
    await alice_socket.disconnect()
    await bob_socket.disconnect()
