"""The load benchmark's dataset, run in a subprocess with Django set up on the bench database.

    python -m bench.load_data            # prints a JSON line: what to request and with which credentials

The demo (`seed_demo`: a network and three associations made through the real services, with
stacks, votes, decisions, tutorials) gives the pages their full shape; bulk rows around it give
the tables their size: 1,000 associations, 50,000 members, 200,000 notifications, 10,000
proposals, 20,000 tool usages (`SIZES`). The member whose pages are measured is a board member
of a demo association, with a full inbox, like a regular user of a large instance.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from datetime import timedelta
from typing import Any

SIZES = {"associations": 1_000, "members": 50_000, "notifications": 200_000, "proposals": 10_000, "tool_usages": 20_000}
FOCUS_SLUG = "us-chambray-football"
FOCUS_EMAIL = "karim.benali@demo.asso-hub.fr"
BATCH = 5_000


def log(message: str) -> None:
    print(f"[load data] {message}", file=sys.stderr, flush=True)


def spread(total: int, buckets: int) -> list[int]:
    """`total` split over `buckets` as evenly as whole numbers allow."""
    base, extra = divmod(max(total, 0), buckets)
    return [base + (1 if i < extra else 0) for i in range(buckets)]


def generate(sizes: dict[str, int]) -> dict[str, Any]:
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone
    from django_scopes import scopes_disabled
    from rest_framework.authtoken.models import Token

    from governance.models import Proposal
    from hub.models import Association, Membership, Role, User
    from notifications.models import Category, Event, Notification, Route
    from shared_tools.models import STAGES_IN_USE, Tool, ToolUsage, Tutorial, TutorialStatus

    rng = random.Random(20261125)
    started = time.monotonic()
    call_command("seed_demo", verbosity=0)
    log(f"demo seeded in {time.monotonic() - started:.0f} s")
    now = timezone.now()
    n_assoc = sizes["associations"]
    with scopes_disabled(), transaction.atomic():
        focus = Association.objects.get(slug=FOCUS_SLUG)
        bulk_count = n_assoc - Association.objects.count()
        # The totals count the demo's rows too, so the sizes are exact.
        members_per = spread(sizes["members"] - Membership.objects.count(), bulk_count)
        usages_per = spread(sizes["tool_usages"] - ToolUsage.objects.count(), bulk_count)
        proposals_per = spread(sizes["proposals"] - Proposal.objects.count(), bulk_count)
        associations = Association.objects.bulk_create(
            [
                Association(
                    name=f"Association de banc d'essai {i:04d}",
                    slug=f"banc-{i:04d}",
                    commune="Tours",
                    departement="37",
                    default_electorate="members",
                    default_quorum_percent=25,
                    default_threshold="simple",
                    default_voting_days=14,
                )
                for i in range(bulk_count)
            ],
            batch_size=BATCH,
        )
        # One hash for every bulk account: hashing 50,000 passwords would only measure PBKDF2.
        password = make_password(None)
        users = User.objects.bulk_create(
            [
                User(email=f"membre{i:05d}@banc.asso-hub.fr", display_name=f"Membre {i:05d}", password=password)
                for i in range(sum(members_per))
            ],
            batch_size=BATCH,
        )
        memberships = []
        members_of: dict[int, list[User]] = {}
        remaining = iter(users)
        for association, count in zip(associations, members_per, strict=True):
            members_of[association.pk] = [next(remaining) for _ in range(count)]
            for m_index, user in enumerate(members_of[association.pk]):
                role = Role.ADMIN if m_index == 0 else Role.BOARD if m_index < 5 else Role.MEMBER
                memberships.append(Membership(association=association, user=user, role=role))
        Membership.objects.bulk_create(memberships, batch_size=BATCH)
        log(f"{len(associations)} associations, {len(users)} members")

        tools = list(Tool.objects.filter(discontinued=False).values_list("pk", flat=True))
        stages = list(STAGES_IN_USE)
        ToolUsage.objects.bulk_create(
            [
                ToolUsage(association=association, tool_id=tool_id, stage=rng.choice(stages), purpose="Usage courant")
                for association, count in zip(associations, usages_per, strict=True)
                for tool_id in rng.sample(tools, count)
            ],
            batch_size=BATCH,
        )
        statuses = ["draft", "open", "closed", "closed", "closed", "withdrawn"]
        proposals = Proposal.objects.bulk_create(
            [
                Proposal(
                    association=association,
                    title=f"Proposition {p_index} de {association.name}",
                    body="Adopter un outil libre pour partager nos documents.",
                    electorate="members",
                    quorum_percent=25,
                    threshold="simple",
                    status=(status := rng.choice(statuses)),
                    opens_at=now - timedelta(days=20) if status != "draft" else None,
                    closes_at=now + timedelta(days=rng.choice([-10, 5])) if status != "draft" else None,
                )
                for association, count in zip(associations, proposals_per, strict=True)
                for p_index in range(count)
            ],
            batch_size=BATCH,
        )
        events = Event.objects.bulk_create(
            [
                Event(
                    association_id=proposal.association_id,
                    kind="proposal.opened",
                    category=Category.PROPOSALS,
                    target_kind="proposal",
                    target_code=proposal.code,
                    title=proposal.title,
                    created_at=now - timedelta(minutes=index),
                    fanned_out_at=now,
                )
                for index, proposal in enumerate(proposals)
            ],
            batch_size=BATCH,
        )
        log(f"{len(proposals)} proposals, {len(events)} events")

        # The focus member gets a full inbox too: their association's events, many unread.
        focus_user = User.objects.get(email=FOCUS_EMAIL)
        focus_events = Event.objects.bulk_create(
            [
                Event(
                    association=focus,
                    kind="proposal.opened",
                    category=Category.PROPOSALS,
                    title=f"Proposition ouverte au vote n° {i}",
                    created_at=now - timedelta(hours=i),
                    fanned_out_at=now,
                )
                for i in range(200)
            ]
        )
        rows = [
            Notification(
                association=focus,
                event=event,
                recipient=focus_user,
                category=event.category,
                created_at=event.created_at,
                route=Route.IN_APP,
                read_at=None if i < 40 else now,
            )
            for i, event in enumerate(focus_events)
        ]
        wanted = sizes["notifications"] - len(rows)
        events_by_association: dict[int, list[Event]] = {}
        for event in events:
            events_by_association.setdefault(event.association_id, []).append(event)
        per_user = iter(spread(wanted, len(users)))
        for association in associations:
            its_events = events_by_association.get(association.pk, [])
            for user in members_of[association.pk]:
                count = next(per_user)
                for event in rng.sample(its_events, min(count, len(its_events))):
                    rows.append(
                        Notification(
                            association=association,
                            event=event,
                            recipient=user,
                            category=event.category,
                            created_at=event.created_at,
                            route=Route.DIGEST,
                            read_at=now if rng.random() < 0.5 else None,
                        )
                    )
        Notification.objects.bulk_create(rows, batch_size=BATCH)
        log(f"{len(rows)} notifications")

        session = SessionStore()
        session["_auth_user_id"] = str(focus_user.pk)
        session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
        session["_auth_user_hash"] = focus_user.get_session_auth_hash()
        session.create()
        token, _created = Token.objects.get_or_create(user=focus_user)
        open_proposal = Proposal.objects.filter(association=focus, status="open").order_by("pk").first()
        any_proposal = Proposal.objects.filter(association=focus).exclude(status="draft").order_by("pk").first()
        proposal = open_proposal or any_proposal
        tutorial = Tutorial.objects.filter(status=TutorialStatus.PUBLISHED).order_by("pk").first()
    with scopes_disabled():
        counts = {
            "associations": Association.objects.count(),
            "members": Membership.objects.count(),
            "notifications": Notification.objects.count(),
            "proposals": Proposal.objects.count(),
            "tool_usages": ToolUsage.objects.count(),
        }
    log(f"dataset ready in {time.monotonic() - started:.0f} s: {counts}")
    return {
        "counts": counts,
        "session_cookie": session.session_key,
        "token": token.key,
        "association": FOCUS_SLUG,
        "proposal": str(proposal.code) if proposal else None,
        "tutorial": str(tutorial.code) if tutorial else None,
    }


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings")
    sizes = dict(SIZES)
    if "--quick" in sys.argv:
        sizes = {key: value // 10 for key, value in SIZES.items()}
    print(json.dumps(generate(sizes)))
