"""`push_to_user` never makes a write fail, whatever state the channel layer is in."""

import pytest
from django.db import transaction

from hub.models import User
from notifications.push import push_to_user, push_to_users


@pytest.mark.django_db(transaction=True)
def test_push_with_the_channel_layer_unreachable_does_not_fail_the_write(settings, alice, caplog):
    # Port 1 refuses connections: a real Redis outage, seen from the client.
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]}}
    }
    with transaction.atomic():
        User.objects.filter(pk=alice.pk).update(display_name="Alice M.")
        push_to_user(alice.pk, {"unread": 1})

    alice.refresh_from_db()
    assert alice.display_name == "Alice M."
    assert f"Push to user {alice.pk} failed" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_a_batch_push_with_the_channel_layer_unreachable_does_not_fail_the_write(settings, alice, bob, caplog):
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]}}
    }
    with transaction.atomic():
        User.objects.filter(pk=alice.pk).update(display_name="Alice M.")
        push_to_users([(alice.pk, {"unread": 1}), (bob.pk, {"unread": 2})])

    alice.refresh_from_db()
    assert alice.display_name == "Alice M."
    assert "Push to user" in caplog.text
    assert "failed (and 1 other users)" in caplog.text
