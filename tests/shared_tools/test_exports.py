"""The stack's CSV export: French headers, `;`, UTF-8 with BOM, decimal commas, no formulas."""

import csv
import datetime
import io
from decimal import Decimal

import pytest

from hub.tenancy import association_scope
from shared_tools import selectors
from shared_tools.exports import HEADERS, write_stack_csv
from shared_tools.models import Category, FreeSoftware, KnowHowLevel, Stage, Visibility
from tests.shared_tools.factories import ReferentFactory, ToolFactory, ToolUsageFactory, membership_of


@pytest.fixture
def exported(association, alice, bob):
    framadate = ToolFactory(name="Framadate", website="https://framadate.org")
    framadate.categories.add(Category.objects.get(slug="planification-et-sondages"))
    doodle = ToolFactory(name="Doodle", free_software=FreeSoftware.NO)
    ToolUsageFactory(
        association=association,
        tool=framadate,
        stage=Stage.ADOPTED,
        purpose="Sondages des réunions",
        since=datetime.date(2024, 3, 1),
        yearly_cost=Decimal("12.5"),
        paid_by="L'association",
        satisfaction=4,
        review_on=datetime.date(2025, 9, 15),
        visibility=Visibility.NETWORK,
    )
    ToolUsageFactory(
        association=association,
        tool=doodle,
        stage=Stage.ABANDONED,
        purpose='=HYPERLINK("https://exemple.invalid")',
        paid_by="-5 € par mois",
        yearly_cost=None,
    )
    ReferentFactory(membership=membership_of(alice, association), tool=framadate)
    ReferentFactory(membership=membership_of(bob, association), tool=framadate)
    ReferentFactory(membership=membership_of(bob, association), tool=doodle, level=KnowHowLevel.WANTS_TO_LEARN)
    out = io.StringIO()
    with association_scope(association):
        write_stack_csv(out, selectors.stack_of(association), selectors.referents_in(association))
    return out.getvalue()


def test_the_export_starts_with_a_byte_order_mark_and_uses_semicolons(exported):
    assert exported.startswith("\ufeffOutil;Catégorie;Étape;")
    assert exported.encode("utf-8").startswith(b"\xef\xbb\xbf")
    assert "\r\n" in exported


def test_the_export_has_one_row_per_tool_in_french(exported):
    rows = list(csv.reader(io.StringIO(exported.removeprefix("\ufeff")), delimiter=";"))

    assert rows[0] == HEADERS
    assert rows[1:] == [
        [
            "Doodle",
            "",
            "Abandonné",
            '\'=HYPERLINK("https://exemple.invalid")',
            "",
            "",
            "",
            "'-5 € par mois",
            "",
            "",
            "Membres de l'association",
            "",
            "non",
            "",
        ],
        [
            "Framadate",
            "Organisation et travail d'équipe",
            "Adopté",
            "Sondages des réunions",
            "01/03/2024",
            "",
            "12,50",
            "L'association",
            "4",
            "15/09/2025",
            "Nos réseaux",
            "Alice Martin, Bob Durand",
            "oui",
            "https://framadate.org",
        ],
    ]
