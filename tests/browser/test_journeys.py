"""What members do, in a real browser against the whole application (pages and websocket): each
journey clicks, fills and submits like a person, and checks what that person sees. Preconditions
(an invitation, a tutorial, news for a summary) are set up through the services.

Screenshots of every step land in var/screenshots/<journey>/ (CI keeps them as artefacts).
"""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_scopes import scopes_disabled
from playwright.sync_api import expect
from pypdf import PdfReader

from governance import services as governance_services
from governance.models import Decision, Outcome
from hub import services as hub_services
from hub.models import Membership, Role
from hub.tenancy import association_scope
from notifications.models import DigestFrequency, NotificationSettings
from shared_tools.models import Stage, ToolUsage, TutorialVisibility
from tests.browser.mailbox import links_in, messages_to, text_of
from tests.shared_tools.factories import ToolFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

HOME = "/a/amis-du-velo/"


@pytest.fixture
def file_mailbox(settings, tmp_path, live_app):
    """Emails go to files, as in the embedded mode; their links point at the test server."""
    folder = tmp_path / "mail"
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(folder)},
        }
    }
    settings.SITE_URL = live_app.url
    return folder


@pytest.fixture
def nextcloud(db):
    return ToolFactory(name="Nextcloud", slug="nextcloud")


def test_sign_up_from_an_invitation(site, shots, file_mailbox, association, alice, access_of):
    with association_scope(association):
        hub_services.invite_member(access=access_of(alice), email="nadia@exemple.fr", role=Role.BOARD)
    (invitation,) = messages_to(file_mailbox, "nadia@exemple.fr")
    (link,) = [url for url in links_in(text_of(invitation)) if "/invitations/" in url]

    page = site.page()
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Rejoindre Les Amis du Vélo")
    shots("invitation", page)

    page.get_by_role("link", name="Créer mon compte").click()
    expect(page.get_by_label("Adresse e-mail")).to_have_value("nadia@exemple.fr")
    page.get_by_label("Votre nom").fill("Nadia Benali")
    page.get_by_label("Mot de passe").fill("une phrase facile à retenir")
    shots("sign-up-form", page)
    page.get_by_role("button", name="Créer mon compte").click()

    expect(page.get_by_text("Bienvenue sur Asso Hub, Nadia Benali !")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rejoindre Les Amis du Vélo")
    shots("back-to-the-invitation", page)
    page.get_by_role("button", name="Accepter l'invitation").click()

    expect(page.get_by_text("Vous avez rejoint Les Amis du Vélo.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Les Amis du Vélo")
    expect(page.get_by_text("Votre rôle : Bureau.")).to_be_visible()
    shots("member-of-the-association", page)
    with scopes_disabled():
        assert Membership.objects.get(user__email="nadia@exemple.fr").role == Role.BOARD


def test_add_a_tool_to_the_toolbox(site, shots, berenice, nextcloud):
    page = site.page(berenice)
    page.goto(HOME)
    page.get_by_role("link", name="Notre boîte à outils").click()
    expect(page.get_by_text("La boîte à outils est vide pour l'instant.")).to_be_visible()
    shots("empty-toolbox", page)

    page.get_by_role("link", name="Ajouter un outil").click()
    page.get_by_label("Outil :").select_option(label="Nextcloud")
    page.get_by_label("Étape :").select_option(label="À l'essai")
    page.get_by_label("À quoi il nous sert").fill("Partager les comptes rendus du bureau")
    shots("add-form", page)
    page.get_by_role("button", name="Ajouter à la boîte à outils").click()

    expect(page.get_by_text("« Nextcloud » est maintenant dans votre boîte à outils.")).to_be_visible()
    shots("usage-page", page)
    page.get_by_role("link", name="Notre boîte à outils").click()
    row = page.get_by_role("row").filter(has_text="Nextcloud")
    expect(row).to_contain_text("À l'essai")
    expect(row).to_contain_text("Partager les comptes rendus du bureau")
    shots("toolbox-with-the-tool", page)


def test_three_members_vote_and_the_decision_reaches_the_register_and_the_toolbox(
    site, shots, alice, berenice, bob, nextcloud
):
    board = site.page(berenice)
    board.goto(HOME)
    board.get_by_role("link", name="Votes et décisions").first.click()
    board.get_by_role("link", name="Faire une proposition").click()
    board.get_by_label("Titre").fill("Adopter Nextcloud pour nos documents")
    board.get_by_label("De quoi s'agit-il ?").select_option(label="Adopter un outil")
    board.locator("#id_option_1_tool").fill("Nextcloud")
    board.get_by_label("Qui vote ?").select_option(label="Tous les membres")
    shots("proposal-form", board)
    board.get_by_role("button", name="Enregistrer et ouvrir le vote maintenant").click()
    expect(board.get_by_text("Le vote est ouvert. Les électeurs ont été prévenus.")).to_be_visible()
    proposal_url = board.url
    shots("proposal-open", board)

    for voter, page in ((berenice, board), (alice, site.page(alice)), (bob, site.page(bob))):
        page.goto(proposal_url)
        page.get_by_role("radio", name="Pour").check()
        page.get_by_role("button", name="Voter", exact=True).click()
        expect(page.get_by_text("Votre vote est enregistré.")).to_be_visible()
        shots(f"vote-of-{voter.display_name.split()[0].lower()}", page, showing=page.locator("#vote-title"))

    board.get_by_role("button", name="Clore le vote maintenant").click()
    expect(board.get_by_text("Le vote est clos et la décision est inscrite au registre des décisions.")).to_be_visible()
    shots("decision", board)

    board.get_by_role("link", name="Registre des décisions").click()
    row = board.get_by_role("row").filter(has_text="Adopter Nextcloud pour nos documents")
    expect(row).to_contain_text("3 sur 3")
    expect(row).to_contain_text("Adopté")
    shots("register", board)

    board.get_by_role("link", name="Notre boîte à outils").click()
    expect(board.get_by_role("row").filter(has_text="Nextcloud")).to_contain_text("Adopté")
    shots("toolbox", board)
    with scopes_disabled():
        assert Decision.objects.get().outcome == Outcome.ADOPTED
        assert ToolUsage.objects.get(tool=nextcloud).stage == Stage.ADOPTED


def test_the_unread_badge_of_another_member_updates_in_real_time(site, shots, berenice, bob):
    reader = site.page(bob)
    reader.goto("/")
    badge = reader.locator('[data-live-count="unread"]')
    expect(badge).to_be_hidden()
    shots("before", reader)

    board = site.page(berenice)
    board.goto(f"{HOME}proposals/new/")
    board.get_by_label("Titre").fill("Changer de banque")
    board.get_by_label("Qui vote ?").select_option(label="Tous les membres")
    board.get_by_role("button", name="Enregistrer et ouvrir le vote maintenant").click()
    expect(board.get_by_text("Le vote est ouvert. Les électeurs ont été prévenus.")).to_be_visible()

    # No reload: the count arrives through the websocket.
    expect(badge).to_have_text("1")
    expect(badge).to_be_visible()
    shots("pushed", reader)

    reader.get_by_role("link", name="Boîte de réception").click()
    reader.get_by_role("button", name=re.compile("^Marquer comme lu")).click()
    expect(badge).to_be_hidden()
    shots("read", reader)


def test_the_summary_email_arrives_with_a_working_unsubscribe_link(
    site, shots, file_mailbox, alice, bob, access_of, make_proposal
):
    # News of the week: a vote opened and then decided (the decision waits for the summary).
    proposal = make_proposal(title="Acheter un vidéoprojecteur", electorate="members")
    with association_scope(proposal.association):
        governance_services.close_proposal(proposal_id=proposal.pk, access=access_of(alice))
    # The hourly task, a week later: bob's weekly summary slot has passed.
    later = (timezone.now() + timedelta(days=8)).isoformat()
    call_command("send_digests", "--now", later, stdout=io.StringIO())

    summaries = [m for m in messages_to(file_mailbox, "bob@exemple.fr") if "résumé" in str(m["Subject"]).lower()]
    (summary,) = summaries
    assert "Acheter un vidéoprojecteur" in text_of(summary)
    unsubscribe = re.fullmatch(r"<(.+)>", str(summary["List-Unsubscribe"])).group(1)
    assert unsubscribe.startswith(site.url)
    assert unsubscribe in links_in(text_of(summary))  # the same link is in the text, for people

    page = site.page()  # from the mail client: not signed in
    page.goto(unsubscribe)
    expect(page.get_by_role("heading", level=1)).to_have_text("Se désabonner")
    shots("confirm", page)
    page.get_by_role("button", name="Oui, me désabonner").click()
    expect(page.get_by_role("status")).to_contain_text("Vous ne recevrez plus d'e-mails de résumé.")
    shots("done", page)

    assert NotificationSettings.objects.get(user=bob).digest_frequency == DigestFrequency.NEVER
    settings_page = site.page(bob)
    settings_page.goto("/notifications/preferences/")
    expect(settings_page.get_by_role("radio", name="Jamais")).to_be_checked()
    shots("preferences", settings_page, showing=settings_page.get_by_role("radio", name="Jamais"))


def test_a_tutorial_prints_and_downloads_as_pdf(site, shots, bob, make_tutorial):
    make_tutorial(
        title="Partager un dossier avec Nextcloud",
        visibility=TutorialVisibility.ASSOCIATION,
        steps=["Ouvrez **Nextcloud**.", "Cliquez sur *Partager* puis copiez le lien."],
    )
    page = site.page(bob)
    page.goto("/tutorials/")
    page.get_by_role("link", name="Partager un dossier avec Nextcloud").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Partager un dossier avec Nextcloud")
    shots("tutorial", page)

    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger en PDF").click()
    pdf = download.value
    assert pdf.suggested_filename.endswith(".pdf")
    text = "".join(p.extract_text() for p in PdfReader(pdf.path()).pages)
    assert "Partager un dossier avec Nextcloud" in text
    assert "Cliquez sur Partager puis copiez le lien." in text

    page.get_by_role("link", name="Version à imprimer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Partager un dossier avec Nextcloud")
    shots("printable", page)
    printed = PdfReader(io.BytesIO(page.pdf(format="A4")))  # what "Print → Save as PDF" gives
    assert "Partager un dossier avec Nextcloud" in printed.pages[0].extract_text()
