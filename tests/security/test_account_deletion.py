"""Deleting an account: the person is erased, the associations keep their history, every tally holds
and the decision register still verifies (on PostgreSQL, with its freeze triggers in place)."""

import html

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django_scopes import scopes_disabled
from rest_framework.authtoken.models import Token

from governance import register, selectors
from governance.models import Ballot, Comment, Decision, Elector, Participation
from hub import personal_data
from hub.models import HelpMessage, HelpRequest, Membership, User
from hub.tenancy import association_scope
from notifications.models import Notification, Preference
from shared_tools.models import Referent, Tutorial
from tests.conftest import PASSWORD


def delete(client, password=PASSWORD):
    return client.post("/accounts/settings/delete/", {"password": password})


def counts(decision):
    with scopes_disabled():
        proposal = decision.proposal
        return (
            Participation.objects.filter(proposal=proposal).count(),
            Ballot.objects.filter(proposal=proposal).count(),
            Decision.objects.get(pk=decision.pk).tally,
        )


def verifies(association):
    with association_scope(association):
        return register.verify_register(association)


# The page -------------------------------------------------------------------------------------


def test_a_wrong_password_changes_nothing(login, bob):
    response = delete(login(bob), password="pas le bon")
    assert response.status_code == 400
    assert "Ce n'est pas votre mot de passe" in html.unescape(response.content.decode())
    bob.refresh_from_db()
    assert bob.is_active and bob.email == "bob@exemple.fr" and bob.deleted_at is None


def test_the_last_administrator_is_refused_with_the_association_named(login, alice):
    client = login(alice)
    page = client.get("/accounts/settings/delete/").content.decode()
    assert "Les Amis du Vélo" in page  # warned before trying
    response = delete(client)
    assert response.status_code == 400
    assert "dernier administrateur" in response.content.decode()
    alice.refresh_from_db()
    assert alice.is_active and alice.deleted_at is None
    with scopes_disabled():
        assert Membership.objects.get(user=alice).is_active


def test_an_administrator_with_a_co_administrator_may_go(login, alice, berenice, association, access_of):
    from hub import services

    with association_scope(association):
        services.change_role(access=access_of(alice), membership=access_of(berenice).membership, role="admin")
    assert delete(login(alice)).status_code == 302


def test_the_account_is_erased_and_every_session_ends(login, bob, association):
    other_device = Client()
    other_device.force_login(bob)
    token = Token.objects.create(user=bob)
    client = login(bob)
    response = delete(client)
    assert response.status_code == 302
    assert "Votre compte a été supprimé" in client.get(response["Location"]).content.decode()
    bob.refresh_from_db()
    assert bob.email.endswith("@deleted.invalid")
    assert bob.display_name == ""
    assert str(bob) == "Compte supprimé"
    assert not bob.has_usable_password()
    assert not bob.is_active
    # Signed out here and on every other device; the API token is gone.
    assert "_auth_user_id" not in client.session
    assert other_device.get("/accounts/settings/").status_code == 302
    assert not Token.objects.filter(key=token.key).exists()
    assert Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 401
    # The old credentials no longer open anything.
    assert Client().post("/accounts/login/", {"username": "bob@exemple.fr", "password": PASSWORD}).status_code == 200
    with scopes_disabled():
        membership = Membership.objects.get(user=bob, association=association)
    assert not membership.is_active and membership.left_at is not None


def test_the_address_can_sign_up_again(login, bob):
    delete(login(bob))
    response = Client().post(
        "/accounts/signup/",
        {"display_name": "Bob", "email": "bob@exemple.fr", "password": "une phrase assez longue", "language": "fr"},
    )
    assert response.status_code == 302
    assert User.objects.filter(email="bob@exemple.fr", is_active=True).count() == 1


def test_the_api_deletes_too(client, bob):
    token = Token.objects.create(user=bob)
    auth = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    wrong = client.post("/api/v1/me/delete/", {"password": "non"}, content_type="application/json", **auth)
    assert wrong.status_code == 400
    assert wrong.json()["error"]["fields"]["password"]
    done = client.post("/api/v1/me/delete/", {"password": PASSWORD}, content_type="application/json", **auth)
    assert done.status_code == 204
    bob.refresh_from_db()
    assert bob.deleted_at is not None


def test_deletion_is_one_transaction(bob):
    def failing(person):
        raise RuntimeError("an app failed half-way")

    personal_data.register("zz-failing", erase=failing)
    try:
        with pytest.raises(RuntimeError):
            personal_data.delete_account(user=bob, password=PASSWORD)
    finally:
        personal_data._contributors.pop("zz-failing")
    bob.refresh_from_db()
    assert bob.is_active and bob.display_name == "Bob Durand"
    with scopes_disabled():
        assert Membership.objects.get(user=bob).is_active


# What stays, and how it reads --------------------------------------------------------------------


def test_writing_stays_as_former_member_and_personal_rows_go(login, bob, berenice, association, activity):
    activity(bob, 2)
    delete(login(bob))
    with scopes_disabled():
        assert Comment.objects.filter(author__isnull=True).count() == 2
        assert Tutorial.objects.filter(association=association, author__isnull=True).count() == 2
        assert HelpMessage.objects.filter(author__isnull=True).count() == 2
        assert HelpRequest.objects.get().opened_by is None
        assert not Referent.objects.exists()
        assert not Notification.objects.filter(recipient=bob).exists()
        assert not Preference.objects.filter(user=bob).exists()
        proposal = Comment.objects.first().proposal
    page = login(berenice).get(f"/a/amis-du-velo/proposals/{proposal.code}/").content.decode()
    assert "Ancien membre" in page
    assert "Bob Durand" not in page


def test_votes_stay_counted_but_not_attributable(login, bob, berenice, association, vote_on):
    _p, named, _r = vote_on({bob: "for", berenice: "against"})
    _p, secret, _r = vote_on({bob: "against", berenice: "for"}, anonymous=True, title="Vote secret")
    before = [counts(named), counts(secret)]
    delete(login(bob))
    assert [counts(named), counts(secret)] == before
    result = verifies(association)
    assert result.ok and result.checked == 2
    with scopes_disabled():
        erased = Elector.objects.get(proposal=named.proposal, erased_at__isnull=False)
        assert (erased.display_name, erased.name_salt, erased.user_id, erased.membership_id) == ("", "", None, None)
        assert erased.name_digest  # what the hash covers stays
        decision = selectors.decision_detail(association, named.code)
        lines = selectors.ballot_lines(decision.proposal)
        assert sorted(line.voter for line in lines) == ["Ancien membre", "Bérénice Petit"]
        assert sorted(selectors.voter_names(decision.proposal)) == ["Ancien membre", "Bérénice Petit"]
    page = login(berenice).get(f"/a/amis-du-velo/register/{named.code}/").content.decode()
    assert "Bob Durand" not in page


def test_an_open_vote_still_closes_and_verifies(login, bob, berenice, association, access_of, vote_on):
    from governance import services as governance

    proposal, _none, _r = vote_on({bob: "for"}, close=False)
    delete(login(bob))
    with association_scope(association):
        decision = governance.close_proposal(proposal_id=proposal.pk, access=access_of(berenice))
    assert decision.participants == 1 and decision.outcome == "adopted"
    assert verifies(association).ok


def test_the_closer_and_the_statement_author_are_erased(login, alice, berenice, bob, association, access_of):
    from governance import services as governance

    with association_scope(association):
        proposal = governance.create_proposal(
            access=access_of(alice), title="Clore tôt", electorate="members", quorum_percent=0, threshold="simple"
        )
        proposal = governance.open_proposal(access=access_of(alice), proposal=proposal)
        governance.cast_vote(access=access_of(bob), proposal=proposal, choice="for")
        decision = governance.close_proposal(proposal_id=proposal.pk, access=access_of(berenice))
        governance.record_statement(access=access_of(berenice), decision=decision, statement="Adopté.")
    assert decision.closer == "Bérénice Petit"
    delete(login(berenice))
    with scopes_disabled():
        decision = Decision.objects.get(pk=decision.pk)
    assert (decision.closed_by_name, decision.statement_author) == ("", "")
    assert decision.closer == "Ancien membre" and decision.statement_by == "Ancien membre"
    assert verifies(association).ok
    page = login(alice).get(f"/a/amis-du-velo/register/{decision.code}/").content.decode()
    assert "Bérénice" not in page
    assert "Ancien membre" in page


def test_a_version_1_decision_keeps_the_name_it_hashed_and_shows_former_member(
    login, bob, berenice, association, vote_on, monkeypatch
):
    monkeypatch.setattr(register, "CONTENT_VERSION", 1)
    _p, decision, _r = vote_on({bob: "for"})
    monkeypatch.undo()
    assert decision.content_version == 1
    delete(login(bob))
    assert verifies(association).ok
    with scopes_disabled():
        elector = Elector.objects.get(proposal=decision.proposal, erased_at__isnull=False)
        assert elector.display_name == "Bob Durand"  # hashed by version 1: kept, not shown
        assert selectors.voter_names(decision.proposal) == ["Ancien membre"]


# Names are still protected by the register ---------------------------------------------------------


def test_changing_a_name_breaks_the_register(bob, association, vote_on):
    _p, decision, _r = vote_on({bob: "for"})
    with scopes_disabled():
        Elector.objects.filter(proposal=decision.proposal).update(display_name="Quelqu'un d'autre")
    result = verifies(association)
    assert not result.ok
    assert "un nom a été modifié" in result.reason


def test_an_erased_name_cannot_be_replaced(bob, association, vote_on):
    _p, decision, _r = vote_on({bob: "for"})
    with scopes_disabled():
        Elector.objects.filter(proposal=decision.proposal).update(display_name="Intrus", name_salt="")
    assert not verifies(association).ok


# PostgreSQL: the triggers hold, the erasure passes them, and verify_decisions agrees --------------------


def raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.postgres
def test_on_postgresql_deletion_passes_the_triggers_and_the_chain_verifies(
    login, alice, bob, berenice, association, access_of, vote_on, capsys
):
    from governance import services as governance
    from governance.models import Proposal

    _p, named, _r = vote_on({bob: "for", berenice: "against"})
    _p, secret, _r = vote_on({bob: "against"}, anonymous=True, title="Vote secret")
    with association_scope(association):
        proposal = governance.create_proposal(
            access=access_of(alice), title="Par Bob", electorate="members", quorum_percent=0, threshold="simple"
        )
        Proposal.objects.filter(pk=proposal.pk).update(author=bob)  # as if Bob had drafted it
        proposal = governance.open_proposal(access=access_of(alice), proposal=proposal)
        governance.cast_vote(access=access_of(bob), proposal=proposal, choice="for")
        closed = governance.close_proposal(proposal_id=proposal.pk, access=access_of(berenice))
        governance.record_statement(access=access_of(berenice), decision=closed, statement="Noté.")
    before = [counts(d) for d in (named, secret, closed)]
    delete(login(bob))
    delete(login(berenice))
    assert [counts(d) for d in (named, secret, closed)] == before
    call_command("verify_decisions")
    assert "BROKEN" not in capsys.readouterr().err
    with scopes_disabled():
        assert Proposal.objects.get(pk=proposal.pk).author_id is None
    # The triggers still refuse everything else on the frozen rows.
    for sql, params in [
        ("UPDATE governance_decision SET tally = '{}'::jsonb WHERE id = %s", [closed.pk]),
        ("UPDATE governance_decision SET closed_by_name = 'Quelqu''un' WHERE id = %s", [closed.pk]),
        ("UPDATE governance_decision SET closed_by_digest = '' WHERE id = %s", [closed.pk]),
        ("UPDATE governance_ballot SET choice = 'against' WHERE proposal_id = %s", [closed.proposal_id]),
        ("DELETE FROM governance_participation WHERE proposal_id = %s", [closed.proposal_id]),
        ("UPDATE governance_proposal SET title = 'x' WHERE id = %s", [closed.proposal_id]),
    ]:
        with pytest.raises(DatabaseError), transaction.atomic():
            raw(sql, params)


@pytest.mark.postgres
def test_on_postgresql_a_version_1_closer_name_cannot_be_emptied(bob, association, vote_on, monkeypatch):
    monkeypatch.setattr(register, "CONTENT_VERSION", 1)
    _p, decision, _r = vote_on({bob: "for"})
    assert decision.closed_by_name
    with pytest.raises(DatabaseError), transaction.atomic():
        raw("UPDATE governance_decision SET closed_by_name = '' WHERE id = %s", [decision.pk])


def test_a_service_refusal_is_a_validation_error(bob):
    with pytest.raises(ValidationError):
        personal_data.delete_account(user=bob, password="")
