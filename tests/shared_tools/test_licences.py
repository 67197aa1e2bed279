import pytest
from django.core.exceptions import ValidationError

from shared_tools.importers import parse_sill
from shared_tools.licences import check_spdx_expression, normalise_licence
from shared_tools.models import validate_spdx_expression

READINGS = [
    # The tricky values of the SILL 2020 file.
    ("GPL V2.0", "GPL-2.0-only"),
    ("MPL 2.0 et EPL 1.0", "MPL-2.0 AND EPL-1.0"),
    ("LGPL-2.1, LGPL-2.0,  LGPL-3.0", "LGPL-2.1-only OR LGPL-2.0-only OR LGPL-3.0-only"),
    ("", ""),
    ("GPL-2.0-only / LGPL-2.0-only", "GPL-2.0-only OR LGPL-2.0-only"),
    ("LGPL-v2.1", "LGPL-2.1-only"),
    ("AGPL-3", "AGPL-3.0-only"),
    ("GPL-2.0+", "GPL-2.0-or-later"),
    ("GPL-3.0", "GPL-3.0-only"),
    ("GPL-2.0, LGPL-2, MPL-1.1", "GPL-2.0-only OR LGPL-2.0-only OR MPL-1.1"),
    ("MIT, LGPL-3, AGPL-3", "MIT OR LGPL-3.0-only OR AGPL-3.0-only"),
    ("IPL-1.0, EPL-2.0", "IPL-1.0 OR EPL-2.0"),
    ("etalab-2.0", "etalab-2.0"),
    ("X11", "X11"),
    ("Zimbra-1.3", "Zimbra-1.3"),
    ("CPA", ""),
    # Other spellings met in the wild.
    ("   ", ""),
    ("gpl-2.0 or later", "GPL-2.0-or-later"),
    ("GPL v3 ou ultérieure", "GPL-3.0-or-later"),
    ("ETALAB-2.0", "etalab-2.0"),
    ("Apache 2", "Apache-2.0"),
    ("CeCILL v2.1", "CECILL-2.1"),
    ("MIT & Apache-2.0", "MIT AND Apache-2.0"),
    ("MIT, MIT", "MIT"),
    ("MIT et GPL-2.0, Apache-2.0", ""),  # mixes AND and OR: ambiguous
    ("GPL-2.0 et licence maison", ""),  # one unknown term makes the whole text unknown
    ("Licence propriétaire", ""),
    ("LGPL-1.0", ""),  # no such version
]


@pytest.mark.parametrize(("raw", "expected"), READINGS)
def test_free_text_licence_becomes_spdx_or_unknown_with_raw_text_kept(raw, expected):
    reading = normalise_licence(raw)

    assert reading.expression == expected
    assert reading.raw == raw
    assert reading.is_known == bool(expected)
    if expected:
        check_spdx_expression(reading.expression)


def test_every_sill_licence_is_valid_spdx_or_unknown_with_its_raw_text():
    plan = parse_sill()

    unknown = []
    for reading, name in plan.licences:
        if reading.is_known:
            check_spdx_expression(reading.expression)
        else:
            unknown.append((name, reading.raw))
    assert len(plan.licences) == 225
    assert {raw for _name, raw in unknown} == {"", "CPA"}
    assert ("ProjectLibre", "CPA") in unknown
    assert len(unknown) == 20


@pytest.mark.parametrize(
    "expression",
    ["MIT", "(MIT OR Apache-2.0) AND GPL-2.0-only", "GPL-2.0-only WITH Classpath-exception-2.0", "etalab-2.0"],
)
def test_well_formed_expressions_over_shipped_ids_are_accepted(expression):
    check_spdx_expression(expression)
    validate_spdx_expression(expression)


@pytest.mark.parametrize(
    "expression",
    ["GPL-2.0", "mit", "MIT OR", "(MIT", "MIT)", "MIT AND NotALicence", "GPL-2.0-only WITH Nothing", "MIT Apache-2.0"],
)
def test_malformed_expressions_or_unknown_ids_are_refused(expression):
    with pytest.raises(ValueError):
        check_spdx_expression(expression)
    with pytest.raises(ValidationError):
        validate_spdx_expression(expression)
