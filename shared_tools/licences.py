"""Licences: turn the free text found in open data sets into SPDX expressions, or say "unknown".

Only identifiers from `SPDX_LICENCE_IDS` (a subset of the SPDX License List 3.x, in its canonical
spelling) can appear in a stored expression; `validate_spdx_expression` enforces it on the model.

Reading rules, applied to the text once whitespace is collapsed:
- empty text → unknown;
- "ou", "or", ",", "/", ";" separate alternatives → `OR` (a comma list names the licences a project
  is offered under, or those of its parts: `OR` is the reading that does not invent obligations);
- "et", "and", "&" join licences that all apply → `AND`;
- a text mixing both kinds of separators is ambiguous → unknown;
- GNU licences are read in any common spelling ("GPL V2.0", "LGPL-v2.1", "AGPL-3", "GPL-2.0+");
  a bare version ("GPL-2.0", deprecated by SPDX) means `-only`, a "+" or "or later" `-or-later`;
- "MPL 2.0", "EPL 1.0", "Apache 2" → "MPL-2.0", "EPL-1.0", "Apache-2.0";
- any term that still matches no identifier makes the whole text unknown (a half-read expression
  would misstate the terms), and the raw text is kept for a person to decide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The identifiers the importers produce plus the ones a moderator commonly needs.
SPDX_LICENCE_IDS = frozenset(
    {
        "0BSD",
        "AFL-3.0",
        "AGPL-1.0-only",
        "AGPL-1.0-or-later",
        "AGPL-3.0-only",
        "AGPL-3.0-or-later",
        "Apache-1.1",
        "Apache-2.0",
        "APSL-2.0",
        "Artistic-1.0",
        "Artistic-2.0",
        "BSD-2-Clause",
        "BSD-3-Clause",
        "BSD-4-Clause",
        "BSL-1.0",
        "CC-BY-4.0",
        "CC-BY-SA-4.0",
        "CC0-1.0",
        "CDDL-1.0",
        "CDDL-1.1",
        "CECILL-2.0",
        "CECILL-2.1",
        "CECILL-B",
        "CECILL-C",
        "CPAL-1.0",
        "CPL-1.0",
        "ECL-2.0",
        "EPL-1.0",
        "EPL-2.0",
        "etalab-2.0",
        "EUPL-1.1",
        "EUPL-1.2",
        "GFDL-1.3-or-later",
        "GPL-1.0-only",
        "GPL-1.0-or-later",
        "GPL-2.0-only",
        "GPL-2.0-or-later",
        "GPL-3.0-only",
        "GPL-3.0-or-later",
        "IPL-1.0",
        "ISC",
        "LGPL-2.0-only",
        "LGPL-2.0-or-later",
        "LGPL-2.1-only",
        "LGPL-2.1-or-later",
        "LGPL-3.0-only",
        "LGPL-3.0-or-later",
        "MIT",
        "MPL-1.1",
        "MPL-2.0",
        "MS-PL",
        "ODbL-1.0",
        "OFL-1.1",
        "OLDAP-2.8",
        "OSL-3.0",
        "PHP-3.01",
        "PostgreSQL",
        "Python-2.0",
        "Unlicense",
        "UPL-1.0",
        "WTFPL",
        "X11",
        "Zimbra-1.3",
        "Zlib",
        "ZPL-2.1",
    }
)
SPDX_EXCEPTION_IDS = frozenset({"Classpath-exception-2.0", "LLVM-exception", "OpenJDK-assembly-exception-1.0"})

_IDS_BY_LOWER = {licence_id.lower(): licence_id for licence_id in SPDX_LICENCE_IDS}
_OR_SEPARATOR = re.compile(r"\s+(?:ou|or)\s+|\s*[,/;]\s*", re.IGNORECASE)
_AND_SEPARATOR = re.compile(r"\s+(?:et|and)\s+|\s*&\s*", re.IGNORECASE)
_OR_LATER = re.compile(r"\s+(?:or|ou)\s+(?:later|ult[ée]rieure|sup[ée]rieure|plus r[ée]cente)\b", re.IGNORECASE)
_GNU = re.compile(
    r"^(?P<family>AGPL|LGPL|GPL)\s*-?\s*v?\s*(?P<major>\d)(?:\.(?P<minor>\d))?\s*(?P<suffix>\+|-only|-or-later)?$",
    re.IGNORECASE,
)
_NAME_VERSION = re.compile(r"^(?P<name>[a-z][a-z-]*?)[\s-]*v?(?P<version>\d+(?:\.\d+)*)$", re.IGNORECASE)
_WORD = re.compile(r"\(|\)|[^\s()]+")


@dataclass(frozen=True)
class LicenceReading:
    """What a raw licence text was read as. `expression` is empty when the licence is unknown."""

    raw: str
    expression: str

    @property
    def is_known(self) -> bool:
        return bool(self.expression)


def normalise_licence(raw: str) -> LicenceReading:
    """Read a free-text licence as an SPDX expression, or as unknown (raw text kept)."""
    text = " ".join(raw.split())
    if not text:
        return LicenceReading(raw=raw, expression="")
    text = _OR_LATER.sub("+", text)
    has_or = bool(_OR_SEPARATOR.search(text))
    has_and = bool(_AND_SEPARATOR.search(text))
    if has_or and has_and:
        return LicenceReading(raw=raw, expression="")
    separator, operator = (_AND_SEPARATOR, "AND") if has_and else (_OR_SEPARATOR, "OR")
    ids = [_licence_id(term) for term in separator.split(text) if term.strip()]
    if not ids or None in ids:
        return LicenceReading(raw=raw, expression="")
    unique_ids = list(dict.fromkeys(licence_id for licence_id in ids if licence_id))
    return LicenceReading(raw=raw, expression=f" {operator} ".join(unique_ids))


def _licence_id(term: str) -> str | None:
    term = term.strip()
    gnu = _GNU.match(term)
    if gnu:
        version = f"{gnu['major']}.{gnu['minor'] or '0'}"
        suffix = "-or-later" if gnu["suffix"] in ("+", "-or-later") else "-only"
        candidate = f"{gnu['family'].upper()}-{version}{suffix}"
        return candidate if candidate in SPDX_LICENCE_IDS else None
    exact = _IDS_BY_LOWER.get(term.lower())
    if exact:
        return exact
    named = _NAME_VERSION.match(term)
    if named:
        name, version = named["name"].rstrip("-"), named["version"]
        for candidate in (f"{name}-{version}", f"{name}-{version}.0"):
            if candidate.lower() in _IDS_BY_LOWER:
                return _IDS_BY_LOWER[candidate.lower()]
    return None


def check_spdx_expression(expression: str) -> None:
    """Raise ValueError unless `expression` is a well-formed SPDX expression over the shipped ids."""
    words = _WORD.findall(expression)
    if not words:
        raise ValueError("empty licence expression")
    position = _parse_or(words, 0)
    if position != len(words):
        raise ValueError(f"unexpected {words[position]!r} in licence expression")


def _parse_or(words: list[str], position: int) -> int:
    position = _parse_and(words, position)
    while position < len(words) and words[position] == "OR":
        position = _parse_and(words, position + 1)
    return position


def _parse_and(words: list[str], position: int) -> int:
    position = _parse_term(words, position)
    while position < len(words) and words[position] == "AND":
        position = _parse_term(words, position + 1)
    return position


def _parse_term(words: list[str], position: int) -> int:
    if position >= len(words):
        raise ValueError("licence expression ends too early")
    word = words[position]
    if word == "(":
        position = _parse_or(words, position + 1)
        if position >= len(words) or words[position] != ")":
            raise ValueError("unbalanced parenthesis in licence expression")
        return position + 1
    if word not in SPDX_LICENCE_IDS:
        raise ValueError(f"{word!r} is not a known SPDX licence identifier")
    position += 1
    if position < len(words) and words[position] == "WITH":
        if position + 1 >= len(words) or words[position + 1] not in SPDX_EXCEPTION_IDS:
            raise ValueError("WITH must be followed by a known SPDX exception identifier")
        position += 2
    return position
