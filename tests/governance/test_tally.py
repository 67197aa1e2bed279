"""The counting rules as a table (governance/tally.py): quorum, thresholds, ties, abstentions,
blocking objections, zero votes."""

import pytest

from governance import models, tally
from governance.tally import ABSTAIN, AGAINST, BLOCK, FOR, BallotContent, Rules, count
from hub.models import Threshold


def consent(*choices):
    return [BallotContent(choice) for choice in choices]


def picks(*codes):
    return [BallotContent("abstain") if c == "-" else BallotContent("options", tuple(c)) for c in codes]


CONSENT_CASES = [
    # (threshold, quorum %, electorate, ballots, outcome)
    ("simple", 0, 3, consent(FOR, FOR, AGAINST), "adopted"),
    ("simple", 0, 4, consent(FOR, FOR, AGAINST, AGAINST), "rejected"),  # a tie rejects
    ("simple", 0, 3, consent(FOR, ABSTAIN, ABSTAIN), "adopted"),  # abstentions are not against
    ("simple", 0, 3, consent(ABSTAIN, ABSTAIN, ABSTAIN), "rejected"),  # nobody for
    ("simple", 0, 3, [], "rejected"),  # zero votes, no quorum asked
    ("simple", 50, 4, [], "no_quorum"),  # zero votes
    ("simple", 50, 4, consent(FOR), "no_quorum"),  # 1 of 4 < 50 %
    ("simple", 50, 4, consent(FOR, ABSTAIN), "adopted"),  # abstaining counts for the quorum
    ("simple", 100, 2, consent(FOR, FOR), "adopted"),
    ("simple", 0, 5, consent(FOR, FOR, FOR, BLOCK), "rejected"),  # a blocking objection blocks
    ("two_thirds", 0, 3, consent(FOR, FOR, AGAINST), "adopted"),  # exactly two thirds
    ("two_thirds", 0, 5, consent(FOR, FOR, FOR, AGAINST, AGAINST), "rejected"),  # 60 %
    ("two_thirds", 0, 4, consent(FOR, FOR, AGAINST, ABSTAIN), "adopted"),  # 2 of 3 expressed
    ("unanimity", 0, 3, consent(FOR, FOR, FOR), "adopted"),
    ("unanimity", 0, 3, consent(FOR, FOR, ABSTAIN), "adopted"),  # abstaining does not break it
    ("unanimity", 0, 3, consent(FOR, FOR, AGAINST), "rejected"),
    ("unanimity", 0, 3, consent(FOR, FOR, BLOCK), "rejected"),
    ("unanimity", 0, 2, consent(ABSTAIN, ABSTAIN), "rejected"),
]


@pytest.mark.parametrize(("threshold", "quorum", "electorate", "ballots", "outcome"), CONSENT_CASES)
def test_consent_vote(threshold, quorum, electorate, ballots, outcome):
    result = count(Rules("consent", threshold, quorum, electorate), ballots, [])
    assert result.outcome == outcome
    assert result.participants == len(ballots)
    assert result.expressed == sum(1 for b in ballots if b.choice != ABSTAIN)


OPTION_CASES = [
    # (method, threshold, ballots as option letters ("-" abstains), outcome, winner)
    ("single", "simple", picks("a", "a", "b"), "adopted", "a"),
    ("single", "simple", picks("a", "a", "b", "b"), "rejected", None),  # tie at the top
    ("single", "simple", picks("a", "a", "b", "c"), "rejected", None),  # 50 % is not more than half
    ("single", "simple", picks("a", "a", "b", "-"), "adopted", "a"),  # abstention not expressed
    ("single", "simple", picks("-", "-"), "rejected", None),  # all abstain
    ("single", "simple", [], "rejected", None),  # zero votes
    ("single", "two_thirds", picks("a", "a", "b"), "adopted", "a"),
    ("single", "two_thirds", picks("a", "a", "b", "c"), "rejected", None),
    ("single", "unanimity", picks("a", "a", "-"), "adopted", "a"),
    ("single", "unanimity", picks("a", "a", "b"), "rejected", None),
    ("approval", "simple", picks("ab", "a", "bc"), "rejected", None),  # a and b tie at 2
    ("approval", "simple", picks("ab", "a", "c"), "adopted", "a"),  # a: 2 of 3
    ("approval", "simple", picks("a", "b", "c", "ab"), "rejected", None),  # a, b tie
    ("approval", "simple", picks("a", "b", "c", "a"), "rejected", None),  # a: 2 of 4, not more than half
    ("approval", "two_thirds", picks("ab", "a", "ac"), "adopted", "a"),
    ("approval", "unanimity", picks("ab", "a", "ac", "-"), "adopted", "a"),
    ("approval", "unanimity", picks("ab", "a", "c"), "rejected", None),
]


@pytest.mark.parametrize(("method", "threshold", "ballots", "outcome", "winner"), OPTION_CASES)
def test_option_vote(method, threshold, ballots, outcome, winner):
    result = count(Rules(method, threshold, 0, 10), ballots, ["a", "b", "c"])
    assert result.outcome == outcome
    assert result.winner == winner


def test_an_approval_tie_at_the_top_rejects():
    result = count(Rules("approval", "simple", 0, 10), picks("ab", "a", "bc"), ["a", "b", "c"])
    assert result.option_counts == {"a": 2, "b": 2, "c": 1}
    assert result.outcome == "rejected"
    assert result.winner is None


def test_option_counts_count_approvals_and_votes():
    result = count(Rules("approval", "simple", 0, 10), picks("ab", "a", "-"), ["a", "b", "c"])
    assert result.option_counts == {"a": 2, "b": 1, "c": 0}
    assert result.counts["abstain"] == 1
    assert result.as_json() == {
        "counts": {"for": 0, "against": 0, "abstain": 1, "block": 0},
        "options": {"a": 2, "b": 1, "c": 0},
    }


@pytest.mark.parametrize(
    ("participants", "electorate", "quorum", "met"),
    [
        (0, 0, 0, True),
        (0, 10, 0, True),
        (0, 10, 1, False),
        (1, 10, 10, True),
        (1, 10, 11, False),
        (5, 10, 50, True),
        (4, 10, 50, False),
        (2, 3, 67, False),
        (2, 3, 66, True),
        (10, 10, 100, True),
    ],
)
def test_quorum_is_integer_arithmetic(participants, electorate, quorum, met):
    assert tally.quorum_met(participants=participants, electorate=electorate, quorum_percent=quorum) is met


def test_quorum_failure_wins_over_a_clear_majority():
    result = count(Rules("consent", "simple", 60, 10), consent(FOR, FOR, FOR), [])
    assert result.quorum_met is False
    assert result.outcome == "no_quorum"


@pytest.mark.parametrize(
    "ballots",
    [picks("d"), picks("aa"), [BallotContent("options", ())], consent(FOR)],
    ids=["unknown option", "repeated option", "empty choice", "consent answer in an option vote"],
)
def test_malformed_ballots_are_refused(ballots):
    with pytest.raises(ValueError):
        count(Rules("approval", "simple", 0, 10), ballots, ["a", "b", "c"])


def test_a_single_choice_ballot_names_one_option():
    with pytest.raises(ValueError):
        count(Rules("single", "simple", 0, 10), picks("ab"), ["a", "b"])


def test_the_tally_constants_are_the_stored_choices():
    assert set(models.Method.values) == {tally.CONSENT, tally.SINGLE, tally.APPROVAL}
    assert set(models.Outcome.values) == {tally.ADOPTED, tally.REJECTED, tally.NO_QUORUM}
    assert set(Threshold.values) == {tally.SIMPLE, tally.TWO_THIRDS, tally.UNANIMITY}
    assert set(models.Choice.values) == {*tally.CONSENT_CHOICES, tally.OPTIONS}
