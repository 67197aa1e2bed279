"""What the notifications did lately: `manage.py notifications_stats [--days 7]`. Platform staff only (unscoped)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db.models import Count, Q
from django.utils import timezone
from django_scopes import scopes_disabled

from notifications.models import DigestRun, Event, Notification, OutboxEmail


class Command(BaseCommand):
    help = "Events, notifications by route, immediate emails and summaries over the last days."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=7)

    def handle(self, *args: Any, **options: Any) -> None:
        since = timezone.now() - timedelta(days=options["days"])
        with scopes_disabled():  # platform-wide figures, for staff
            events = Event.objects.filter(created_at__gte=since)
            self.stdout.write(f"Since {since:%Y-%m-%d %H:%M} UTC")
            self.stdout.write(
                f"Events: {events.count()} ({events.filter(fanned_out_at__isnull=True).count()} not fanned out)"
            )
            for row in events.values("kind").annotate(n=Count("pk")).order_by("-n", "kind"):
                self.stdout.write(f"  {row['kind']}: {row['n']}")
            notifications = Notification.objects.filter(created_at__gte=since)
            totals = notifications.aggregate(total=Count("pk"), unread=Count("pk", filter=Q(read_at__isnull=True)))
            self.stdout.write(f"Notifications: {totals['total']} ({totals['unread']} unread)")
            for route, n in notifications.values_list("route").annotate(n=Count("pk")).order_by("-n", "route"):
                self.stdout.write(f"  {route}: {n}")
            outbox = OutboxEmail.objects.filter(due_at__gte=since).aggregate(
                sent=Count("pk", filter=Q(sent_at__isnull=False)),
                skipped=Count("pk", filter=Q(skipped_at__isnull=False)),
                waiting=Count("pk", filter=Q(sent_at__isnull=True, skipped_at__isnull=True)),
            )
            self.stdout.write(
                f"Immediate emails: {outbox['sent']} sent, {outbox['skipped']} skipped (read first), "
                f"{outbox['waiting']} waiting"
            )
        runs = DigestRun.objects.filter(claimed_at__gte=since).aggregate(
            sent=Count("pk", filter=Q(sent_at__isnull=False, item_count__gt=0)),
            empty=Count("pk", filter=Q(sent_at__isnull=False, item_count=0)),
            unsent=Count("pk", filter=Q(sent_at__isnull=True)),
        )
        self.stdout.write(
            f"Summaries: {runs['sent']} sent, {runs['empty']} closed with nothing new, "
            f"{runs['unsent']} claimed not sent"
        )
