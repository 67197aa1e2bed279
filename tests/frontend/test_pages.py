import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from hub import services
from hub.models import Association, Invitation, Membership, Network, NetworkMembership, Role, User
from tests.factories import MembershipFactory, UserFactory

A = "amis-du-velo"


def page(name, **kwargs):
    return reverse(f"frontend:{name}", kwargs=kwargs)


def a_page(name, **kwargs):
    return page(name, association_slug=A, **kwargs)


def member_state(association):
    with scopes_disabled():
        return sorted(
            Membership.objects.filter(association=association).values_list("user__email", "role", "is_active")
        )


# Anonymous visitors ---------------------------------------------------------------------


def test_anonymous_visitor_sees_the_landing_page_in_french(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert '<html lang="fr">' in response.content.decode()


def test_login_page_answers(client, db):
    assert client.get(page("login")).status_code == 200


@pytest.mark.parametrize("slug", [A, "does-not-exist"])
def test_anonymous_visitor_is_sent_to_login_whether_or_not_the_association_exists(client, association, slug):
    response = client.get(reverse("frontend:members", kwargs={"association_slug": slug}))
    assert response.status_code == 302
    assert response["Location"].startswith(page("login"))


def test_a_member_logs_in_with_their_email_in_any_case(client, bob):
    bob.set_password("une-phrase-de-passe")
    bob.save()
    response = client.post(page("login"), {"username": "BOB@exemple.fr", "password": "une-phrase-de-passe"})
    assert response.status_code == 302
    home = client.get("/")
    assert "Les Amis du Vélo" in home.content.decode()


def test_sign_up_creates_the_account_and_logs_in(client, db):
    response = client.post(
        page("signup"),
        {
            "display_name": "Odile Vasseur",
            "email": "odile@exemple.fr",
            "password": "ma phrase secrète",
            "language": "fr",
        },
    )
    assert response.status_code == 302
    assert User.objects.get(email="odile@exemple.fr").display_name == "Odile Vasseur"
    assert client.get("/").context["user"].email == "odile@exemple.fr"


def test_sign_up_with_a_weak_password_shows_why_and_creates_nothing(client, db):
    response = client.post(
        page("signup"), {"display_name": "Odile", "email": "odile@exemple.fr", "password": "123", "language": "fr"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["password"]
    assert not User.objects.filter(email="odile@exemple.fr").exists()


def test_password_reset_sends_an_email_with_a_working_link(client, bob):
    client.post(page("password_reset"), {"email": "bob@exemple.fr"})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^\s]+/password-reset/[^\s]+/", mail.outbox[0].body).group(0)
    path = link.split("testserver", 1)[1]
    response = client.get(path, follow=True)
    assert response.context["validlink"]
    response = client.post(
        response.redirect_chain[-1][0],
        {"new_password1": "nouvelle phrase sûre", "new_password2": "nouvelle phrase sûre"},
    )
    assert response.status_code == 302
    bob.refresh_from_db()
    assert bob.check_password("nouvelle phrase sûre")


# Members of the association --------------------------------------------------------------


def test_a_board_member_sees_the_association_home_in_french(login, berenice):
    response = login(berenice).get(a_page("association_home"))
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="fr">' in body
    assert "Les Amis du Vélo" in body


def test_members_page_lists_members_with_their_roles(login, alice, bob):
    response = login(bob).get(a_page("members"))
    body = response.content.decode()
    assert "Alice Martin" in body and "Bob Durand" in body


def test_members_page_query_count_does_not_grow_with_members(login, alice, association, django_assert_max_num_queries):
    client = login(alice)
    client.get(a_page("members"))  # warm the session and the user
    with django_assert_max_num_queries(12) as one:
        client.get(a_page("members"))
    for _ in range(49):
        MembershipFactory(association=association)
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(a_page("members"))
    assert len(response.context["members"]) == 50


def test_admin_changes_a_role_from_the_members_page(login, alice, bob, association):
    with scopes_disabled():
        code = Membership.objects.get(user=bob).code
    response = login(alice).post(a_page("member_role", code=code), {"role": Role.BOARD})
    assert response.status_code == 302
    assert ("bob@exemple.fr", Role.BOARD, True) in member_state(association)


def test_the_last_admin_demoting_herself_gets_a_clear_message(login, alice, association):
    with scopes_disabled():
        code = Membership.objects.get(user=alice).code
    response = login(alice).post(a_page("member_role", code=code), {"role": Role.MEMBER}, follow=True)
    assert "administrat" in response.content.decode()
    assert ("alice@exemple.fr", Role.ADMIN, True) in member_state(association)


def test_a_member_cannot_change_roles(login, alice, bob, association):
    with scopes_disabled():
        code = Membership.objects.get(user=alice).code
    before = member_state(association)
    response = login(bob).post(a_page("member_role", code=code), {"role": Role.MEMBER})
    assert response.status_code == 403
    assert member_state(association) == before


def test_a_member_leaves_the_association(login, alice, bob, association):
    response = login(bob).post(a_page("leave"))
    assert response.status_code == 302
    assert ("bob@exemple.fr", Role.MEMBER, False) in member_state(association)
    assert login(bob).get(a_page("association_home")).status_code == 404


def test_board_member_invites_by_email_and_the_email_goes_out(
    login, berenice, association, django_capture_on_commit_callbacks, eager_celery
):
    with django_capture_on_commit_callbacks(execute=True):
        response = login(berenice).post(a_page("invitations"), {"email": "nouvelle@exemple.fr", "role": Role.MEMBER})
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["nouvelle@exemple.fr"]]


def test_a_member_cannot_open_the_invitations_page(login, bob):
    assert login(bob).get(a_page("invitations")).status_code == 403


def test_an_invalid_invitation_form_says_why_and_creates_nothing(login, alice, association):
    response = login(alice).post(a_page("invitations"), {"email": "pas-une-adresse", "role": Role.MEMBER})
    assert response.status_code == 400
    assert response.context["form"].errors["email"]
    with scopes_disabled():
        assert not Invitation.objects.filter(association=association).exists()


def test_invitee_without_account_signs_up_then_accepts(client, alice, association, access_of):
    from hub.tenancy import association_scope

    with association_scope(association):
        invitation = services.invite_member(access=access_of(alice), email="nouvelle@exemple.fr")
    url = page("invitation", token=services.invitation_token(invitation))
    response = client.get(url)
    assert response.status_code == 200
    assert "Les Amis du Vélo" in response.content.decode()
    client.post(
        page("signup") + f"?next={url}",
        {
            "display_name": "Nouvelle",
            "email": "nouvelle@exemple.fr",
            "password": "ma phrase secrète",
            "language": "fr",
            "next": url,
        },
    )
    response = client.post(url)
    assert response.status_code == 302
    assert ("nouvelle@exemple.fr", Role.MEMBER, True) in member_state(association)
    reused = client.post(url)
    assert reused.status_code == 400


def test_admin_edits_the_association_settings(login, alice, association):
    data = {
        "name": "Les Amis du Vélo de Tours",
        "rna": "W372004512",
        "siren": "",
        "commune": "Tours",
        "departement": "37",
        "description": "",
        "default_electorate": "members",
        "default_quorum_percent": 30,
        "default_threshold": "two_thirds",
        "default_voting_days": 10,
        "members_can_propose": "on",
    }
    response = login(alice).post(a_page("association_settings"), data)
    assert response.status_code == 302
    association.refresh_from_db()
    assert (association.name, association.default_quorum_percent, association.members_can_propose) == (
        "Les Amis du Vélo de Tours",
        30,
        True,
    )


def test_settings_refuse_a_badly_formed_rna_and_change_nothing(login, alice, association):
    response = login(alice).post(
        a_page("association_settings"),
        {
            "name": "X",
            "rna": "123",
            "default_electorate": "board",
            "default_quorum_percent": 50,
            "default_threshold": "simple",
            "default_voting_days": 7,
        },
    )
    assert response.status_code == 400
    assert "rna" in response.context["form"].errors
    association.refresh_from_db()
    assert association.name == "Les Amis du Vélo"


# Outsiders and conseillers --------------------------------------------------------------


def _without_request_specifics(response):
    # The CSRF token and the language form's return address differ per request, not per association.
    body = response.content.decode()
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)
    return re.sub(r'name="next" value="[^"]+"', "", body)


GET_PAGES = ["association_home", "members", "invitations", "association_settings"]


@pytest.mark.parametrize("name", GET_PAGES)
def test_a_member_of_another_association_gets_the_same_404_as_a_missing_page(login, charlie, alice, name):
    client = login(charlie)
    response = client.get(a_page(name))
    missing = client.get(reverse(f"frontend:{name}", kwargs={"association_slug": "nexiste-pas"}))
    assert response.status_code == missing.status_code == 404
    assert _without_request_specifics(response) == _without_request_specifics(missing)
    assert b"Les Amis du V" not in response.content


def test_posts_from_an_outsider_change_nothing(login, charlie, alice, bob, association):
    with scopes_disabled():
        codes = {m.user.email: m.code for m in Membership.objects.filter(association=association)}
    before = member_state(association)
    client = login(charlie)
    responses = [
        client.post(a_page("member_role", code=codes["bob@exemple.fr"]), {"role": Role.ADMIN}),
        client.post(a_page("member_remove", code=codes["bob@exemple.fr"])),
        client.post(a_page("leave")),
        client.post(a_page("invitations"), {"email": "intrus@exemple.fr", "role": Role.ADMIN}),
        client.post(a_page("association_settings"), {"name": "Piraté"}),
        client.post(a_page("network_consent", network_slug="x")),
    ]
    assert {r.status_code for r in responses} == {404}
    assert member_state(association) == before
    association.refresh_from_db()
    assert association.name == "Les Amis du Vélo"
    with scopes_disabled():
        assert not Invitation.objects.filter(association=association).exists()


def test_a_conseiller_reads_a_consenting_association_but_cannot_write(login, conseiller, bob, association):
    client = login(conseiller)
    assert client.get(a_page("association_home")).status_code == 200
    assert client.get(a_page("members")).status_code == 200
    with scopes_disabled():
        code = Membership.objects.get(user=bob).code
    assert client.post(a_page("member_role", code=code), {"role": Role.ADMIN}).status_code == 403
    assert client.post(a_page("invitations"), {"email": "x@exemple.fr", "role": "member"}).status_code == 403
    assert client.get(a_page("association_settings")).status_code == 403


def test_a_conseiller_loses_access_as_soon_as_the_admin_ends_the_followup(login, conseiller, alice, association):
    with scopes_disabled():
        link = NetworkMembership.objects.get(association=association)
    login(alice).post(a_page("network_end", code=link.code))
    response = login(conseiller).get(a_page("association_home"))
    assert response.status_code == 404


def test_a_conseiller_of_another_network_gets_404(login, other_conseiller, association, alice):
    assert login(other_conseiller).get(a_page("association_home")).status_code == 404


def test_the_network_page_lists_only_consenting_associations(login, conseiller, association, other_association):
    response = login(conseiller).get(page("network_detail", network_slug="asso-37"))
    names = [a.name for a in response.context["associations"]]
    assert names == ["Les Amis du Vélo"]


def test_the_network_page_is_404_for_someone_who_is_not_its_conseiller(login, conseiller, other_conseiller):
    assert login(other_conseiller).get(page("network_detail", network_slug="asso-37")).status_code == 404


def test_admin_accepts_a_pending_followup_request(login, alice, association, network, db):
    from tests.factories import AdvisorFactory

    advisor = UserFactory(email="c@exemple.fr")
    AdvisorFactory(network=network, user=advisor)
    login(advisor).post(page("network_detail", network_slug="asso-37"), {"association_slug": A})
    assert login(advisor).get(a_page("association_home")).status_code == 404
    login(alice).post(a_page("network_consent", network_slug="asso-37"))
    assert login(advisor).get(a_page("association_home")).status_code == 200


# Language, security headers, demo data -------------------------------------------------


def test_switching_language_saves_it_in_the_profile(login, bob):
    client = login(bob)
    client.post(page("set_language"), {"language": "en", "next": "/"})
    bob.refresh_from_db()
    assert bob.language == "en"
    assert '<html lang="en">' in client.get("/").content.decode()


def test_pages_send_a_csp_without_unsafe_inline(client, db):
    response = client.get(page("login"))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp


def test_dates_are_shown_in_the_members_time_zone(login, bob, association):
    bob.time_zone = "America/Guadeloupe"
    bob.save()
    with scopes_disabled():
        Membership.objects.filter(user=bob).update(joined_at=timezone.datetime(2026, 1, 1, 2, 0, tzinfo=timezone.UTC))
    response = login(bob).get(a_page("members"))
    # 02:00 UTC on 1 January is still 31 December in Guadeloupe.
    assert "31 décembre 2025" in response.content.decode()


def _counts():
    from governance.models import Ballot, Decision, Proposal
    from shared_tools.models import Referent, Tool, ToolUsage, ToolUsageChange

    models = (User, Association, Membership, Network, NetworkMembership, Tool, ToolUsage, ToolUsageChange, Referent)
    with scopes_disabled():
        return {model.__name__: model.objects.count() for model in (*models, Proposal, Ballot, Decision)}


def test_seed_demo_twice_gives_the_same_rows(db):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    first = _counts()
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert _counts() == first
    assert (first["Association"], first["Proposal"], first["Decision"]) == (3, 2, 1)


@override_settings(DEBUG=True)
def test_demo_board_member_logs_in_and_sees_her_association(client, db):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    response = client.post(
        page("login"), {"username": "martine.leroux@demo.asso-hub.fr", "password": "asso-hub-demo"}, follow=True
    )
    assert "Épicerie Solidaire du Lochois" in response.content.decode()


def test_demo_passwords_are_not_usable_outside_debug(client, db):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert not User.objects.get(email="martine.leroux@demo.asso-hub.fr").has_usable_password()
