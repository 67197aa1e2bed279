"""Governance services on the database: drafting, opening, voting, closing, the register."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django_scopes import scopes_disabled

from governance import services
from governance.models import (
    GENESIS_HASH,
    Ballot,
    Decision,
    Elector,
    FrozenError,
    Method,
    Participation,
    Proposal,
    ProposalKind,
    Status,
)
from governance.register import verify_register
from governance.services import OptionSpec
from hub.models import Role
from hub.tenancy import association_scope
from notifications.models import Event
from shared_tools.models import Stage, ToolUsage, ToolUsageChange
from tests.factories import MembershipFactory, UserFactory


def vote(access, proposal, choice, **kwargs):
    with association_scope(proposal.association_id):
        return services.cast_vote(access=access, proposal=proposal, choice=choice, **kwargs)


def close(proposal, access=None, **kwargs):
    with association_scope(proposal.association_id):
        return services.close_proposal(proposal_id=proposal.pk, access=access, **kwargs)


def stored(model, **filters):
    with scopes_disabled():
        return list(model.objects.filter(**filters))


# Drafting and opening --------------------------------------------------------------------


def test_a_draft_takes_the_association_defaults(association, alice, access_of, scoped):
    association.default_electorate = "members"
    association.default_quorum_percent = 30
    association.default_threshold = "two_thirds"
    association.save()
    proposal = services.create_proposal(access=access_of(alice), title="Changer de banque")
    assert (proposal.status, proposal.electorate, proposal.quorum_percent, proposal.threshold) == (
        Status.DRAFT,
        "members",
        30,
        "two_thirds",
    )
    assert proposal.author == alice


def test_a_member_proposes_only_when_the_association_allows_it(association, bob, access_of, scoped):
    with pytest.raises(PermissionDenied):
        services.create_proposal(access=access_of(bob), title="Un pique-nique")
    association.members_can_propose = True
    association.save()
    assert services.create_proposal(access=access_of(bob), title="Un pique-nique").author == bob


def test_a_conseiller_never_proposes(association, conseiller, access_of, scoped):
    association.members_can_propose = True
    association.save()
    with pytest.raises(PermissionDenied):
        services.create_proposal(access=access_of(conseiller), title="Conseil")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"method": Method.SINGLE, "options": [OptionSpec("Seule")]}, "options"),
        ({"method": Method.CONSENT, "options": [OptionSpec("A"), OptionSpec("B")]}, "options"),
        ({"kind": ProposalKind.ADOPT, "options": [OptionSpec("Sans outil")]}, "options"),
        ({"kind": ProposalKind.RETIRE}, "current_tool"),
        ({"method": Method.SINGLE, "options": [OptionSpec("A"), OptionSpec("a")]}, "options"),
        ({"quorum_percent": 101}, "quorum_percent"),
        ({"anonymous": True, "results_hidden": False}, "results_hidden"),
    ],
    ids=[
        "single needs two options",
        "consent has one motion",
        "adopt names a tool",
        "retire names the tool",
        "same label twice",
        "quorum over 100",
        "secret ballot with live results",
    ],
)
def test_malformed_drafts_are_refused_on_their_field(alice, access_of, scoped, fields, field):
    with pytest.raises(ValidationError) as exc:
        services.create_proposal(access=access_of(alice), title="Proposition", **fields)
    assert field in exc.value.message_dict
    assert not Proposal.objects.exists()


def test_opening_snapshots_the_electorate(association, alice, berenice, bob, access_of, make_proposal):
    proposal = make_proposal(electorate="board")
    with association_scope(association):
        electors = {e.user_id: e.role for e in proposal.electors.all()}
    assert electors == {alice.pk: Role.ADMIN, berenice.pk: Role.BOARD}
    # A member promoted afterwards does not join this vote's electorate.
    with scopes_disabled():
        bob.memberships.update(role=Role.BOARD)
    with pytest.raises(PermissionDenied):
        vote(access_of(bob), proposal, "for")


def test_opening_defaults_the_dates_to_now_and_the_voting_period(association, alice, access_of, scoped):
    association.default_voting_days = 10
    association.save()
    access = access_of(alice)
    draft = services.create_proposal(access=access, title="Budget 2027")
    before = timezone.now()
    proposal = services.open_proposal(access=access, proposal=draft)
    assert proposal.status == Status.OPEN
    assert before <= proposal.opens_at <= timezone.now()
    assert proposal.closes_at - proposal.opens_at == timedelta(days=10)


def test_opening_tells_the_electors(association, alice, berenice, bob, make_proposal):
    proposal = make_proposal()
    with association_scope(association):
        event = Event.objects.get(kind="proposal.opened")
    assert event.target_code == proposal.code
    assert sorted(event.recipient_ids) == sorted([alice.pk, berenice.pk, bob.pk])


def test_a_proposal_opens_once(alice, access_of, make_proposal, scoped):
    proposal = make_proposal()
    with pytest.raises(PermissionDenied):
        services.open_proposal(access=access_of(alice), proposal=proposal)


# Voting ----------------------------------------------------------------------------------


def test_a_named_vote_is_recorded_then_changed(alice, bob, access_of, make_proposal):
    proposal = make_proposal()
    first = vote(access_of(bob), proposal, "against", reason="Trop cher")
    assert first.changed is False and first.receipt == ""
    second = vote(access_of(bob), proposal, "for")
    assert second.changed is True
    ballots = stored(Ballot, proposal=proposal)
    assert [(b.elector.user_id, b.choice, b.reason) for b in ballots] == [(bob.pk, "for", "")]
    assert len(stored(Participation, proposal=proposal)) == 1


def test_a_vote_cannot_be_changed_when_the_rules_say_so(bob, access_of, make_proposal):
    proposal = make_proposal(allow_vote_change=False)
    vote(access_of(bob), proposal, "for")
    with pytest.raises(ValidationError):
        vote(access_of(bob), proposal, "against")
    assert [b.choice for b in stored(Ballot, proposal=proposal)] == ["for"]


def test_a_reason_is_required_to_vote_against_when_the_rules_ask(bob, access_of, make_proposal):
    proposal = make_proposal(reason_required=True)
    with pytest.raises(ValidationError) as exc:
        vote(access_of(bob), proposal, "block")
    assert "reason" in exc.value.message_dict
    assert vote(access_of(bob), proposal, "block", reason="Nos données partiraient hors UE").ballot.choice == "block"


def test_option_votes_check_the_options(bob, access_of, make_proposal):
    proposal = make_proposal(method=Method.SINGLE)
    with association_scope(proposal.association_id):
        a, b, _c = [str(code) for code in proposal.options.values_list("code", flat=True)]
    with pytest.raises(ValidationError):
        vote(access_of(bob), proposal, "options", options=[a, b])
    with pytest.raises(ValidationError):
        vote(access_of(bob), proposal, "options", options=["00000000-0000-0000-0000-000000000000"])
    with pytest.raises(ValidationError):
        vote(access_of(bob), proposal, "for")
    assert vote(access_of(bob), proposal, "options", options=[b]).ballot.options == [b]


def test_approval_votes_take_several_options(bob, access_of, make_proposal):
    proposal = make_proposal(method=Method.APPROVAL)
    with association_scope(proposal.association_id):
        codes = sorted(str(code) for code in proposal.options.values_list("code", flat=True))
    assert vote(access_of(bob), proposal, "options", options=codes[:2]).ballot.options == codes[:2]


def test_a_vote_after_the_deadline_is_refused_and_nothing_is_stored(bob, access_of, make_proposal):
    proposal = make_proposal(closes_at=timezone.now() + timedelta(hours=1))
    with time_machine.travel(timezone.now() + timedelta(hours=2)), pytest.raises(ValidationError):
        vote(access_of(bob), proposal, "for")
    assert stored(Ballot) == [] and stored(Participation) == []


def test_a_vote_before_the_opening_is_refused(bob, access_of, make_proposal):
    proposal = make_proposal(opens_at=timezone.now() + timedelta(days=1))
    with pytest.raises(ValidationError):
        vote(access_of(bob), proposal, "for")
    assert stored(Ballot) == []


def test_a_vote_after_close_is_refused(bob, alice, access_of, make_proposal):
    proposal = make_proposal()
    close(proposal, access=access_of(alice))
    with pytest.raises(ValidationError):
        vote(access_of(bob), proposal, "for")
    assert stored(Ballot) == []


def test_a_non_elector_cannot_vote(bob, access_of, make_proposal):
    proposal = make_proposal(electorate="board")
    with pytest.raises(PermissionDenied):
        vote(access_of(bob), proposal, "for")
    assert stored(Ballot) == []


def test_a_conseiller_cannot_vote(conseiller, access_of, make_proposal):
    proposal = make_proposal()
    with pytest.raises(PermissionDenied):
        vote(access_of(conseiller), proposal, "for")
    assert stored(Ballot) == []


def test_a_member_who_left_cannot_vote(bob, access_of, make_proposal):
    proposal = make_proposal()
    stale_access = access_of(bob)
    with scopes_disabled():
        bob.memberships.update(is_active=False)
    assert access_of(bob) is None  # the next request gets a 404
    with pytest.raises(PermissionDenied):  # and a request already under way is refused
        vote(stale_access, proposal, "for")
    assert stored(Ballot) == []


# Secret ballots --------------------------------------------------------------------------


def test_a_secret_ballot_keeps_no_link_to_its_voter(bob, access_of, make_proposal):
    proposal = make_proposal(anonymous=True)
    cast = vote(access_of(bob), proposal, "against", reason="Pas maintenant")
    assert cast.receipt
    (ballot,) = stored(Ballot, proposal=proposal)
    assert ballot.elector_id is None
    assert ballot.receipt_digest and cast.receipt not in ballot.receipt_digest
    # No timestamp, no sequence: nothing on the ballot row orders it against participations.
    field_names = {f.name for f in Ballot._meta.get_fields()}
    assert not {"voted_at", "created_at", "cast_at", "updated_at"} & field_names
    assert Ballot._meta.pk.get_internal_type() == "UUIDField"
    (participation,) = stored(Participation, proposal=proposal)
    assert participation.elector.user_id == bob.pk


def test_a_secret_ballot_is_changed_with_its_receipt_only(bob, alice, access_of, make_proposal):
    proposal = make_proposal(anonymous=True)
    bobs = vote(access_of(bob), proposal, "against")
    alices = vote(access_of(alice), proposal, "for")
    with pytest.raises(ValidationError) as exc:
        vote(access_of(bob), proposal, "for")
    assert "receipt" in exc.value.message_dict
    with pytest.raises(ValidationError):
        vote(access_of(bob), proposal, "for", receipt="not-a-receipt")
    vote(access_of(bob), proposal, "abstain", receipt=bobs.receipt)
    assert sorted(b.choice for b in stored(Ballot, proposal=proposal)) == ["abstain", "for"]
    assert alices.receipt != bobs.receipt


def test_a_secret_ballot_cannot_be_changed_when_the_rules_say_so(bob, access_of, make_proposal):
    proposal = make_proposal(anonymous=True, allow_vote_change=False)
    cast = vote(access_of(bob), proposal, "for")
    with pytest.raises(ValidationError):
        vote(access_of(bob), proposal, "against", receipt=cast.receipt)


# Closing -----------------------------------------------------------------------------------


def test_closing_records_the_decision_with_the_tally(alice, berenice, bob, access_of, make_proposal):
    proposal = make_proposal(quorum_percent=50)
    vote(access_of(bob), proposal, "for")
    vote(access_of(berenice), proposal, "abstain")
    decision = close(proposal, access=access_of(alice))
    assert (decision.electorate_size, decision.participants, decision.expressed) == (3, 2, 1)
    assert decision.quorum_met is True
    assert decision.outcome == "adopted"
    assert decision.tally["counts"] == {"for": 1, "against": 0, "abstain": 1, "block": 0}
    assert decision.sequence == 1 and decision.previous_hash == GENESIS_HASH
    assert decision.closed_by_name == alice.display_name
    with scopes_disabled():
        assert Proposal.objects.get(pk=proposal.pk).status == Status.CLOSED


def test_closing_twice_records_one_decision(alice, access_of, make_proposal):
    proposal = make_proposal()
    assert close(proposal, access=access_of(alice)) is not None
    assert close(proposal, access=access_of(alice)) is None
    assert close(proposal) is None
    assert len(stored(Decision)) == 1


def test_the_schedule_closes_only_after_the_deadline(make_proposal):
    proposal = make_proposal(closes_at=timezone.now() + timedelta(hours=1))
    assert close(proposal) is None
    with time_machine.travel(timezone.now() + timedelta(hours=1, seconds=1)):
        assert close(proposal).outcome == "rejected"


def test_a_member_cannot_close_early(bob, access_of, make_proposal):
    proposal = make_proposal()
    with pytest.raises(PermissionDenied):
        close(proposal, access=access_of(bob))
    assert stored(Decision) == []


def test_a_withdrawn_proposal_records_no_decision(alice, bob, access_of, make_proposal):
    proposal = make_proposal()
    vote(access_of(bob), proposal, "for")
    with association_scope(proposal.association_id):
        services.withdraw_proposal(access=access_of(alice), proposal=proposal)
    assert close(proposal, access=access_of(alice)) is None
    assert stored(Decision) == []
    with pytest.raises(ValidationError):
        vote(access_of(bob), proposal, "against")


def test_no_quorum_is_recorded_as_such(alice, berenice, bob, access_of, make_proposal):
    proposal = make_proposal(quorum_percent=50)
    vote(access_of(alice), proposal, "for")
    assert close(proposal, access=access_of(alice)).outcome == "no_quorum"


def test_the_winning_option_is_recorded(alice, berenice, bob, access_of, make_proposal):
    proposal = make_proposal(method=Method.SINGLE)
    with association_scope(proposal.association_id):
        a, b, _c = list(proposal.options.all())
    for user, option in ((alice, a), (berenice, b), (bob, b)):
        vote(access_of(user), proposal, "options", options=[str(option.code)])
    decision = close(proposal, access=access_of(alice))
    assert decision.outcome == "adopted"
    assert decision.winning_option == b
    assert decision.tally["options"][str(b.code)] == 2


# The register: chain and integrity -----------------------------------------------------------


def test_decisions_chain_per_association(association, alice, access_of, make_proposal):
    first = close(make_proposal(title="Un"), access=access_of(alice))
    second = close(make_proposal(title="Deux"), access=access_of(alice))
    assert (first.sequence, second.sequence) == (1, 2)
    assert second.previous_hash == first.hash
    with association_scope(association):
        result = verify_register(association)
    assert result.ok and result.checked == 2 and result.latest_hash == second.hash


def test_each_association_has_its_own_chain(other_association, charlie, access_of, make_proposal, alice):
    close(make_proposal(), access=access_of(alice))
    with association_scope(other_association):
        other_access = access_of(charlie, other_association)
        # charlie is a member of B only; make B's admin for the test.
        with scopes_disabled():
            charlie.memberships.update(role=Role.ADMIN)
        other_access = access_of(charlie, other_association)
        draft = services.create_proposal(access=other_access, title="Tournoi", electorate="members", quorum_percent=0)
        proposal = services.open_proposal(access=other_access, proposal=draft)
        decision = services.close_proposal(proposal_id=proposal.pk, access=other_access)
    assert decision.sequence == 1 and decision.previous_hash == GENESIS_HASH


def test_closed_rows_cannot_be_changed_through_the_orm(alice, bob, access_of, make_proposal):
    proposal = make_proposal()
    vote(access_of(bob), proposal, "for")
    decision = close(proposal, access=access_of(alice))
    with scopes_disabled():
        ballot = Ballot.objects.get(proposal=proposal)
        ballot.choice = "against"
        with pytest.raises(FrozenError):
            ballot.save()
        with pytest.raises(FrozenError):
            ballot.delete()
        with pytest.raises(FrozenError):
            Ballot.objects.filter(proposal=proposal).update(choice="against")
        with pytest.raises(FrozenError):
            Participation.objects.filter(proposal=proposal).delete()
        closed = Proposal.objects.get(pk=proposal.pk)
        closed.title = "Autre chose"
        with pytest.raises(FrozenError):
            closed.save()
        with pytest.raises(FrozenError):
            Proposal.objects.filter(pk=proposal.pk).update(title="Autre chose")
        stored_decision = Decision.objects.get(pk=decision.pk)
        stored_decision.outcome = "rejected"
        with pytest.raises(FrozenError):
            stored_decision.save()
        with pytest.raises(FrozenError):
            stored_decision.delete()
        with pytest.raises(FrozenError):
            Decision.objects.filter(pk=decision.pk).update(outcome="rejected")
        with pytest.raises(FrozenError):
            Decision.objects.all().delete()
        assert Ballot.objects.get(proposal=proposal).choice == "for"


def test_the_statement_is_written_once_and_stays_outside_the_hash(
    association, alice, berenice, access_of, make_proposal
):
    decision = close(make_proposal(), access=access_of(alice))
    with association_scope(association):
        written = services.record_statement(
            access=access_of(berenice), decision=decision, statement="Le bureau mettra en œuvre."
        )
        assert written.statement_author == berenice.display_name
        with pytest.raises(ValidationError):
            services.record_statement(access=access_of(alice), decision=decision, statement="Autre texte")
        assert verify_register(association).ok


def test_a_member_cannot_write_the_statement(association, alice, bob, access_of, make_proposal):
    decision = close(make_proposal(), access=access_of(alice))
    with association_scope(association), pytest.raises(PermissionDenied):
        services.record_statement(access=access_of(bob), decision=decision, statement="Moi aussi")


# Comments --------------------------------------------------------------------------------


def test_comments_run_from_the_draft_until_the_close(association, alice, bob, access_of, make_proposal):
    draft = make_proposal(open=False)
    with association_scope(association):
        services.add_comment(access=access_of(bob), proposal=draft, body="Et le coût ?")
    proposal = make_proposal()
    close(proposal, access=access_of(alice))
    with association_scope(association), pytest.raises(ValidationError):
        services.add_comment(access=access_of(bob), proposal=proposal, body="Trop tard")


def test_a_conseiller_cannot_comment(association, conseiller, access_of, make_proposal):
    proposal = make_proposal()
    with association_scope(association), pytest.raises(PermissionDenied):
        services.add_comment(access=access_of(conseiller), proposal=proposal, body="Avis")


# Reminders -------------------------------------------------------------------------------


def test_the_reminder_goes_once_to_electors_who_have_not_voted(
    association, alice, berenice, bob, access_of, make_proposal
):
    proposal = make_proposal(closes_at=timezone.now() + timedelta(hours=30))
    vote(access_of(bob), proposal, "for")
    with association_scope(association):
        assert services.send_closing_reminder(proposal_id=proposal.pk) == 0  # not yet within 24 h
        with time_machine.travel(timezone.now() + timedelta(hours=7)):
            assert services.send_closing_reminder(proposal_id=proposal.pk) == 2
            assert services.send_closing_reminder(proposal_id=proposal.pk) == 0
        (event,) = Event.objects.filter(kind="proposal.closing_soon")
    assert sorted(event.recipient_ids) == sorted([alice.pk, berenice.pk])


# Effects on the stack ----------------------------------------------------------------------


def test_an_adopted_tool_joins_the_stack_with_the_decision_in_its_history(
    association, alice, access_of, tools, make_proposal
):
    proposal = make_proposal(kind=ProposalKind.ADOPT, options=[OptionSpec("Nextcloud", tool=tools["Nextcloud"])])
    vote(access_of(alice), proposal, "for")
    decision = close(proposal, access=access_of(alice))
    assert [(s["from"], s["to"]) for s in decision.effect] == [("", "considered"), ("considered", "adopted")]
    with association_scope(association):
        usage = ToolUsage.objects.get(tool=tools["Nextcloud"])
        assert usage.stage == Stage.ADOPTED
        assert ToolUsageChange.objects.filter(usage=usage, decision_code=decision.code).count() == 1


def test_a_replacement_adopts_the_new_tool_and_retires_the_old_one(
    association, alice, berenice, access_of, tools, make_proposal
):
    with association_scope(association):
        ToolUsage.objects.create(association=association, tool=tools["Google Drive"], stage=Stage.ADOPTED)
        ToolUsage.objects.create(association=association, tool=tools["Nextcloud"], stage=Stage.TRIAL)
    proposal = make_proposal(
        kind=ProposalKind.REPLACE,
        method=Method.SINGLE,
        current_tool=tools["Google Drive"],
        options=[OptionSpec("Nextcloud", tool=tools["Nextcloud"]), OptionSpec("Rester", tool=None)],
    )
    with association_scope(association):
        nextcloud = proposal.options.get(label="Nextcloud")
    vote(access_of(alice), proposal, "options", options=[str(nextcloud.code)])
    vote(access_of(berenice), proposal, "options", options=[str(nextcloud.code)])
    decision = close(proposal, access=access_of(alice))
    with association_scope(association):
        stages = dict(ToolUsage.objects.values_list("tool__name", "stage"))
        assert verify_register(association).ok
    assert stages == {"Google Drive": Stage.RETIRING, "Nextcloud": Stage.ADOPTED}
    assert len(decision.effect) == 2


def test_a_replacement_won_by_keeping_the_current_tool_changes_nothing(
    association, alice, access_of, tools, make_proposal
):
    with association_scope(association):
        ToolUsage.objects.create(association=association, tool=tools["Google Drive"], stage=Stage.ADOPTED)
    proposal = make_proposal(
        kind=ProposalKind.REPLACE,
        method=Method.SINGLE,
        current_tool=tools["Google Drive"],
        options=[OptionSpec("Nextcloud", tool=tools["Nextcloud"]), OptionSpec("Garder Google Drive")],
    )
    with association_scope(association):
        keep = proposal.options.get(tool__isnull=True)
    vote(access_of(alice), proposal, "options", options=[str(keep.code)])
    decision = close(proposal, access=access_of(alice))
    assert decision.outcome == "adopted" and decision.effect == []
    with association_scope(association):
        assert dict(ToolUsage.objects.values_list("tool__name", "stage")) == {"Google Drive": Stage.ADOPTED}


def test_a_retirement_moves_an_adopted_tool_to_being_retired(association, alice, access_of, tools, make_proposal):
    with association_scope(association):
        ToolUsage.objects.create(association=association, tool=tools["Doodle"], stage=Stage.ADOPTED)
    proposal = make_proposal(kind=ProposalKind.RETIRE, current_tool=tools["Doodle"])
    vote(access_of(alice), proposal, "for")
    decision = close(proposal, access=access_of(alice))
    with association_scope(association):
        usage = ToolUsage.objects.get(tool=tools["Doodle"])
        assert usage.stage == Stage.RETIRING
        assert usage.changes.get(decision_code=decision.code).to_stage == Stage.RETIRING


def test_a_rejected_tool_proposal_changes_nothing(association, alice, access_of, tools, make_proposal):
    proposal = make_proposal(kind=ProposalKind.ADOPT, options=[OptionSpec("Doodle", tool=tools["Doodle"])])
    vote(access_of(alice), proposal, "against")
    decision = close(proposal, access=access_of(alice))
    assert decision.effect == []
    with association_scope(association):
        assert not ToolUsage.objects.exists()


def test_the_electorate_is_kept_when_a_member_is_deleted(association, alice, access_of, make_proposal):
    extra = UserFactory(email="ephemere@exemple.fr", display_name="Éphémère")
    MembershipFactory(association=association, user=extra, role=Role.MEMBER)
    proposal = make_proposal()
    vote(access_of(extra), proposal, "for")
    close(proposal, access=access_of(alice))
    extra.delete()
    with association_scope(association):
        assert Elector.objects.filter(proposal=proposal, display_name="Éphémère").exists()
        assert verify_register(association).ok
