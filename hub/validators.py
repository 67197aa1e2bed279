"""Format checks for the French identifiers an association carries."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

RNA_RE = re.compile(r"^W\d{9}$")
SIREN_RE = re.compile(r"^\d{9}$")
# Metropolitan départements 01-95 (with 2A/2B for Corsica) and overseas 971-976.
DEPARTEMENT_RE = re.compile(r"^(0[1-9]|1[0-9]|2[1-9AB]|[3-8][0-9]|9[0-5]|97[1-6])$")


def luhn_is_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def validate_rna(value: str) -> None:
    """RNA (Répertoire national des associations): W followed by nine digits."""
    if not RNA_RE.match(value):
        raise ValidationError(
            _("An RNA number is the letter W followed by nine digits, for example W372012345."),
            code="invalid_rna",
        )


def validate_siren(value: str) -> None:
    """SIREN: nine digits whose Luhn checksum holds."""
    if not SIREN_RE.match(value) or not luhn_is_valid(value):
        raise ValidationError(
            _("A SIREN number has nine digits and a valid check digit, for example 732829320."),
            code="invalid_siren",
        )


def validate_departement(value: str) -> None:
    if not DEPARTEMENT_RE.match(value):
        raise ValidationError(
            _("Enter a French département code, for example 37, 2A or 971."),
            code="invalid_departement",
        )
