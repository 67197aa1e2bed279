"""hub's way to say that something happened, without importing `notifications`.

Dependencies point from the domain apps to hub, never back; so hub publishes through a publisher
that `notifications` installs when it starts (`notifications.apps`). Without it (hub used alone),
publishing does nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Publisher = Callable[..., Any]
_publisher: Publisher | None = None


def install_publisher(publisher: Publisher) -> None:
    global _publisher
    _publisher = publisher


def publish(**event: Any) -> None:
    """Record an event in the current transaction (see `notifications.events.publish` for the fields)."""
    if _publisher is not None:
        _publisher(**event)
