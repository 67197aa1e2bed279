"""Workshop services on the database: publishing, seats and the waiting list, promotion, changes,
cancellation, and who is told of what."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation
from django_scopes import scopes_disabled

from hub.models import Role
from shared_tools.events import (
    WORKSHOP_CANCELLED,
    WORKSHOP_CHANGED,
    WORKSHOP_PUBLISHED,
    WORKSHOP_SEAT_OFFERED,
)
from shared_tools.models import RegistrationStatus, Workshop, WorkshopRegistration, WorkshopStatus
from shared_tools.workshops import services
from tests.factories import AdvisorFactory, MembershipFactory, NetworkMembershipFactory, UserFactory

from .conftest import details, events_of, recipients_of, registered, statuses, waiting

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def french():
    with translation.override("fr"):
        yield


def register(access_of, user, workshop, association=None):
    return services.register_for_workshop(access=access_of(user, association), workshop=workshop)


# Publishing ---------------------------------------------------------------------------------------


def test_a_conseiller_publishes_a_workshop_and_the_followed_members_are_told(
    cast, association, network, conseiller, make_workshop, place
):
    workshop = make_workshop(place=place, capacity=8, title="  Atelier agenda partagé  ")
    assert workshop.network == network and workshop.created_by == conseiller
    assert workshop.title == "Atelier agenda partagé" and workshop.status == WorkshopStatus.PUBLISHED
    (event,) = events_of(WORKSHOP_PUBLISHED)
    assert event.association_id == association.pk
    # A's members (alice, bérénice, bob), never B's (charlie) nor the conseillère.
    assert sorted(event.recipient_ids) == sorted(u.pk for u in (cast["alice"], cast["berenice"], cast["bob"]))
    assert event.category == "network"  # calm defaults: the site and the summary, no immediate email


def test_a_member_of_two_followed_associations_is_told_once(cast, network, make_workshop, other_association):
    NetworkMembershipFactory(
        association=other_association, network=network, consented_at=timezone.now(), consented_by=cast["charlie"]
    )
    MembershipFactory(association=other_association, user=cast["bob"], role=Role.MEMBER)
    make_workshop()
    assert recipients_of(WORKSHOP_PUBLISHED).count(cast["bob"].pk) == 1
    assert cast["charlie"].pk in recipients_of(WORKSHOP_PUBLISHED)


def test_only_a_conseiller_of_the_network_publishes(cast, network, other_conseiller):
    for user in (cast["alice"], other_conseiller):
        with pytest.raises(PermissionDenied):
            services.publish_workshop(user=user, network=network, details=details())
    assert not Workshop.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"title": "  "}, "title", "Donnez un titre à l'atelier."),
        ({"starts_at": timezone.now() - timedelta(hours=1)}, "starts_at", "L'atelier doit commencer dans le futur."),
        ({"ends_at": timezone.now() + timedelta(days=6)}, "ends_at", "L'atelier doit finir après avoir commencé."),
        ({"capacity": 0}, "capacity", "Entre 1 et 10 000 places."),
        ({"location_detail": ""}, "place", "Indiquez où : choisissez un lieu, saisissez une adresse ou donnez un lien"),
        ({"online_url": "javascript:alert(1)"}, "online_url", "Donnez une adresse web commençant par https://."),
        ({"level": "expert"}, "level", "Choisissez un niveau dans la liste."),
    ],
)
def test_bad_details_are_refused_naming_the_field_in_french(conseiller, network, fields, field, message):
    with pytest.raises(ValidationError) as caught:
        services.publish_workshop(user=conseiller, network=network, details=details(**fields))
    assert field in caught.value.message_dict
    assert caught.value.message_dict[field][0].startswith(message)
    assert not Workshop.objects.exists()


# Seats and the waiting list ---------------------------------------------------------------------


def test_seats_then_the_waiting_list_in_order(association, access_of, crowd, make_workshop):
    workshop = make_workshop(capacity=2)
    people = crowd(4)
    results = [register(access_of, user, workshop) for user in people]
    assert [r.status for r in results] == ["registered", "registered", "waiting", "waiting"]
    assert all(r.association == association for r in results)
    assert registered(workshop) == 2 and waiting(workshop) == 2


def test_registering_twice_keeps_one_row(access_of, bob, workshop):
    first = register(access_of, bob, workshop)
    again = register(access_of, bob, workshop)
    assert first.pk == again.pk
    assert WorkshopRegistration.objects.filter(workshop=workshop, user=bob).count() == 1


def test_a_member_of_two_followed_associations_registers_once_through_the_first(
    cast, network, access_of, other_association, workshop
):
    NetworkMembershipFactory(
        association=other_association, network=network, consented_at=timezone.now(), consented_by=cast["charlie"]
    )
    MembershipFactory(association=other_association, user=cast["bob"], role=Role.MEMBER)
    through_b = register(access_of, cast["bob"], workshop, other_association)
    through_a = register(access_of, cast["bob"], workshop)
    assert through_a.pk == through_b.pk and through_a.association == other_association


def test_cancelling_a_seat_moves_the_first_waiting_person_up_and_tells_them(access_of, crowd, make_workshop):
    workshop = make_workshop(capacity=1)
    first, second, third = crowd(3)
    for user in (first, second, third):
        register(access_of, user, workshop)
    services.cancel_registration(user=first, workshop=workshop)
    assert statuses(workshop) == {
        first.email: RegistrationStatus.CANCELLED,
        second.email: RegistrationStatus.REGISTERED,
        third.email: RegistrationStatus.WAITING,
    }
    promoted = WorkshopRegistration.objects.get(workshop=workshop, user=second)
    assert promoted.promoted_at is not None
    assert recipients_of(WORKSHOP_SEAT_OFFERED) == [second.pk]


def test_leaving_the_waiting_list_frees_no_seat(access_of, crowd, make_workshop):
    workshop = make_workshop(capacity=1)
    first, second, third = crowd(3)
    for user in (first, second, third):
        register(access_of, user, workshop)
    services.cancel_registration(user=second, workshop=workshop)
    assert statuses(workshop)[third.email] == RegistrationStatus.WAITING
    assert events_of(WORKSHOP_SEAT_OFFERED) == []


def test_registering_again_after_cancelling_reuses_the_row_at_the_end_of_the_queue(access_of, crowd, make_workshop):
    workshop = make_workshop(capacity=1)
    first, second = crowd(2)
    row = register(access_of, first, workshop)
    register(access_of, second, workshop)
    services.cancel_registration(user=first, workshop=workshop)  # second takes the seat
    again = register(access_of, first, workshop)
    assert again.pk == row.pk
    assert again.status == RegistrationStatus.WAITING and again.cancelled_at is None


def test_cancelling_without_a_registration_is_refused(bob, workshop):
    with pytest.raises(ValidationError) as caught:
        services.cancel_registration(user=bob, workshop=workshop)
    assert caught.value.messages == ["Vous n'êtes pas inscrit·e à cet atelier."]


def test_no_registration_once_the_workshop_has_started(access_of, bob, workshop):
    with time_machine.travel(workshop.starts_at + timedelta(minutes=1)), pytest.raises(ValidationError) as caught:
        register(access_of, bob, workshop)
    assert caught.value.messages == ["Les inscriptions sont closes : l'atelier a commencé."]
    assert not WorkshopRegistration.objects.exists()


def test_no_cancelling_once_the_workshop_has_started(access_of, bob, workshop):
    register(access_of, bob, workshop)
    with time_machine.travel(workshop.starts_at + timedelta(minutes=1)), pytest.raises(ValidationError):
        services.cancel_registration(user=bob, workshop=workshop)
    assert statuses(workshop)[bob.email] == RegistrationStatus.REGISTERED


def test_no_registration_to_a_cancelled_workshop(access_of, bob, conseiller, workshop):
    services.cancel_workshop(user=conseiller, workshop=workshop)
    with pytest.raises(ValidationError) as caught:
        register(access_of, bob, workshop)
    assert caught.value.messages == ["Cet atelier est annulé."]


def test_members_of_an_association_not_followed_cannot_register(access_of, charlie, other_association, workshop):
    with pytest.raises(PermissionDenied):
        register(access_of, charlie, workshop, other_association)
    assert not WorkshopRegistration.objects.exists()


def test_a_conseiller_reading_the_association_cannot_register(access_of, conseiller, workshop):
    with pytest.raises(PermissionDenied):
        register(access_of, conseiller, workshop)


def test_after_revocation_registrations_stand_but_new_ones_are_refused(
    association, access_of, alice, bob, berenice, workshop
):
    register(access_of, bob, workshop)
    with scopes_disabled():
        association.network_links.update(revoked_at=timezone.now(), revoked_by=alice)
    with pytest.raises(PermissionDenied):
        register(access_of, berenice, workshop)
    assert statuses(workshop) == {bob.email: RegistrationStatus.REGISTERED}
    services.cancel_registration(user=bob, workshop=workshop)  # and bob can still give the seat back
    assert statuses(workshop) == {bob.email: RegistrationStatus.CANCELLED}


# Changes and cancellation ---------------------------------------------------------------------


def test_a_new_date_bumps_the_sequence_and_tells_the_people_signed_up(access_of, crowd, conseiller, make_workshop):
    workshop = make_workshop(capacity=1)
    first, second = crowd(2)
    register(access_of, first, workshop)
    register(access_of, second, workshop)
    later = workshop.starts_at + timedelta(days=1)
    updated = services.update_workshop(
        user=conseiller,
        workshop=workshop,
        details=details(starts_at=later, capacity=1, location_detail=workshop.location_detail, title=workshop.title),
    )
    assert updated.sequence == 1 and updated.starts_at == later
    assert recipients_of(WORKSHOP_CHANGED) == sorted([first.pk, second.pk])
    assert events_of(WORKSHOP_CHANGED)[0].data["starts_at"] == services.local_datetime(later)


def test_a_change_nobody_needs_to_hear_about_tells_nobody(access_of, bob, conseiller, workshop):
    register(access_of, bob, workshop)
    same = details(
        starts_at=workshop.starts_at, ends_at=workshop.ends_at, location_detail=workshop.location_detail, capacity=20
    )
    updated = services.update_workshop(user=conseiller, workshop=workshop, details=same)
    assert updated.capacity == 20 and updated.sequence == 0
    assert events_of(WORKSHOP_CHANGED) == []


def test_more_seats_move_the_waiting_list_up(access_of, crowd, conseiller, make_workshop):
    workshop = make_workshop(capacity=1)
    people = crowd(4)
    for user in people:
        register(access_of, user, workshop)
    services.update_workshop(
        user=conseiller,
        workshop=workshop,
        details=details(starts_at=workshop.starts_at, location_detail=workshop.location_detail, capacity=3),
    )
    assert [statuses(workshop)[u.email] for u in people] == ["registered", "registered", "registered", "waiting"]
    assert recipients_of(WORKSHOP_SEAT_OFFERED) == sorted([people[1].pk, people[2].pk])


def test_fewer_seats_than_people_registered_is_refused(access_of, crowd, conseiller, make_workshop):
    workshop = make_workshop(capacity=3)
    for user in crowd(3):
        register(access_of, user, workshop)
    with pytest.raises(ValidationError) as caught:
        services.update_workshop(
            user=conseiller,
            workshop=workshop,
            details=details(starts_at=workshop.starts_at, location_detail=workshop.location_detail, capacity=2),
        )
    assert caught.value.message_dict["capacity"] == [
        "3 personnes sont déjà inscrites : gardez au moins 3 places, ou demandez à certaines de se désinscrire."
    ]
    workshop.refresh_from_db()
    assert workshop.capacity == 3


def test_another_conseiller_cannot_change_or_cancel(other_conseiller, workshop):
    with pytest.raises(PermissionDenied):
        services.update_workshop(user=other_conseiller, workshop=workshop, details=details(title="Piraté"))
    with pytest.raises(PermissionDenied):
        services.cancel_workshop(user=other_conseiller, workshop=workshop)
    workshop.refresh_from_db()
    assert workshop.title == "Bien démarrer avec Nextcloud" and workshop.status == WorkshopStatus.PUBLISHED


def test_cancelling_tells_the_registered_and_the_waiting_and_bumps_the_sequence(
    access_of, crowd, conseiller, make_workshop
):
    workshop = make_workshop(capacity=1)
    first, second = crowd(2)
    register(access_of, first, workshop)
    register(access_of, second, workshop)
    cancelled = services.cancel_workshop(user=conseiller, workshop=workshop)
    assert cancelled.status == WorkshopStatus.CANCELLED and cancelled.sequence == 1
    assert recipients_of(WORKSHOP_CANCELLED) == sorted([first.pk, second.pk])
    with pytest.raises(ValidationError):
        services.cancel_workshop(user=conseiller, workshop=workshop)
    with pytest.raises(ValidationError):
        services.update_workshop(user=conseiller, workshop=workshop, details=details())


def test_a_conseiller_of_two_networks_manages_each_network_s_workshops(conseiller, workshop):
    other = AdvisorFactory(user=UserFactory(), network__slug="autre").network
    with pytest.raises(PermissionDenied):
        services.publish_workshop(user=UserFactory(), network=other, details=details())
    AdvisorFactory(user=conseiller, network=other)
    assert services.publish_workshop(user=conseiller, network=other, details=details()).network == other


def test_an_erased_account_gives_its_seats_to_the_waiting_list(access_of, crowd, make_workshop):
    upcoming, other = make_workshop(capacity=1), make_workshop(capacity=1, title="Autre")
    first, second = crowd(2)
    for workshop in (upcoming, other):
        register(access_of, first, workshop)
        register(access_of, second, workshop)
    assert services.cancel_all_registrations(user=first) == 2
    assert statuses(upcoming)[second.email] == statuses(other)[second.email] == RegistrationStatus.REGISTERED
    assert recipients_of(WORKSHOP_SEAT_OFFERED) == [second.pk, second.pk]
    assert services.cancel_all_registrations(user=first) == 0


def test_deleting_an_account_gives_its_seat_to_the_first_on_the_waiting_list(make_workshop, access_of, bob, berenice):
    from hub import personal_data
    from tests.conftest import PASSWORD

    full = make_workshop(capacity=1)
    register(access_of, bob, full)
    register(access_of, berenice, full)
    assert statuses(full) == {bob.email: RegistrationStatus.REGISTERED, berenice.email: RegistrationStatus.WAITING}
    personal_data.delete_account(user=bob, password=PASSWORD)
    assert statuses(full)[berenice.email] == RegistrationStatus.REGISTERED
    assert registered(full) == 1 and waiting(full) == 0
