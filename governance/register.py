"""The decision register's hash chain: canonical content, hashing and verification.

A decision's hash is `sha256(canonical_json(content))`, where the content holds the proposal's
rules and options, the electorate snapshot, who took part, every ballot, the result, the effect
on the stack, and the previous decision's hash. Canonical JSON: keys sorted, no insignificant
whitespace, UTF-8, and only strings, integers, booleans and null — a float raises, because its
text form is not stable across languages and libraries; datetimes are written in UTC with
microseconds; identifiers are the rows' UUID codes, never database ids.

The statement written after the close is deliberately outside the hash (see `Decision`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from . import tally
from .models import (
    GENESIS_HASH,
    Ballot,
    Decision,
    Elector,
    Option,
    Participation,
    Proposal,
    decisions_in,
    name_commitment,
)

if TYPE_CHECKING:
    from hub.models import Association

# Version 2 hashes salted digests of the electors' and the closer's names instead of the names
# (see `Elector.name_salt`); version 1 decisions, recorded before, are verified as they were.
CONTENT_VERSION = 2


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        raise TypeError("Canonical JSON has no floats: store integers or strings.")
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise TypeError("Canonical JSON needs aware datetimes.")
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise TypeError("Canonical JSON object keys are strings.")
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    raise TypeError(f"Not canonical JSON: {type(value).__name__}")


def canonical_json(value: Any) -> bytes:
    return json.dumps(_plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode(
        "utf-8"
    )


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _code(obj: Any) -> str | None:
    return str(obj.code) if obj is not None else None


def decision_content(
    *,
    decision: Decision,
    proposal: Proposal,
    options: Sequence[Option],
    electors: Iterable[Elector],
    participations: Iterable[Participation],
    ballots: Iterable[Ballot],
) -> dict[str, Any]:
    """The content a decision's hash covers. Reads `proposal.current_tool` and `option.tool`."""
    version = decision.content_version
    elector_codes = {}
    elector_rows = []
    for elector in electors:
        elector_codes[elector.pk] = str(elector.code)
        name = elector.name_digest if version >= 2 else elector.display_name
        elector_rows.append({"code": str(elector.code), "name": name, "role": elector.role})
    option_codes = {option.pk: str(option.code) for option in options}
    ballot_rows = []
    for ballot in ballots:
        row: dict[str, Any] = {"choice": ballot.choice, "options": sorted(ballot.options), "reason": ballot.reason}
        if ballot.elector_id is not None:
            row["elector"] = elector_codes.get(ballot.elector_id, f"unknown:{ballot.elector_id}")
        else:
            row["ballot"] = str(ballot.pk)
            row["receipt"] = ballot.receipt_digest
        ballot_rows.append(row)
    ballot_rows.sort(key=lambda row: (row.get("elector") or "", row.get("ballot") or ""))
    return {
        "version": version,
        "association": str(proposal.association.code),
        "decision": {
            "code": str(decision.code),
            "sequence": decision.sequence,
            "previous_hash": decision.previous_hash,
            "recorded_at": decision.recorded_at,
            "closed_by": decision.closed_by_digest if version >= 2 else decision.closed_by_name,
            "electorate_size": decision.electorate_size,
            "participants": decision.participants,
            "expressed": decision.expressed,
            "quorum_met": decision.quorum_met,
            "outcome": decision.outcome,
            "winning_option": option_codes.get(decision.winning_option_id) if decision.winning_option_id else None,
            "tally": decision.tally,
            "effect": decision.effect,
        },
        "proposal": {
            "code": str(proposal.code),
            "kind": proposal.kind,
            "title": proposal.title,
            "body": proposal.body,
            "current_tool": _code(proposal.current_tool),
            "criteria": list(proposal.criteria or []),
            "method": proposal.method,
            "electorate": proposal.electorate,
            "quorum_percent": proposal.quorum_percent,
            "threshold": proposal.threshold,
            "anonymous": proposal.anonymous,
            "results_hidden": proposal.results_hidden,
            "allow_vote_change": proposal.allow_vote_change,
            "reason_required": proposal.reason_required,
            "opens_at": proposal.opens_at,
            "closes_at": proposal.closes_at,
            "opened_at": proposal.opened_at,
            "closed_at": proposal.closed_at,
            "status": proposal.status,
        },
        "options": [
            {
                "code": str(option.code),
                "position": option.position,
                "label": option.label,
                "description": option.description,
                "tool": _code(option.tool),
                "assessments": option.assessments or {},
            }
            for option in options
        ],
        "electors": sorted(elector_rows, key=lambda row: row["code"]),
        "participants": sorted(elector_codes.get(p.elector_id, f"unknown:{p.elector_id}") for p in participations),
        "ballots": ballot_rows,
    }


def _name_holds(name: str, salt: str, digest: str) -> bool:
    # A name is either still there and matching its digest, or erased with its salt (account
    # deleted): an erased name cannot be replaced by another one without breaking this.
    if not salt:
        return name == ""
    return name_commitment(salt, name) == digest


def names_match_digests(decision: Decision, electors: Iterable[Elector]) -> bool:
    """On a version 2 decision, the names shown are the ones the hashed digests were made from."""
    if decision.closed_by_digest and not _name_holds(
        decision.closed_by_name, decision.closed_by_salt, decision.closed_by_digest
    ):
        return False
    if not decision.closed_by_digest and (decision.closed_by_name or decision.closed_by_salt):
        return False
    return all(_name_holds(e.display_name, e.name_salt, e.name_digest) for e in electors)


def content_hash(content: dict[str, Any]) -> str:
    return sha256_hex(canonical_json(content))


def recount(proposal: Proposal, options: Sequence[Option], ballots: Iterable[Ballot], electorate: int) -> tally.Result:
    """The result the ballots give under the proposal's rules (pure once the rows are loaded)."""
    rules = tally.Rules(
        method=proposal.method,
        threshold=proposal.threshold,
        quorum_percent=proposal.quorum_percent,
        electorate=electorate,
    )
    contents = [tally.BallotContent(choice=b.choice, options=tuple(b.options)) for b in ballots]
    return tally.count(rules, contents, [str(option.code) for option in options])


# Verification ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    latest_hash: str
    broken_sequence: int | None = None
    broken_code: UUID | None = None
    broken_title: str = ""
    reason: str = ""


def decisions_for_verification(association: Association) -> list[Decision]:
    """Every decision of the association with all it hashes, in a constant number of queries."""
    return list(
        decisions_in(association)
        .order_by("sequence")
        .select_related("proposal__association", "proposal__current_tool")
        .prefetch_related(
            Prefetch("proposal__options", queryset=Option.objects.select_related("tool").order_by("position", "pk")),
            Prefetch("proposal__electors", queryset=Elector.objects.order_by("pk")),
            Prefetch("proposal__participations", queryset=Participation.objects.order_by("pk")),
            Prefetch("proposal__ballots", queryset=Ballot.objects.order_by("pk")),
        )
    )


def check_decision(decision: Decision, expected_sequence: int, expected_previous: str) -> str:
    """Why this decision breaks the register, or "" when it holds."""
    proposal = decision.proposal
    options = list(proposal.options.all())
    electors = list(proposal.electors.all())
    participations = list(proposal.participations.all())
    ballots = list(proposal.ballots.all())
    if decision.sequence != expected_sequence:
        return _("decision #%(expected)s is missing from the register") % {"expected": expected_sequence}
    if decision.previous_hash != expected_previous:
        return _("it does not follow the previous decision (the chain is broken)")
    content = decision_content(
        decision=decision,
        proposal=proposal,
        options=options,
        electors=electors,
        participations=participations,
        ballots=ballots,
    )
    if content_hash(content) != decision.hash:
        return _("its content or its votes were changed after it was recorded")
    if decision.content_version >= 2 and not names_match_digests(decision, electors):
        return _("a name was changed after it was recorded")
    if len(participations) != len(ballots):
        return _("the number of ballots does not match the number of participants")
    try:
        result = recount(proposal, options, ballots, decision.electorate_size)
    except ValueError:
        return _("a ballot is not valid")
    if result.as_json() != decision.tally or result.outcome != decision.outcome:
        return _("the recorded result does not match the ballots")
    return ""


def verify_register(association: Association, decisions: list[Decision] | None = None) -> Verification:
    """Check every decision of the association in order; report the first broken one."""
    if decisions is None:
        decisions = decisions_for_verification(association)
    previous = GENESIS_HASH
    for expected_sequence, decision in enumerate(decisions, start=1):
        reason = check_decision(decision, expected_sequence, previous)
        if reason:
            return Verification(
                ok=False,
                checked=expected_sequence,
                latest_hash=decisions[-1].hash,
                broken_sequence=decision.sequence,
                broken_code=decision.code,
                broken_title=decision.proposal.title,
                reason=reason,
            )
        previous = decision.hash
    return Verification(ok=True, checked=len(decisions), latest_hash=previous if decisions else GENESIS_HASH)
