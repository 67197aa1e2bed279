"""The register as CSV, and as minutes ("procès-verbal") in HTML for printing and in PDF.

Both are in the active language (French by default) and print the latest hash of the chain, so
a copy kept elsewhere anchors the register: any later rewrite changes that hash.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import IO, Any

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from hub.models import Electorate, Threshold

from . import selectors
from .models import Decision, Method, Outcome, ProposalKind
from .register import Verification


def _label(choices: Any, value: str) -> str:
    return str(dict(choices.choices).get(value, value))


def write_register_csv(out: IO[str], decisions: Iterable[Decision], verification: Verification) -> None:
    """One row per decision (oldest first), then the verification and the latest hash."""
    writer = csv.writer(out)
    writer.writerow(
        [
            _("No."),
            _("Recorded on"),
            _("Proposal"),
            _("Kind"),
            _("Voting method"),
            _("Who votes"),
            _("Quorum (%)"),
            _("Majority"),
            _("Secret ballot"),
            _("Voters"),
            _("Participants"),
            _("Votes expressed"),
            _("Quorum met"),
            _("Outcome"),
            _("Option chosen"),
            _("Statement"),
            _("Previous hash"),
            _("Hash"),
        ]
    )
    for d in decisions:
        p = d.proposal
        writer.writerow(
            [
                d.sequence,
                timezone.localtime(d.recorded_at).strftime("%Y-%m-%d %H:%M"),
                p.title,
                _label(ProposalKind, p.kind),
                _label(Method, p.method),
                _label(Electorate, p.electorate),
                p.quorum_percent,
                _label(Threshold, p.threshold),
                _("yes") if p.anonymous else _("no"),
                d.electorate_size,
                d.participants,
                d.expressed,
                _("yes") if d.quorum_met else _("no"),
                _label(Outcome, d.outcome),
                d.winning_option.label if d.winning_option else "",
                d.statement,
                d.previous_hash,
                d.hash,
            ]
        )
    writer.writerow([])
    writer.writerow([_("Register verified"), _("yes") if verification.ok else _("NO: see the register page")])
    writer.writerow([_("Latest hash"), verification.latest_hash])


def minutes_pdf(context: dict[str, Any]) -> bytes:
    """The minutes as PDF (WeasyPrint), with the print stylesheet read from the static files."""
    from weasyprint import CSS, HTML

    stylesheet = finders.find("governance/minutes.css")
    html = render_to_string("governance/minutes.html", {**context, "for_pdf": True})
    return HTML(string=html).write_pdf(stylesheets=[CSS(filename=stylesheet)] if stylesheet else None)


def minutes_context(
    *, association: Any, decisions: list[Decision], verification: Verification, single: bool = False
) -> dict[str, Any]:
    """What the minutes template shows. Reads the options and ballots `selectors.minutes_decisions` prefetched."""
    entries = [
        {
            "decision": decision,
            "option_counts": [
                (option.label, int(decision.tally.get("options", {}).get(str(option.code), 0)))
                for option in decision.proposal.options.all()
            ],
            "ballots": selectors.ballot_lines(decision.proposal),
        }
        for decision in decisions
    ]
    return {
        "association": association,
        "entries": entries,
        "single": single,
        "verification": verification,
        "generated_at": date_format(timezone.localtime(), "DATETIME_FORMAT"),
    }
