"""Set-based data generation: `INSERT … SELECT … FROM generate_series`, never a save() loop.

Member number `g` (0, 1, 2…) decides everything about a person, so a run is reproducible:

- users: 1 in 10 reads English; 3 in 50 live outside mainland France (Martinique, Réunion,
  Nouméa), the rest in Europe/Paris;
- delivery settings (fan-out phase): 1 in 10 has a row (daily summary, no quiet hours), 1 in 10
  another (weekly, cap 1, quiet 22:00–07:00), 1 in 100 is paused for a week; the rest has none
  (the calm defaults);
- preferences for the fan-out's category (decisions): 1 in 20 "off", 1 in 20 "immediate",
  1 in 20 "site only", 1 in 20 "digest" chosen explicitly; 1 in 4 also has choices for two
  other categories;
- the fan-out's target (a proposal): 2 in 100 follow it (one of them with decisions "off"),
  1 in 100 muted it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from hub.models import Association

from .environment import log

TARGET_KIND = "proposal"


def _execute(sql: str, params: dict | list | None = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _scalar(sql: str, params: dict | list | None = None):  # type: ignore[no-untyped-def]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def _fast_writes() -> None:
    # Generation only (the timed runs keep the server's defaults): no wait for the disk per commit.
    _execute("SET LOCAL synchronous_commit TO off")


def vacuum(*tables: str) -> None:
    for table in tables:
        _execute(f'VACUUM "{table}"')


def analyze(*tables: str) -> None:
    """VACUUM ANALYZE (outside a transaction): fresh statistics and visibility map before timing; then a
    CHECKPOINT, so the generation's dirty pages are not written out in the middle of a timed run."""
    for table in tables:
        _execute(f'VACUUM ANALYZE "{table}"')
    _execute("CHECKPOINT")


@dataclass(frozen=True)
class Users:
    first_id: int
    count: int

    def id(self, g: int) -> int:
        return self.first_id + g


def create_users(count: int) -> Users:
    with transaction.atomic():
        _fast_writes()
        _execute(
            """
            INSERT INTO hub_user (password, last_login, is_superuser, code, email, display_name, language,
                                  time_zone, is_active, is_staff, date_joined)
            SELECT '!', NULL, false, gen_random_uuid(), 'member' || g || '@bench.invalid', 'Membre ' || g,
                   CASE WHEN mod(g, 10) = 3 THEN 'en' ELSE 'fr' END,
                   CASE mod(g, 50) WHEN 11 THEN 'America/Martinique' WHEN 12 THEN 'Indian/Reunion'
                               WHEN 13 THEN 'Pacific/Noumea' ELSE 'Europe/Paris' END,
                   true, false, now() - interval '30 days'
            FROM generate_series(0, %(n)s - 1) AS g
            ORDER BY g
            """,
            {"n": count},
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT min(id), max(id), count(*) FROM hub_user WHERE email LIKE %s", ["member%@bench.invalid"]
            )
            first, last, total = cursor.fetchone()
        assert total == count and last - first + 1 == count, "user ids are not contiguous"
        assert _scalar("SELECT email FROM hub_user WHERE id = %s", [first]) == "member0@bench.invalid"
        # Delivery settings are a person's, across associations.
        _execute(
            """
            INSERT INTO notifications_notificationsettings (user_id, digest_frequency, digest_hour, digest_weekday,
                   daily_email_cap, quiet_start, quiet_end, paused_until, updated_at)
            SELECT %(first)s + g,
                   CASE WHEN mod(g, 10) = 0 THEN 'daily' ELSE 'weekly' END,
                   CASE WHEN mod(g, 10) = 0 THEN 18 ELSE 8 END, 0,
                   CASE WHEN mod(g, 10) = 0 THEN 3 ELSE 1 END,
                   CASE WHEN mod(g, 10) = 0 THEN NULL ELSE time '22:00' END,
                   CASE WHEN mod(g, 10) = 0 THEN NULL ELSE time '07:00' END,
                   CASE WHEN mod(g, 100) = 0 THEN current_date + 7 END,
                   now()
            FROM generate_series(0, %(n)s - 1) AS g
            WHERE mod(g, 10) IN (0, 5)
            """,
            {"first": first, "n": count},
        )
    return Users(first_id=first, count=count)


def create_association(slug: str, name: str) -> Association:
    return Association.objects.create(slug=slug, name=name, commune="Loches", departement="37")


@dataclass(frozen=True)
class FanOutAssociation:
    association_id: int
    members: int
    actor_id: int
    target_code: uuid.UUID


def create_fan_out_association(users: Users, members: int, slug: str) -> FanOutAssociation:
    """An association of `members` active members (users 0…members-1) with their preferences and follows."""
    association = create_association(slug, f"Association de {members} membres")
    target_code = uuid.uuid4()
    params = {"association": association.pk, "first": users.first_id, "n": members, "target": target_code}
    with transaction.atomic():
        _fast_writes()
        _execute(
            """
            INSERT INTO hub_membership (code, role, is_active, joined_at, left_at, association_id, user_id)
            SELECT gen_random_uuid(), CASE WHEN g = 0 THEN 'admin' WHEN g < 10 THEN 'board' ELSE 'member' END,
                   true, now() - interval '10 days', NULL, %(association)s, %(first)s + g
            FROM generate_series(0, %(n)s - 1) AS g
            """,
            params,
        )
        _execute(
            """
            INSERT INTO notifications_preference (association_id, user_id, category, mode)
            SELECT %(association)s, %(first)s + g, 'decisions',
                   CASE mod(g, 20) WHEN 1 THEN 'off' WHEN 2 THEN 'immediate' WHEN 3 THEN 'in_app' ELSE 'digest' END
            FROM generate_series(0, %(n)s - 1) AS g WHERE mod(g, 20) BETWEEN 1 AND 4
            UNION ALL
            SELECT %(association)s, %(first)s + g, c.category, c.mode
            FROM generate_series(0, %(n)s - 1) AS g,
                 (VALUES ('tools', 'in_app'), ('proposals', 'off')) AS c (category, mode)
            WHERE mod(g, 4) = 0
            """,
            params,
        )
        _execute(
            """
            INSERT INTO notifications_subscription (association_id, user_id, target_kind, target_code, state,
                                                    created_at)
            SELECT %(association)s, %(first)s + g, 'proposal', %(target)s,
                   CASE WHEN mod(g, 100) = 7 THEN 'mute' ELSE 'follow' END, now()
            FROM generate_series(0, %(n)s - 1) AS g WHERE mod(g, 100) IN (5, 7, 21)
            """,
            params,
        )
    return FanOutAssociation(
        association_id=association.pk, members=members, actor_id=users.id(0), target_code=target_code
    )


# The digest phase -------------------------------------------------------------------------------

DIGEST_ASSOCIATION_SIZE = 1000
EVENTS_PER_ASSOCIATION = 10  # and so notifications per member


@dataclass(frozen=True)
class DigestData:
    members: int
    notifications: int
    unread_pending: int
    associations: int


def create_digest_data(users: Users, members: int) -> DigestData:
    """`members` people on a daily summary, 10 notifications each (1 in 10 already read).

    Empties the notification tables first, so the table holds exactly members × 10 rows. Members
    sit in associations of 1,000; 1 in 5 is also in the next association and gets 2 of their 10
    notifications from there (a summary covering two associations). Every notification is older
    than 26 hours, so it waits before each member's latest daily slot (7:00, 8:00, 12:00 or 18:00
    in their own time zone).
    """
    assert members % DIGEST_ASSOCIATION_SIZE == 0 and members <= users.count
    count = members // DIGEST_ASSOCIATION_SIZE
    assert count >= 2
    with transaction.atomic():
        _fast_writes()
        _execute(
            "TRUNCATE notifications_outboxemail, notifications_notification, notifications_digestrun, "
            "notifications_event RESTART IDENTITY"
        )
        _execute("DELETE FROM notifications_notificationsettings")
        _execute(
            """
            INSERT INTO notifications_notificationsettings (user_id, digest_frequency, digest_hour, digest_weekday,
                   daily_email_cap, quiet_start, quiet_end, paused_until, updated_at)
            SELECT %(first)s + g, 'daily', (ARRAY[7, 8, 12, 18])[mod(g, 4) + 1], 0, 3, time '21:00', time '08:00',
                   NULL, now()
            FROM generate_series(0, %(n)s - 1) AS g
            """,
            {"first": users.first_id, "n": members},
        )
    associations = Association.objects.bulk_create(
        [
            Association(slug=f"digest-{a}", name=f"Association résumé {a}", commune="Tours", departement="37")
            for a in range(count)
        ]
    )
    association_ids = [a.pk for a in associations]
    params = {
        "first": users.first_id,
        "n": members,
        "size": DIGEST_ASSOCIATION_SIZE,
        "count": count,
        "ids": association_ids,
        "per": EVENTS_PER_ASSOCIATION,
        "now": timezone.now(),
    }
    with transaction.atomic():
        _fast_writes()
        _execute(
            """
            INSERT INTO hub_membership (code, role, is_active, joined_at, left_at, association_id, user_id)
            SELECT gen_random_uuid(), CASE WHEN mod(g, %(size)s) = 0 THEN 'admin' ELSE 'member' END, true,
                   now() - interval '10 days', NULL::timestamptz, (%(ids)s::bigint[])[g / %(size)s + 1], %(first)s + g
            FROM generate_series(0, %(n)s - 1) AS g
            UNION ALL
            SELECT gen_random_uuid(), 'member', true, now() - interval '10 days', NULL,
                   (%(ids)s::bigint[])[mod(g / %(size)s + 1, %(count)s) + 1], %(first)s + g
            FROM generate_series(0, %(n)s - 1) AS g WHERE mod(g, 5) = 0
            """,
            params,
        )
        # Events in (association, k) order, so event id = first + a × 10 + k.
        _execute(
            """
            INSERT INTO notifications_event (code, association_id, kind, category, actor_id, target_kind,
                   target_code, title, data, recipient_ids, created_at, fanned_out_at)
            SELECT gen_random_uuid(), (%(ids)s::bigint[])[a + 1],
                   (ARRAY['decision.recorded', 'tool.stage_changed', 'proposal.commented'])[mod(k, 3) + 1],
                   (ARRAY['decisions', 'tools', 'proposals'])[mod(k, 3) + 1],
                   %(first)s + a * %(size)s, (ARRAY['proposal', 'tool_usage', 'proposal'])[mod(k, 3) + 1],
                   gen_random_uuid(), 'Sujet ' || k || ' de l''association ' || a,
                   CASE WHEN mod(k, 3) = 1 THEN '{"stage": "adopted"}'::jsonb ELSE '{}'::jsonb END, NULL,
                   %(now)s - interval '26 hours' - k * interval '3 hours' - a * interval '1 second',
                   %(now)s - interval '26 hours'
            FROM generate_series(0, %(count)s - 1) AS a, generate_series(0, %(per)s - 1) AS k
            ORDER BY a, k
            """,
            params,
        )
        first_event = _scalar("SELECT min(id) FROM notifications_event")
        params["first_event"] = first_event
        _execute(
            """
            INSERT INTO notifications_notification (code, association_id, event_id, recipient_id, category,
                   created_at, route, read_at, in_digest, digested_at, digest_run_id)
            SELECT gen_random_uuid(), e.association_id, e.id, %(first)s + x.g, e.category, e.created_at, 'digest',
                   CASE WHEN mod(x.g + x.k, 10) = 9 THEN e.created_at + interval '1 hour' END, true, NULL, NULL
            FROM (
                SELECT g, k, CASE WHEN k >= 8 AND mod(g, 5) = 0 THEN mod(g / %(size)s + 1, %(count)s)
                                  ELSE g / %(size)s END AS a
                FROM generate_series(0, %(n)s - 1) AS g, generate_series(0, %(per)s - 1) AS k
            ) AS x
            JOIN notifications_event AS e ON e.id = %(first_event)s + x.a * %(per)s + x.k
            """,
            params,
        )
        total = _scalar("SELECT count(*) FROM notifications_notification")
        pending = _scalar("SELECT count(*) FROM notifications_notification WHERE read_at IS NULL")
    log(f"digest data: {members:,} members, {total:,} notifications ({pending:,} unread), {count} associations")
    return DigestData(members=members, notifications=total, unread_pending=pending, associations=count)
