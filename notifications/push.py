"""Send a websocket push to one user's open tabs, after commit, without ever failing the write."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from functools import partial
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from .consumers import PUSH_MESSAGE_TYPE, user_group

logger = logging.getLogger(__name__)

# A push is a convenience: when Redis is slow or unreachable the request must not wait on it.
PUSH_TIMEOUT_SECONDS = 2.0
# Sends in flight at once for a batch: enough to hide Redis round trips, few enough connections.
PUSH_CONCURRENCY = 32


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


def push_to_users(messages: Sequence[tuple[int, dict[str, Any]]]) -> None:
    """`push_to_user` for many users at once: one after-commit callback and one event loop for all.

    The fan-out sends a whole batch this way: starting a thread and an event loop per recipient
    (what one `async_to_sync` call costs) dominated its time. Same guarantees: nothing is sent if
    the transaction rolls back, and channel-layer errors are logged, never raised.
    """
    if messages:
        transaction.on_commit(partial(_send_many, list(messages)))


def _send_many(messages: list[tuple[int, dict[str, Any]]]) -> None:
    try:
        failed = async_to_sync(_group_send_many)(messages)
    except Exception:
        logger.warning("Push to %s users failed; their pages will catch up.", len(messages), exc_info=True)
        return
    if failed:
        user_id, error = failed[0]
        logger.warning(
            "Push to user %s failed (and %s other users); the page will catch up on its next load.",
            user_id,
            len(failed) - 1,
            exc_info=error,
        )


async def _group_send_many(messages: list[tuple[int, dict[str, Any]]]) -> list[tuple[int, BaseException]]:
    """Send the messages concurrently, each under the push timeout; return those that failed.

    A slow or unreachable layer must not hold the worker for the whole batch: after the first
    failure the messages not yet sent are given up (counted as failed) instead of each waiting.
    """
    layer = get_channel_layer()
    if layer is None:
        return []
    gate = asyncio.Semaphore(PUSH_CONCURRENCY)
    broken: list[BaseException] = []  # the first failure: the rest of the batch is not attempted

    async def send(user_id: int, payload: dict[str, Any]) -> None:
        async with gate:
            if broken:
                raise broken[0]
            message = {"type": PUSH_MESSAGE_TYPE, "payload": payload}
            try:
                await asyncio.wait_for(layer.group_send(user_group(user_id), message), timeout=PUSH_TIMEOUT_SECONDS)
            except Exception as error:
                broken.append(error)
                raise

    results = await asyncio.gather(*(send(u, p) for u, p in messages), return_exceptions=True)
    return [
        (user_id, result)
        for (user_id, _payload), result in zip(messages, results, strict=True)
        if isinstance(result, BaseException)
    ]
