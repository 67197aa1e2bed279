"""Governance's events, published to the notifications app (which never imports governance).

`register_event_kinds()` runs in `GovernanceConfig.ready()`. `publish()` is called inside the
service's transaction: the event row commits or rolls back with the write it describes, and
notifications fans it out after commit.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

PROPOSAL_OPENED = "proposal.opened"
PROPOSAL_CLOSING_SOON = "proposal.closing_soon"
PROPOSAL_COMMENTED = "proposal.commented"
DECISION_RECORDED = "decision.recorded"


def register_event_kinds() -> None:
    from notifications.models import Category
    from notifications.registry import Audience, register

    register(
        PROPOSAL_OPENED,
        category=Category.VOTE_REQUIRED,
        audience=Audience.EXPLICIT,
        line=_("%(actor)s opened the vote “%(title)s”, open until %(closes_at)s"),
        target_kind="proposal",
    )
    register(
        PROPOSAL_CLOSING_SOON,
        category=Category.VOTE_REQUIRED,
        audience=Audience.EXPLICIT,
        line=_("The vote “%(title)s” closes on %(closes_at)s and you have not voted yet"),
        target_kind="proposal",
    )
    register(
        PROPOSAL_COMMENTED,
        category=Category.PROPOSALS,
        audience=Audience.FOLLOWERS,
        line=_("%(actor)s commented on “%(title)s”"),
        target_kind="proposal",
    )
    register(
        DECISION_RECORDED,
        category=Category.DECISIONS,
        audience=Audience.ALL_MEMBERS,
        # No outcome in the line: it is rendered later in each recipient's language, and the
        # stored outcome is a code; the decision page says it in words.
        line=_("A decision has been recorded in the register: “%(title)s”"),
        target_kind="proposal",
    )


def local_datetime(value: Any) -> str:
    """A deadline as the line shows it (events are rendered later, in the recipient's language)."""
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M") if value else ""


def publish(
    kind: str,
    *,
    association_id: int,
    actor_id: int | None,
    proposal_code: UUID,
    title: str,
    data: dict[str, Any] | None = None,
    recipients: Iterable[int] | None = None,
) -> None:
    """Publish an event about a proposal (its code is the target, decisions included)."""
    try:
        from notifications.events import publish as notifications_publish
    except ImportError:  # the notifications app is being built in parallel
        logger.info("notifications.events is not available; event %s not published", kind)
        return
    notifications_publish(
        kind=kind,
        association_id=association_id,
        actor_id=actor_id,
        target_kind="proposal",
        target_code=proposal_code,
        title=title,
        data=data or {},
        recipients=list(recipients) if recipients is not None else None,
    )
