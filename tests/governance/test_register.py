"""The tamper-evident register: canonical hashing, verification naming the first broken row, the
`verify_decisions` command, and (on PostgreSQL) the triggers that refuse edits from any client."""

import uuid
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import translation
from django_scopes import scopes_disabled

from governance import services
from governance.models import Ballot, Decision
from governance.register import canonical_json, verify_register
from governance.services import OptionSpec
from hub.tenancy import association_scope


def vote(access, proposal, choice, **kwargs):
    with association_scope(proposal.association_id):
        return services.cast_vote(access=access, proposal=proposal, choice=choice, **kwargs)


def close(proposal, access):
    with association_scope(proposal.association_id):
        return services.close_proposal(proposal_id=proposal.pk, access=access)


def raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def tamper(sql, params=()):
    """Write as someone with direct database access who gets past the triggers."""
    if connection.vendor == "postgresql":
        raw("SET LOCAL asso_hub.allow_purge = 'on'")
    raw(sql, params)


def verify(association):
    with association_scope(association), translation.override("en"):
        return verify_register(association)


@pytest.fixture
def register(association, alice, berenice, bob, access_of, make_proposal):
    """Three decisions in A's register; bob's named "for" vote is in the second."""
    decisions = []
    for title in ("Un", "Deux", "Trois"):
        proposal = make_proposal(title=title, options=[OptionSpec(f"Motion {title}")])
        vote(access_of(bob), proposal, "for")
        vote(access_of(alice), proposal, "against")
        decisions.append(close(proposal, access_of(alice)))
    return decisions


# Canonical JSON -----------------------------------------------------------------------------


def test_canonical_json_sorts_keys_and_has_no_whitespace():
    assert canonical_json({"b": 1, "a": [True, None, "é"]}) == '{"a":[true,null,"é"],"b":1}'.encode()


def test_canonical_json_refuses_floats():
    with pytest.raises(TypeError):
        canonical_json({"turnout": 0.5})


def test_canonical_json_writes_datetimes_in_utc_and_uuids_as_text():
    code = uuid.UUID("12345678-1234-5678-1234-567812345678")
    when = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert canonical_json([when, code]) == b'["2026-03-01T12:00:00.000000Z","12345678-1234-5678-1234-567812345678"]'


# Verification ----------------------------------------------------------------------------


def test_an_untouched_register_verifies(association, register):
    result = verify(association)
    assert result.ok
    assert result.checked == 3
    assert result.latest_hash == register[-1].hash


def test_an_empty_register_verifies(association):
    assert verify(association).ok


def test_editing_a_stored_vote_breaks_the_register_at_its_decision(association, register):
    second = register[1]
    with scopes_disabled():
        ballot = Ballot.objects.get(proposal_id=second.proposal_id, choice="for")
    tamper("UPDATE governance_ballot SET choice = 'against' WHERE id = %s", [ballot.pk.hex])
    result = verify(association)
    assert not result.ok
    assert result.broken_sequence == 2
    assert result.broken_code == second.code
    assert result.broken_title == "Deux"


def test_editing_a_stored_decision_breaks_the_register_at_that_decision(association, register):
    tamper("UPDATE governance_decision SET outcome = 'adopted' WHERE id = %s", [register[0].pk])
    result = verify(association)
    assert (result.ok, result.broken_sequence) == (False, 1)


def test_editing_a_closed_proposals_rules_breaks_the_register(association, register):
    tamper("UPDATE governance_proposal SET quorum_percent = 90 WHERE id = %s", [register[2].proposal_id])
    assert verify(association).broken_sequence == 3


def test_removing_a_decision_breaks_the_register_at_the_gap(association, register):
    tamper("DELETE FROM governance_decision WHERE id = %s", [register[1].pk])
    result = verify(association)
    assert not result.ok
    assert result.broken_sequence == 3
    assert "missing" in result.reason


def test_rehashing_a_forged_decision_still_breaks_the_chain_after_it(association, register):
    # A forger who recomputes one decision's hash must also rewrite every later one.
    tamper("UPDATE governance_decision SET hash = %s WHERE id = %s", ["f" * 64, register[0].pk])
    result = verify(association)
    assert result.broken_sequence == 1


def test_the_statement_is_outside_the_hash(association, register, berenice, access_of):
    with association_scope(association):
        services.record_statement(access=access_of(berenice), decision=register[0], statement="Mis en œuvre.")
    assert verify(association).ok


# The command -------------------------------------------------------------------------------


def test_verify_decisions_reports_every_register(association, register, capsys):
    call_command("verify_decisions")
    out = capsys.readouterr().out
    assert f"amis-du-velo: OK, 3 decision(s), latest hash {register[-1].hash}" in out


def test_verify_decisions_fails_and_names_the_broken_row(association, register, capsys):
    tamper("UPDATE governance_decision SET participants = 7 WHERE id = %s", [register[1].pk])
    with pytest.raises(CommandError) as exc:
        call_command("verify_decisions", "--association", "amis-du-velo")
    assert exc.value.returncode == 1
    err = capsys.readouterr().err
    assert "BROKEN at decision #2" in err
    assert str(register[1].code) in err
    assert "Deux" in err


def test_verify_decisions_refuses_an_unknown_association(db):
    with pytest.raises(CommandError):
        call_command("verify_decisions", "--association", "inconnue")


# PostgreSQL triggers -------------------------------------------------------------------------


def refused(sql, params=()):
    with pytest.raises(DatabaseError), transaction.atomic():
        raw(sql, params)
    return True


@pytest.mark.postgres
def test_the_database_refuses_to_edit_or_delete_a_decision(register):
    decision = register[0]
    assert refused("UPDATE governance_decision SET outcome = 'adopted' WHERE id = %s", [decision.pk])
    assert refused("DELETE FROM governance_decision WHERE id = %s", [decision.pk])
    assert refused("UPDATE governance_decision SET statement = 'x', outcome = 'adopted' WHERE id = %s", [decision.pk])
    with scopes_disabled():
        assert Decision.objects.get(pk=decision.pk).outcome == decision.outcome


@pytest.mark.postgres
def test_the_database_lets_the_statement_be_written_once(register):
    decision = register[0]
    raw("UPDATE governance_decision SET statement = 'Fait.' WHERE id = %s", [decision.pk])
    assert refused("UPDATE governance_decision SET statement = 'Autre.' WHERE id = %s", [decision.pk])


@pytest.mark.postgres
def test_the_database_refuses_to_touch_the_votes_of_a_closed_proposal(register):
    proposal_id = register[0].proposal_id
    assert refused("UPDATE governance_ballot SET choice = 'against' WHERE proposal_id = %s", [proposal_id])
    assert refused("DELETE FROM governance_ballot WHERE proposal_id = %s", [proposal_id])
    assert refused("DELETE FROM governance_participation WHERE proposal_id = %s", [proposal_id])
    assert refused("UPDATE governance_option SET label = 'x' WHERE proposal_id = %s", [proposal_id])
    assert refused("UPDATE governance_proposal SET title = 'x' WHERE id = %s", [proposal_id])
    assert refused("DELETE FROM governance_proposal WHERE id = %s", [proposal_id])
    assert refused(
        "INSERT INTO governance_ballot (id, association_id, proposal_id, choice, options, reason, receipt_digest)"
        " SELECT %s, association_id, id, 'for', '[]', '', 'x' FROM governance_proposal WHERE id = %s",
        [uuid.uuid4().hex, proposal_id],
    )


@pytest.mark.postgres
def test_the_database_lets_open_votes_change(bob, access_of, make_proposal):
    proposal = make_proposal()
    vote(access_of(bob), proposal, "for")
    raw("UPDATE governance_ballot SET choice = 'against' WHERE proposal_id = %s", [proposal.pk])
