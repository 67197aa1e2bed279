"""The stack as a CSV file for spreadsheets.

Format, chosen for French spreadsheet users (Excel first, LibreOffice reads it too):
- UTF-8 with a byte-order mark: without it Excel reads the file as Windows-1252 and mangles
  accents;
- `;` between columns: French Excel uses `,` as the decimal separator and expects `;` in CSV;
- amounts with a decimal comma ("120,50"), dates as DD/MM/YYYY: both are read as numbers and
  dates by a French Excel;
- French headers and labels written here, not translated: the file is a French document whose
  columns stay the same whatever the language of the person who downloads it, so a spreadsheet
  built on it keeps working;
- text that a spreadsheet would run as a formula (starting with =, +, -, @, tab or carriage
  return) is prefixed with an apostrophe: the purpose and the payer are typed by members.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Protocol

from .models import FreeSoftware, KnowHowLevel, Referent, Stage, ToolUsage, Visibility
from .selectors import primary_category

BOM = "\ufeff"
DELIMITER = ";"
HEADERS = [
    "Outil",
    "Catégorie",
    "Étape",
    "Usage",
    "Depuis",
    "Jusqu'au",
    "Coût annuel (€)",
    "Payé par",
    "Satisfaction (sur 5)",
    "Prochaine revue",
    "Visible par",
    "Maîtrisé par",
    "Logiciel libre",
    "Site web",
]
STAGE_LABELS = {
    Stage.CONSIDERED: "Envisagé",
    Stage.TRIAL: "En essai",
    Stage.ADOPTED: "Adopté",
    Stage.RETIRING: "En retrait",
    Stage.ABANDONED: "Abandonné",
}
VISIBILITY_LABELS = {
    Visibility.MEMBERS: "Membres de l'association",
    Visibility.NETWORK: "Nos réseaux",
    Visibility.PUBLIC: "Tout le monde",
}
FREE_SOFTWARE_LABELS = {FreeSoftware.YES: "oui", FreeSoftware.NO: "non", FreeSoftware.UNKNOWN: "inconnu"}
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Writable(Protocol):
    """Anything text can be written to: a file, a StringIO, an HttpResponse."""

    def write(self, text: str, /) -> object: ...


def _text(value: str) -> str:
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def _date(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _amount(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}".replace(".", ",")


def stack_rows(usages: Iterable[ToolUsage], referents: Iterable[Referent]) -> list[list[str]]:
    """The rows of the file, headers first. `usages` come from `selectors.stack_of` (tools and
    categories prefetched), `referents` from `selectors.referents_in`."""
    masters: dict[int, list[str]] = {}
    for referent in referents:
        if referent.level == KnowHowLevel.MASTERS:
            masters.setdefault(referent.tool_id, []).append(referent.membership.user.display_name)
    rows = [HEADERS]
    for usage in usages:
        category = primary_category(usage.tool)
        rows.append(
            [
                _text(usage.tool.name),
                category.name if category else "",
                STAGE_LABELS[Stage(usage.stage)],
                _text(usage.purpose),
                _date(usage.since),
                _date(usage.until),
                _amount(usage.yearly_cost),
                _text(usage.paid_by),
                str(usage.satisfaction or ""),
                _date(usage.review_on),
                VISIBILITY_LABELS[Visibility(usage.visibility)],
                _text(", ".join(masters.get(usage.tool_id, []))),
                FREE_SOFTWARE_LABELS[FreeSoftware(usage.tool.free_software)],
                _text(usage.tool.website),
            ]
        )
    return rows


def write_stack_csv(out: Writable, usages: Iterable[ToolUsage], referents: Iterable[Referent]) -> None:
    """Write the stack to `out` in the format described at the top of this module."""
    out.write(BOM)
    writer = csv.writer(out, delimiter=DELIMITER, lineterminator="\r\n")
    writer.writerows(stack_rows(usages, referents))
