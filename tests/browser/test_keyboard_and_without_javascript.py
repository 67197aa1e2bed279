"""Two ways of using the site that must always work: the keyboard alone (no mouse), and a browser
with JavaScript turned off (every action is a plain form; htmx and app.js only enhance)."""

from __future__ import annotations

import re

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from governance import services as governance_services
from governance.models import Ballot, Choice, Participation
from hub.tenancy import association_scope
from notifications.models import Notification
from shared_tools.models import Stage, ToolUsage, TutorialHelped
from tests.browser.keyboard import assert_focus_is_visible, is_focused, press_until_focused
from tests.shared_tools.factories import ToolFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def open_vote(make_proposal):
    return make_proposal(title="Changer de fournisseur d'accès", electorate="members")


def test_a_member_votes_and_reads_a_tutorial_with_the_keyboard_only(site, shots, bob, open_vote, make_tutorial):
    make_tutorial(title="Partager un dossier avec Nextcloud")
    page = site.page(bob)
    page.goto(f"/a/amis-du-velo/proposals/{open_vote.code}/")

    # The first Tab reaches the skip link, shown on focus; Enter moves the focus to the content.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Aller au contenu principal")
    assert is_focused(skip)
    assert_focus_is_visible(page)
    box = skip.bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0, "the skip link stays off screen when focused"
    shots("skip-link", page)
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")
    assert is_focused(page.locator("main"))

    # The ballot: Tab into the choices, Space picks, arrows move the choice, Shift+Tab comes back.
    for_ = page.get_by_role("radio", name="Pour")
    against = page.get_by_role("radio", name="Contre")
    press_until_focused(page, for_)
    assert_focus_is_visible(page)
    page.keyboard.press("Space")
    expect(for_).to_be_checked()
    page.keyboard.press("ArrowDown")
    expect(against).to_be_checked()
    reason = page.get_by_label("Motif (facultatif) :")
    press_until_focused(page, reason, limit=3)
    page.keyboard.type("Finalement, je suis pour.")
    press_until_focused(page, against, key="Shift+Tab", limit=3)
    page.keyboard.press("ArrowUp")
    expect(for_).to_be_checked()
    shots("ballot", page, showing=for_)
    press_until_focused(page, page.get_by_role("button", name="Voter", exact=True), limit=5)
    assert_focus_is_visible(page)
    page.keyboard.press("Enter")
    expect(page.get_by_text("Votre vote est enregistré.")).to_be_visible()
    shots("voted", page)
    with scopes_disabled():
        assert Participation.objects.filter(proposal=open_vote, elector__user=bob).exists()
        assert Ballot.objects.get(proposal=open_vote).choice == Choice.FOR

    # Then to the tutorials, from the header, to one of them, and "it helped me".
    press_until_focused(
        page, page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Tutoriels")
    )
    assert_focus_is_visible(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bibliothèque de tutoriels")
    press_until_focused(page, page.get_by_role("link", name="Partager un dossier avec Nextcloud"))
    assert_focus_is_visible(page)
    shots("library", page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Partager un dossier avec Nextcloud")
    expect(page.get_by_role("listitem").filter(has_text="Cliquez sur Partager.")).to_be_visible()
    helped = page.get_by_role("button", name="Ça m'a aidé")
    press_until_focused(page, helped)
    assert_focus_is_visible(page)
    shots("tutorial", page, showing=helped)
    page.keyboard.press("Space")
    expect(page.get_by_text("Merci : l'auteur sera content de le savoir.")).to_be_visible()
    shots("helped", page)
    with scopes_disabled():
        assert TutorialHelped.objects.filter(user=bob).count() == 1


def test_a_board_member_uses_the_main_pages_without_javascript(
    site, shots, association, alice, berenice, open_vote, make_proposal, make_tutorial, access_of
):
    ToolFactory(name="Framadate", slug="framadate")
    make_tutorial(title="Organiser un sondage avec Framadate")
    decided = make_proposal(title="Adhérer au réseau Asso 37", electorate="members")
    with association_scope(association):
        governance_services.close_proposal(proposal_id=decided.pk, access=access_of(alice))

    page = site.page(berenice, javascript=False)
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour Bérénice Petit")
    badge = page.locator('[data-live-count="unread"]')
    unread = int(badge.inner_text())
    assert unread >= 2  # the two votes opened, the decision
    shots("home", page)

    page.get_by_role("link", name="Les Amis du Vélo").click()
    page.get_by_role("link", name="Notre boîte à outils").click()
    page.get_by_role("link", name="Ajouter un outil").click()
    page.get_by_label("Outil :").select_option(label="Framadate")
    page.get_by_label("Étape :").select_option(label="Adopté")
    page.get_by_role("button", name="Ajouter à la boîte à outils").click()
    expect(page.get_by_text("« Framadate » est maintenant dans votre boîte à outils.")).to_be_visible()
    shots("tool-added", page)
    with scopes_disabled():
        assert ToolUsage.objects.get(tool__slug="framadate").stage == Stage.ADOPTED

    page.get_by_role("link", name="Votes et décisions").first.click()
    page.get_by_role("region", name="En attente de votre vote").get_by_role(
        "link", name="Changer de fournisseur d'accès"
    ).click()
    page.get_by_role("radio", name="Pour").check()
    page.get_by_role("button", name="Voter", exact=True).click()
    expect(page.get_by_text("Votre vote est enregistré.")).to_be_visible()
    shots("voted", page)
    with scopes_disabled():
        assert Participation.objects.filter(proposal=open_vote, elector__user=berenice).exists()

    page.get_by_role("link", name="Registre des décisions").click()
    expect(page.get_by_role("row").filter(has_text="Adhérer au réseau Asso 37")).to_be_visible()
    shots("register", page)

    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Tutoriels").click()
    page.get_by_role("link", name="Organiser un sondage avec Framadate").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Organiser un sondage avec Framadate")
    shots("tutorial", page)

    page.get_by_role("link", name=re.compile("^Boîte de réception")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Boîte de réception")
    page.get_by_role("button", name=re.compile("^Marquer comme lu")).first.click()
    expect(badge).to_have_text(str(unread - 1))
    shots("one-read", page)
    with scopes_disabled():
        assert Notification.objects.filter(recipient=berenice, read_at__isnull=True).count() == unread - 1

    page.get_by_role("link", name="Choisir ce que vous recevez, et quand").click()
    page.get_by_role("radio", name="Tous les jours").check()
    page.get_by_role("button", name="Enregistrer mes préférences").click()
    expect(page.get_by_text("Vos préférences de notification sont enregistrées.")).to_be_visible()
    expect(page.get_by_role("radio", name="Tous les jours")).to_be_checked()
    shots("preferences", page)
