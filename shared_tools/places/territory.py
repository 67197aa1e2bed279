"""Where a place is: its département and its time zone, from its postcode and INSEE code.

Overseas postcodes start with the three digits of their département or collectivity (971
Guadeloupe ... 976 Mayotte, 986-988 in the Pacific); everything else is in metropolitan France.
Corsica's postcodes all start with 20: without an INSEE code, 200xx-201xx is Corse-du-Sud (2A)
and the rest Haute-Corse (2B), which is right for every commune but a handful on the border.
"""

from __future__ import annotations

import re
from functools import cache
from zoneinfo import ZoneInfo

METROPOLITAN_TIME_ZONE = "Europe/Paris"

# Saint-Barthélemy (97133) and Saint-Martin (97150) have 971 postcodes and Guadeloupe's offset.
OVERSEAS_TIME_ZONES = {
    "971": "America/Guadeloupe",
    "972": "America/Martinique",
    "973": "America/Cayenne",
    "974": "Indian/Reunion",
    "975": "America/Miquelon",
    "976": "Indian/Mayotte",
    "977": "America/St_Barthelemy",
    "978": "America/Marigot",
    "986": "Pacific/Wallis",
    "987": "Pacific/Tahiti",
    "988": "Pacific/Noumea",
}

DEPARTMENT_CODE = re.compile(r"^(?:\d{2}|2[AB]|9[78]\d)$", re.IGNORECASE)


def department_of(postcode: str, insee_code: str = "") -> str:
    """The département code ("37", "2A", "971"), from the INSEE code when given (exact)."""
    code = insee_code or postcode
    if len(code) < 2:
        return ""
    if code[:2] in {"97", "98"}:
        return code[:3]
    if insee_code:
        return insee_code[:2].upper()
    if postcode.startswith("20"):
        return "2A" if postcode[2] in "01" else "2B"
    return postcode[:2]


def time_zone_name(postcode: str) -> str:
    return OVERSEAS_TIME_ZONES.get(postcode[:3], METROPOLITAN_TIME_ZONE)


@cache
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def time_zone_of(postcode: str) -> ZoneInfo:
    """The zone in which a place's opening hours are written."""
    return zone(time_zone_name(postcode))
