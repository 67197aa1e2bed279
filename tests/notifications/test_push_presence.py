"""A fan-out pushes to its recipients with a tab open, and asks the channel layer once which they are."""

import os
import uuid

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import connections

from notifications.consumers import user_group
from notifications.push import _listened
from tests.factories import MembershipFactory

from .test_realtime import connected_socket, publish_in_a_service

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@pytest.fixture(autouse=True)
def eager(eager_celery):
    return eager_celery


@pytest_asyncio.fixture(autouse=True)
async def close_connections_of_the_sync_thread():
    yield
    await sync_to_async(connections.close_all)()


def redis_layer(settings) -> None:
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [os.environ["REDIS_URL"]], "prefix": f"asso-hub-test-{uuid.uuid4().hex}"},
        }
    }


def in_memory_layer(settings) -> None:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.mark.parametrize(
    "layer", [in_memory_layer, pytest.param(redis_layer, marks=pytest.mark.redis)], ids=["in-memory", "redis"]
)
async def test_only_members_with_a_tab_open_are_sent_the_count(settings, monkeypatch, layer, association, alice, bob):
    layer(settings)
    for _ in range(30):
        await sync_to_async(MembershipFactory)(association=association)
    bob_socket = await connected_socket(bob)
    channel_layer = get_channel_layer()
    sent = []
    group_send = channel_layer.group_send

    async def counted(group, message):
        sent.append(group)
        await group_send(group, message)

    monkeypatch.setattr(channel_layer, "group_send", counted)

    await sync_to_async(publish_in_a_service)(association, alice, "Trente et un membres")

    message = await bob_socket.receive_json_from(timeout=5)
    assert (message["kind"], message["count"]) == ("unread", 1)
    assert message["notification"]["title"] == "Trente et un membres"
    assert sent == [user_group(bob.pk)]  # not one message per recipient
    await bob_socket.disconnect()


@pytest.mark.redis
async def test_redis_says_which_groups_have_a_tab_open(settings, alice, bob, charlie):
    redis_layer(settings)
    bob_socket = await connected_socket(bob)
    groups = [user_group(alice.pk), user_group(bob.pk), user_group(charlie.pk)]
    assert await _listened(get_channel_layer(), groups) == [False, True, False]
    await bob_socket.disconnect()
    assert await _listened(get_channel_layer(), groups) == [False, False, False]
