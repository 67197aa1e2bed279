"""Workshop pages: who sees what (the visibility matrix), registering and cancelling with forms,
the conseillers' form in their own time zone, the attendance list and its CSV, query counts."""

import csv
import io
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from shared_tools.models import RegistrationStatus, Workshop, WorkshopRegistration, WorkshopStatus
from shared_tools.workshops import services
from tests.factories import MembershipFactory, UserFactory

from .conftest import add_workshops, registered, statuses, waiting

pytestmark = pytest.mark.django_db


def member_url(name, workshop=None, slug="amis-du-velo"):
    kwargs = {"association_slug": slug}
    if workshop is not None:
        kwargs["code"] = workshop.code
    return reverse(f"frontend:{name}", kwargs=kwargs)


def network_url(name, workshop=None, slug="asso-37"):
    kwargs = {"network_slug": slug}
    if workshop is not None:
        kwargs["code"] = workshop.code
    return reverse(f"frontend:{name}", kwargs=kwargs)


def text(response) -> str:
    return response.content.decode()


# Who sees what ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "url", "expected"),
    [
        ("bob", "member", 200),  # member of A, which the network follows
        ("alice", "member", 200),
        ("charlie", "member", 404),  # member of B only: an outsider to A
        ("charlie", "member_b", 404),  # B is not followed by the network
        ("conseiller", "member", 403),  # reads A as a conseiller, not a member: uses the network pages
        ("other_conseiller", "member", 404),
        ("conseiller", "network", 200),
        ("other_conseiller", "network", 404),
        ("bob", "network", 404),
    ],
)
def test_the_visibility_matrix(cast, login, workshop, other_association, who, url, expected):
    urls = {
        "member": member_url("workshop_detail", workshop),
        "member_b": member_url("workshop_detail", workshop, slug=other_association.slug),
        "network": network_url("network_workshop", workshop),
    }
    assert login(cast[who]).get(urls[url]).status_code == expected


def test_anonymous_visitors_are_sent_to_the_login_page(client, workshop):
    response = client.get(member_url("workshop_detail", workshop))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = client.get(network_url("network_workshop", workshop))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_after_revocation_the_workshop_disappears_except_for_whoever_holds_a_seat(
    association, alice, bob, berenice, login, access_of, workshop
):
    services.register_for_workshop(access=access_of(bob), workshop=workshop)
    with scopes_disabled():
        association.network_links.update(revoked_at=timezone.now(), revoked_by=alice)
    assert login(berenice).get(member_url("workshop_detail", workshop)).status_code == 404
    assert workshop.title not in text(login(berenice).get(member_url("workshop_list")))
    page = login(bob).get(member_url("workshop_detail", workshop))
    assert page.status_code == 200 and "Annuler mon inscription" in text(page)
    assert login(bob).post(member_url("workshop_unregister", workshop)).status_code == 302
    assert statuses(workshop) == {bob.email: RegistrationStatus.CANCELLED}
    assert login(bob).get(member_url("workshop_detail", workshop)).status_code == 404  # seat given back: gone


def test_the_association_menu_links_the_workshops_for_members_only(login, bob, conseiller):
    link = f'href="{member_url("workshop_list")}"'
    assert link in text(login(bob).get(member_url("association_home")))
    assert link not in text(login(conseiller).get(member_url("association_home")))


def test_the_network_page_links_its_workshops(login, conseiller):
    assert f'href="{network_url("network_workshops")}"' in text(login(conseiller).get(network_url("network_detail")))


# Members ----------------------------------------------------------------------------------------


def test_the_list_shows_upcoming_workshops_with_seats_left(login, bob, make_workshop, access_of, crowd):
    workshop = make_workshop(capacity=10)
    started = make_workshop(title="Déjà commencé")
    Workshop.objects.filter(pk=started.pk).update(
        starts_at=timezone.now() - timedelta(minutes=5), ends_at=timezone.now() + timedelta(hours=1)
    )
    for user in crowd(2):
        services.register_for_workshop(access=access_of(user), workshop=workshop)
    page = text(login(bob).get(member_url("workshop_list")))
    assert "Bien démarrer avec Nextcloud" in page
    assert "8 places restantes sur 10" in page
    assert "Déjà commencé" not in page


def test_registering_then_cancelling_through_the_forms(login, bob, workshop):
    client = login(bob)
    response = client.post(member_url("workshop_register", workshop), follow=True)
    assert "Vous êtes inscrit·e." in text(response)
    assert "Ajouter à mon agenda (fichier .ics)" in text(response)
    assert statuses(workshop) == {bob.email: RegistrationStatus.REGISTERED}
    response = client.post(member_url("workshop_unregister", workshop), follow=True)
    assert "Votre inscription est annulée." in text(response)
    assert statuses(workshop) == {bob.email: RegistrationStatus.CANCELLED}


def test_a_full_workshop_puts_the_member_on_the_waiting_list(login, bob, access_of, crowd, make_workshop):
    workshop = make_workshop(capacity=1)
    services.register_for_workshop(access=access_of(crowd(1)[0]), workshop=workshop)
    page = text(login(bob).get(member_url("workshop_detail", workshop)))
    assert "Complet · 0 personne en liste d'attente" in page
    assert "Rejoindre la liste d'attente" in page
    response = login(bob).post(member_url("workshop_register", workshop), follow=True)
    assert "L&#x27;atelier est complet : vous êtes sur la liste d&#x27;attente." in text(response)
    assert "Vous êtes sur la liste d'attente (numéro 1)." in text(response)
    assert waiting(workshop) == 1


def test_registering_without_the_csrf_token_is_refused(bob, workshop):
    client = Client(enforce_csrf_checks=True)
    client.force_login(bob)
    assert client.post(member_url("workshop_register", workshop)).status_code == 403
    assert not WorkshopRegistration.objects.exists()


def test_registering_after_the_start_says_so_in_french(login, bob, workshop):
    Workshop.objects.filter(pk=workshop.pk).update(
        starts_at=timezone.now() - timedelta(minutes=5), ends_at=timezone.now() + timedelta(hours=1)
    )
    response = login(bob).post(member_url("workshop_register", workshop), follow=True)
    assert "Les inscriptions sont closes : l&#x27;atelier a commencé." in text(response)
    assert not WorkshopRegistration.objects.exists()


def test_the_calendar_file_downloads(login, bob, workshop):
    response = login(bob).get(member_url("workshop_calendar", workshop))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="atelier-bien-demarrer-avec-nextcloud')
    assert b"BEGIN:VCALENDAR" in response.content and str(workshop.code).encode() in response.content


def test_the_online_link_is_shown_to_registered_people_only(login, bob, access_of, make_workshop):
    workshop = make_workshop(online_url="https://visio.example.org/salle-42")
    assert "salle-42" not in text(login(bob).get(member_url("workshop_detail", workshop)))
    assert b"salle-42" not in login(bob).get(member_url("workshop_calendar", workshop)).content
    services.register_for_workshop(access=access_of(bob), workshop=workshop)
    assert "https://visio.example.org/salle-42" in text(login(bob).get(member_url("workshop_detail", workshop)))
    assert b"salle-42" in login(bob).get(member_url("workshop_calendar", workshop)).content


def test_my_registrations_list_every_association_s_workshops(login, bob, access_of, make_workshop):
    first = make_workshop(title="Premier atelier")
    make_workshop(title="Atelier sans moi")
    services.register_for_workshop(access=access_of(bob), workshop=first)
    page = text(login(bob).get(member_url("my_workshops")))
    assert "Premier atelier" in page and "Atelier sans moi" not in page and "Inscrit·e" in page


# Conseillers -----------------------------------------------------------------------------------


def form_data(**overrides):
    day = timezone.localdate() + timedelta(days=10)
    data = {
        "title": "Sauvegarder ses fichiers",
        "description": "Apportez votre ordinateur.",
        "tool": "",
        "level": "beginner",
        "audience": "everyone",
        "date": day.isoformat(),
        "start_time": "14:00",
        "end_time": "16:30",
        "capacity": "12",
        "place": "",
        "location_detail": "Maison des associations, Tours",
        "online_url": "",
    }
    return data | overrides


def test_a_conseiller_publishes_with_the_form_in_their_own_time_zone(login, conseiller, place):
    conseiller.time_zone = "America/Cayenne"  # UTC-3 all year
    conseiller.save(update_fields=["time_zone"])
    client = login(conseiller)
    page = text(client.get(network_url("network_workshop_new")))
    assert "Espace numérique des Fontaines" in page  # places of the départements it follows (37)
    response = client.post(network_url("network_workshop_new"), form_data(place=str(place.code)))
    workshop = Workshop.objects.get()
    assert response.status_code == 302 and response["Location"] == network_url("network_workshop", workshop)
    assert workshop.starts_at.astimezone(ZoneInfo("UTC")).hour == 17 and workshop.starts_at.minute == 0
    assert workshop.ends_at - workshop.starts_at == timedelta(hours=2, minutes=30)
    assert workshop.place == place and workshop.created_by == conseiller


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"end_time": "13:00"}, "L&#x27;atelier doit finir après avoir commencé."),
        ({"date": "2020-01-01"}, "L&#x27;atelier doit commencer dans le futur."),
        ({"location_detail": ""}, "Indiquez où : choisissez un lieu, saisissez une adresse ou donnez un lien"),
        ({"capacity": "0"}, "Assurez-vous que cette valeur est supérieure ou égale à 1."),
        ({"tool": "Logiciel inconnu"}, "Aucun outil du catalogue ne porte ce nom."),
        ({"title": ""}, "Ce champ est obligatoire."),
    ],
)
def test_the_form_explains_what_is_wrong_in_french_and_saves_nothing(login, conseiller, overrides, message):
    response = login(conseiller).post(network_url("network_workshop_new"), form_data(**overrides))
    assert response.status_code == 400
    assert "L'atelier n'a pas pu être enregistré." in text(response)
    assert message in text(response)
    assert not Workshop.objects.exists()


def test_another_conseiller_cannot_reach_the_form(login, other_conseiller):
    assert login(other_conseiller).get(network_url("network_workshop_new")).status_code == 404
    assert login(other_conseiller).post(network_url("network_workshop_new"), form_data()).status_code == 404
    assert not Workshop.objects.exists()


def test_editing_refuses_fewer_seats_than_people_registered(login, conseiller, access_of, crowd, make_workshop):
    workshop = make_workshop(capacity=3)
    for user in crowd(3):
        services.register_for_workshop(access=access_of(user), workshop=workshop)
    client = login(conseiller)
    edit = text(client.get(network_url("network_workshop_edit", workshop)))
    assert 'value="Bien démarrer avec Nextcloud"' in edit
    local = timezone.localtime(workshop.starts_at)
    data = form_data(
        title=workshop.title,
        date=local.date().isoformat(),
        start_time=local.strftime("%H:%M"),
        end_time=timezone.localtime(workshop.ends_at).strftime("%H:%M"),
        capacity="2",
    )
    response = client.post(network_url("network_workshop_edit", workshop), data)
    assert response.status_code == 400
    assert "3 personnes sont déjà inscrites : gardez au moins 3 places" in text(response)
    workshop.refresh_from_db()
    assert workshop.capacity == 3


def test_cancelling_asks_for_confirmation_then_cancels(login, conseiller, workshop):
    client = login(conseiller)
    page = text(client.get(network_url("network_workshop_cancel", workshop)))
    assert "Annuler l'atelier « Bien démarrer avec Nextcloud » ?" in page
    assert Workshop.objects.get().status == WorkshopStatus.PUBLISHED
    response = client.post(network_url("network_workshop_cancel", workshop), follow=True)
    assert "L&#x27;atelier est annulé." in text(response)
    assert Workshop.objects.get().status == WorkshopStatus.CANCELLED


def test_the_attendance_list_shows_the_seats_then_the_waiting_list(
    login, conseiller, access_of, crowd, make_workshop, other_association
):
    workshop = make_workshop(capacity=2)
    people = crowd(3)
    for user in people:
        services.register_for_workshop(access=access_of(user), workshop=workshop)
    page = text(login(conseiller).get(network_url("network_workshop", workshop)))
    seats, waiting_list = page.split("Liste d'attente</h3>")
    assert "Participant 00" in seats and "Participant 01" in seats and "Participant 02" not in seats
    assert "Participant 02" in waiting_list and "Les Amis du Vélo" in seats


def test_the_sign_in_sheet_exports_names_in_order_with_formulas_neutralised(
    login, conseiller, access_of, association, make_workshop
):
    workshop = make_workshop(capacity=1)
    first = UserFactory(email="a@exemple.fr", display_name="=HYPERLINK(1)")
    second = UserFactory(email="b@exemple.fr", display_name="Zoé Martin")
    for user in (first, second):
        MembershipFactory(association=association, user=user)
        services.register_for_workshop(access=access_of(user), workshop=workshop)
    response = login(conseiller).get(network_url("network_workshop_attendance_csv", workshop))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))
    assert rows[0] == ["Nom", "Association", "Inscription", "Inscrit le", "Signature"]
    assert [row[:3] for row in rows[1:]] == [
        ["'=HYPERLINK(1)", "Les Amis du Vélo", "Inscrit·e"],
        ["Zoé Martin", "Les Amis du Vélo", "Liste d'attente"],
    ]


# Query counts -----------------------------------------------------------------------------------


def same_queries(client, url, grow, expect):
    """The page runs as many queries before `grow()` as after, and then shows `expect`."""
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    grow()
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert expect in response.content.decode()
    assert len(large.captured_queries) == len(small.captured_queries)


def test_the_member_pages_run_a_constant_number_of_queries(login, bob, network, conseiller):
    add_workshops(network, 1, users=[bob])
    client = login(bob)
    same_queries(client, member_url("workshop_list"), lambda: add_workshops(network, 49, users=[bob]), "Atelier 48")
    same_queries(client, member_url("my_workshops"), lambda: add_workshops(network, 20, users=[bob]), "Atelier 19")


def test_the_network_pages_run_a_constant_number_of_queries(login, conseiller, network, crowd):
    people = crowd(3)
    add_workshops(network, 1, users=people)
    client = login(conseiller)
    same_queries(
        client, network_url("network_workshops"), lambda: add_workshops(network, 49, users=people), "Atelier 48"
    )


def test_the_attendance_list_runs_a_constant_number_of_queries(login, conseiller, workshop, association):
    def register(n, start=0):
        users = [UserFactory(email=f"p{start + i}@exemple.fr", display_name=f"Personne {start + i}") for i in range(n)]
        WorkshopRegistration.objects.bulk_create(
            [
                WorkshopRegistration(
                    workshop=workshop, user=u, association=association, status=RegistrationStatus.WAITING
                )
                for u in users
            ]
        )

    register(1)
    client = login(conseiller)
    same_queries(client, network_url("network_workshop", workshop), lambda: register(49, start=1), "Personne 49")
    same_queries(
        client, network_url("network_workshop_attendance_csv", workshop), lambda: register(10, start=50), "Personne 59"
    )
    assert registered(workshop) == 0 and waiting(workshop) == 60


def test_the_announcement_reaches_the_inbox_with_a_link_to_the_workshop(
    login, bob, make_workshop, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        workshop = make_workshop(title="Tableur partagé")
    page = text(login(bob).get(reverse("frontend:notifications_inbox")))
    assert "Réseau Asso 37 vous invite à l&#x27;atelier « Tableur partagé »" in page
    assert f'href="{member_url("workshop_detail", workshop)}"' in page
