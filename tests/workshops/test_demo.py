"""The demo load publishes two upcoming workshops of Réseau Asso 37 with a few people, once."""

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from shared_tools.models import RegistrationStatus, Workshop, WorkshopRegistration

pytestmark = pytest.mark.django_db


def test_the_demo_has_two_upcoming_workshops_with_registrations_and_a_second_run_adds_nothing():
    call_command("seed_demo", stdout=io.StringIO())
    workshops = list(Workshop.objects.order_by("starts_at"))
    assert len(workshops) == 2
    assert all(w.network.slug == "reseau-asso-37" and w.starts_at > timezone.now() for w in workshops)
    nextcloud, jitsi = workshops
    assert nextcloud.tool is not None and nextcloud.tool.name.lower().startswith("nextcloud")
    assert nextcloud.place is not None or nextcloud.location_detail  # a place of Indre-et-Loire, else an address
    assert jitsi.online_url.startswith("https://")
    rows = WorkshopRegistration.objects.filter(status=RegistrationStatus.REGISTERED)
    assert rows.filter(workshop=nextcloud).count() == 4 and rows.filter(workshop=jitsi).count() == 2
    assert set(rows.values_list("association__slug", flat=True)) == {
        "us-chambray-football",
        "epicerie-solidaire-lochois",
    }
    call_command("seed_demo", stdout=io.StringIO())
    assert Workshop.objects.count() == 2 and WorkshopRegistration.objects.count() == 6
