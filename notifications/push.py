"""Send a websocket push to one user's open tabs, after commit, without ever failing the write."""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from .consumers import PUSH_MESSAGE_TYPE, user_group

logger = logging.getLogger(__name__)

# A push is a convenience: when Redis is slow or unreachable the request must not wait on it.
PUSH_TIMEOUT_SECONDS = 2.0


def push_to_user(user_id: int, payload: dict[str, Any]) -> None:
    """Deliver `payload` (ids and counts, JSON-serialisable) to the user once the transaction commits.

    Nothing is sent if the transaction rolls back. Channel-layer errors are logged, never raised.
    """
    transaction.on_commit(partial(_send, user_id, payload))


def _send(user_id: int, payload: dict[str, Any]) -> None:
    try:
        async_to_sync(_group_send)(user_group(user_id), {"type": PUSH_MESSAGE_TYPE, "payload": payload})
    except Exception:
        logger.warning("Push to user %s failed; the page will catch up on its next load.", user_id, exc_info=True)


async def _group_send(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    await asyncio.wait_for(layer.group_send(group, message), timeout=PUSH_TIMEOUT_SECONDS)
