"""Counting a vote: pure arithmetic on ballots and rules. No database, no clock, no floats.

The rules, each pinned by a row of `tests/governance/test_tally.py`:

- **Participants** are the electors who cast a ballot, abstentions included. The **quorum** is
  met when `participants × 100 ≥ quorum_percent × electorate` (a 0 % quorum is always met).
  Without quorum the outcome is `no_quorum`, whatever the ballots say.
- **Expressed** ballots are the ballots that are not abstentions. Majorities are computed on
  them: abstaining counts for the quorum, never for or against.
- **Consent** (for / against / abstain / blocking objection): the support is the "for" ballots;
  "against" and blocking objections are expressed against. A blocking objection always rejects
  the proposal (that is what makes it blocking), whatever the threshold.
- **Single choice** and **approval**: the candidate is the option with the most votes (approval:
  the most approvals); a tie at the top rejects the proposal (nothing is chosen by lot). The
  candidate's support is its number of votes, compared with the number of expressed ballots.
- **Thresholds** on `support` out of `expressed` (zero expressed ballots always reject):
  simple majority `support × 2 > expressed` (a tie rejects), two thirds
  `support × 3 ≥ expressed × 2`, unanimity `support == expressed`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

# These values are the stored choices of governance.models (checked by a test).
CONSENT, SINGLE, APPROVAL = "consent", "single", "approval"
SIMPLE, TWO_THIRDS, UNANIMITY = "simple", "two_thirds", "unanimity"
FOR, AGAINST, ABSTAIN, BLOCK, OPTIONS = "for", "against", "abstain", "block", "options"
ADOPTED, REJECTED, NO_QUORUM = "adopted", "rejected", "no_quorum"

CONSENT_CHOICES = (FOR, AGAINST, ABSTAIN, BLOCK)


@dataclass(frozen=True)
class Rules:
    method: str
    threshold: str
    quorum_percent: int
    electorate: int


@dataclass(frozen=True)
class BallotContent:
    """What one ballot says: a consent answer, or `options` with the option codes chosen, or `abstain`."""

    choice: str
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class Result:
    electorate: int
    participants: int
    expressed: int
    quorum_met: bool
    outcome: str
    winner: str | None = None
    counts: dict[str, int] = field(default_factory=dict)  # for / against / abstain / block
    option_counts: dict[str, int] = field(default_factory=dict)  # option code → votes or approvals

    def as_json(self) -> dict[str, object]:
        """The stored form (`Decision.tally`): ints and strings only, so it hashes canonically."""
        return {"counts": dict(self.counts), "options": dict(self.option_counts)}


def quorum_met(*, participants: int, electorate: int, quorum_percent: int) -> bool:
    return participants * 100 >= quorum_percent * electorate


def meets_threshold(*, support: int, expressed: int, threshold: str) -> bool:
    if expressed <= 0 or support <= 0:
        return False
    if threshold == SIMPLE:
        return support * 2 > expressed
    if threshold == TWO_THIRDS:
        return support * 3 >= expressed * 2
    if threshold == UNANIMITY:
        return support == expressed
    raise ValueError(f"Unknown threshold {threshold!r}")


def count(rules: Rules, ballots: Iterable[BallotContent], option_codes: Sequence[str]) -> Result:
    """Count the ballots of one proposal under its rules. Ballots naming unknown options raise ValueError."""
    ballots = list(ballots)
    counts = Counter({choice: 0 for choice in CONSENT_CHOICES})
    option_counts = Counter({code: 0 for code in option_codes})
    for ballot in ballots:
        if ballot.choice == OPTIONS:
            unknown = set(ballot.options) - set(option_codes)
            if unknown or not ballot.options or len(set(ballot.options)) != len(ballot.options):
                raise ValueError(f"Ballot names unknown or repeated options: {ballot.options!r}")
            if rules.method == SINGLE and len(ballot.options) != 1:
                raise ValueError("A single-choice ballot names exactly one option.")
            option_counts.update(ballot.options)
        elif ballot.choice in CONSENT_CHOICES:
            if rules.method != CONSENT and ballot.choice != ABSTAIN:
                raise ValueError(f"{ballot.choice!r} is not an answer of a {rules.method} vote.")
            counts[ballot.choice] += 1
        else:
            raise ValueError(f"Unknown ballot choice {ballot.choice!r}")

    participants = len(ballots)
    expressed = participants - counts[ABSTAIN]
    met = quorum_met(participants=participants, electorate=rules.electorate, quorum_percent=rules.quorum_percent)
    winner: str | None = None
    if rules.method == CONSENT:
        adopted = counts[BLOCK] == 0 and meets_threshold(
            support=counts[FOR], expressed=expressed, threshold=rules.threshold
        )
        if len(option_codes) == 1:
            winner = option_codes[0]
    elif rules.method in (SINGLE, APPROVAL):
        ranked = sorted(option_counts.values(), reverse=True)
        top = ranked[0] if ranked else 0
        unique_top = len(ranked) == 1 or (len(ranked) > 1 and ranked[1] < top)
        adopted = unique_top and meets_threshold(support=top, expressed=expressed, threshold=rules.threshold)
        if unique_top and top > 0:
            winner = next(code for code in option_codes if option_counts[code] == top)
    else:
        raise ValueError(f"Unknown method {rules.method!r}")

    if not met:
        outcome = NO_QUORUM
    elif adopted:
        outcome = ADOPTED
    else:
        outcome = REJECTED
    return Result(
        electorate=rules.electorate,
        participants=participants,
        expressed=expressed,
        quorum_met=met,
        outcome=outcome,
        winner=winner if outcome == ADOPTED else None,
        counts=dict(counts),
        option_counts=dict(option_counts),
    )
