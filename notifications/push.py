"""Send a websocket push to one user's open tabs, after commit, without ever failing the write."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from functools import partial
from itertools import batched
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from channels_redis.core import RedisChannelLayer
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

    Same guarantees: nothing is sent if the transaction rolls back, and channel-layer errors are
    logged, never raised.
    """
    payloads = dict(messages)
    push_each([user_id for user_id, _payload in messages], payloads.__getitem__)


def push_each(user_ids: Sequence[int], payload_of: Callable[[int], dict[str, Any]]) -> None:
    """`push_to_users` with each payload made after commit, and only for users with a tab open.

    A fan-out reaches thousands of members of whom a handful have the site open: their
    messages are the only ones worth building (`payload_of(user_id)`).
    """
    if user_ids:
        transaction.on_commit(partial(_send_many, list(user_ids), payload_of))


def _send_many(user_ids: list[int], payload_of: Callable[[int], dict[str, Any]]) -> None:
    try:
        failed = async_to_sync(_group_send_many)(user_ids, payload_of)
    except Exception:
        logger.warning("Push to %s users failed; their pages will catch up.", len(user_ids), exc_info=True)
        return
    if failed:
        user_id, error = failed[0]
        logger.warning(
            "Push to user %s failed (and %s other users); the page will catch up on its next load.",
            user_id,
            len(failed) - 1,
            exc_info=error,
        )


# Which of the keys exist (channels_redis deletes a group's sorted set with its last channel),
# as the 1-based positions of those that do: one command however many groups.
_EXISTING_KEYS = """
local found = {}
for index, key in ipairs(KEYS) do
    if redis.call('EXISTS', key) == 1 then found[#found + 1] = index end
end
return found
"""
# Keys per script call: bounds how long one call holds Redis (about a millisecond per thousand).
_KEYS_PER_CALL = 5000


async def _listened(layer: Any, groups: list[str]) -> list[bool] | None:
    """Whether each group has a listener (an open tab), or None when the layer cannot tell cheaply.

    A fan-out pushes to thousands of members of whom a handful have the site open; a
    `group_send` to a group nobody listens to does nothing, but costs two Redis round trips.
    So which groups exist is asked first: one script call per Redis host (and per
    `_KEYS_PER_CALL` groups), or the in-memory layer's own table. A member who opens a tab
    between this question and the sends misses this push; the page they open shows the count.
    """
    if isinstance(layer, InMemoryChannelLayer):
        return [group in layer.groups for group in groups]
    if isinstance(layer, RedisChannelLayer) and hasattr(layer, "_group_key"):
        listened = [False] * len(groups)
        by_host: dict[int, list[int]] = defaultdict(list)
        for index, group in enumerate(groups):
            by_host[layer.consistent_hash(group)].append(index)
        for host, indexes in by_host.items():
            connection = layer.connection(host)
            for chunk in batched(indexes, _KEYS_PER_CALL):
                keys = [layer._group_key(groups[index]) for index in chunk]
                for position in await connection.eval(_EXISTING_KEYS, len(keys), *keys):
                    listened[chunk[int(position) - 1]] = True
        return listened
    return None


async def _group_send_many(
    user_ids: list[int], payload_of: Callable[[int], dict[str, Any]]
) -> list[tuple[int, BaseException]]:
    """Send each user with a tab open their payload, under the push timeout; return those that failed.

    A few workers share one iterator over the users: no task, future or semaphore per message,
    and at most `PUSH_CONCURRENCY` sends in flight to hide Redis round trips. A slow or
    unreachable layer must not hold the worker for the whole batch: after the first failure the
    messages not yet sent are given up (counted as failed) instead of each waiting.
    """
    layer = get_channel_layer()
    if layer is None:
        return []
    try:
        async with asyncio.timeout(PUSH_TIMEOUT_SECONDS):
            listened = await _listened(layer, [user_group(user_id) for user_id in user_ids])
    except Exception as error:
        return [(user_id, error) for user_id in user_ids]
    if listened is not None:
        user_ids = [user_id for user_id, listening in zip(user_ids, listened, strict=True) if listening]
    pending = iter(user_ids)
    failed: list[tuple[int, BaseException]] = []

    async def worker() -> None:
        for user_id in pending:
            if failed:
                failed.append((user_id, failed[0][1]))
                continue
            message = {"type": PUSH_MESSAGE_TYPE, "payload": payload_of(user_id)}
            try:
                async with asyncio.timeout(PUSH_TIMEOUT_SECONDS):
                    await layer.group_send(user_group(user_id), message)
            except Exception as error:
                failed.append((user_id, error))

    await asyncio.gather(*(worker() for _ in range(min(PUSH_CONCURRENCY, len(user_ids)))))
    return failed
