"""The per-user websocket: pushes what happened to the signed-in user, nothing to anyone else."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

if TYPE_CHECKING:
    from hub.models import User

# `notify.push` is dispatched to `UserConsumer.notify_push`; `notifications.push` sends it.
PUSH_MESSAGE_TYPE = "notify.push"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


class UserConsumer(AsyncJsonWebsocketConsumer):
    """One socket per signed-in browser tab, joined to the user's own group.

    Anonymous connections are refused during the handshake. The association ids the user
    belongs to are resolved once at connect, and every database read a handler makes runs in
    that scope (`hub.tenancy.association_scope`). Once joined, the socket first gets the current
    unread count: what happened between the page's rendering and the join (or while a dropped
    socket was reconnecting) would otherwise never reach the badge.
    """

    user_id: int
    association_ids: list[int]
    group_name: str

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            # Closing before accepting refuses the handshake (the browser sees HTTP 403).
            await self.close(code=4401)
            return
        self.user_id = user.pk
        self.association_ids = await self._association_ids(user)
        self.group_name = user_group(user.pk)
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()
        await self.send_json({"kind": "unread", "count": await self._unread_count()})

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group_name"):
            await self.channel_layer.group_discard(self.group_name, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        # The socket is push-only; anything a client sends is ignored.
        return None

    async def notify_push(self, event: dict[str, Any]) -> None:
        """Relay a message sent to the user's group (`type: notify.push`, `payload: {...}`)."""
        await self.send_json(event["payload"])

    @database_sync_to_async
    def _unread_count(self) -> int:
        from .selectors import unread_counts

        return unread_counts([self.user_id]).get(self.user_id, 0)

    @database_sync_to_async
    def _association_ids(self, user: User) -> list[int]:
        from hub.selectors import memberships_of_user

        return list(memberships_of_user(user).values_list("association_id", flat=True))
