"""axe-core finds no WCAG 2.1 AA violation on the member's home, a proposal being voted on and a
tutorial, in French and in English, at desktop and phone widths. (Every other page is checked the
same way once the route registry lists them.)"""

from __future__ import annotations

import pytest

from governance import services as governance_services
from governance.models import Choice
from hub.tenancy import association_scope
from shared_tools import services as tutorial_services
from tests.browser.axe import assert_accessible
from tests.browser.conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def pages(association, alice, bob, access_of, make_proposal, make_tutorial):
    """A vote with a ballot, a running tally and a message; a tutorial with a question."""
    proposal = make_proposal(title="Adopter un agenda partagé", electorate="members", results_hidden=False)
    tutorial = make_tutorial(title="Partager un dossier")
    with association_scope(association):
        governance_services.cast_vote(access=access_of(alice), proposal=proposal, choice=Choice.FOR)
        governance_services.add_comment(access=access_of(alice), proposal=proposal, body="Je suis **pour**.")
    tutorial_services.ask_question(user=bob, tutorial=tutorial, body="Et sur téléphone ?")
    return {
        "home": "/",
        "proposal": f"/a/{association.slug}/proposals/{proposal.code}/",
        "tutorial": f"/tutorials/{tutorial.code}/",
    }


@pytest.mark.parametrize("language", ["fr", "en"])
def test_no_wcag_violation_on_the_main_pages(site, shots, pages, bob, language):
    bob.language = language
    bob.save(update_fields=["language"])
    for width, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = site.page(bob, viewport=viewport)
        for name, path in pages.items():
            page.goto(path)
            assert page.locator("html").get_attribute("lang") == language
            shots(f"{name}-{width}", page)
            assert_accessible(page, f"{path} ({language}, {width})")
