# ruff: noqa: F811 -- the tutorial fixtures are imported from tests/tutorials/conftest.py
"""Tutorial pages: library, tutorial, editor with images, print and PDF, visibility, query counts."""

import io

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled
from pypdf import PdfReader

from hub.tenancy import association_scope
from shared_tools.models import Tutorial, TutorialStep, TutorialVisibility
from tests.factories import NetworkMembershipFactory
from tests.tutorials.conftest import _media, make_tutorial, png_bytes, tool  # noqa: F401 (fixtures)
from tests.tutorials.safety import payloads, problems_in

pytestmark = pytest.mark.django_db

A = "amis-du-velo"


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_library_lists_public_tutorials_to_anonymous_visitors(client, make_tutorial):
    make_tutorial(visibility=TutorialVisibility.PUBLIC, title="Sauvegarder ses photos")
    make_tutorial(visibility=TutorialVisibility.ASSOCIATION, title="Notre procédure interne")
    body = client.get(reverse("frontend:tutorial_library")).content.decode()
    assert "Sauvegarder ses photos" in body and "Notre procédure interne" not in body


def test_the_library_searches_text_level_and_tool(client, make_tutorial, tool):
    make_tutorial(visibility=TutorialVisibility.PUBLIC, title="Sauvegarder ses photos", tools=[tool])
    make_tutorial(visibility=TutorialVisibility.PUBLIC, title="Écrire une newsletter", level="advanced")
    url = reverse("frontend:tutorial_library")
    assert "Sauvegarder" in client.get(url, {"q": "photos"}).content.decode()
    assert "Sauvegarder" not in client.get(url, {"q": "newsletter"}).content.decode()
    assert "newsletter" in client.get(url, {"level": "advanced"}).content.decode()
    assert "newsletter" not in client.get(url, {"tool": "nextcloud"}).content.decode()


def test_association_only_tutorials_are_404_for_charlie_everywhere(login, make_tutorial, charlie):
    tutorial = make_tutorial(visibility=TutorialVisibility.ASSOCIATION, steps=["Secret"])
    with scopes_disabled():
        step = tutorial.steps.get()
    client = login(charlie)
    for name in ("tutorial_detail", "tutorial_print", "tutorial_pdf"):
        assert client.get(reverse(f"frontend:{name}", kwargs={"code": tutorial.code})).status_code == 404
    image = reverse("frontend:tutorial_step_image", kwargs={"code": tutorial.code, "step_code": step.code})
    assert client.get(image).status_code == 404
    assert client.post(reverse("frontend:tutorial_helped", kwargs={"code": tutorial.code})).status_code == 404
    assert client.get(reverse("frontend:tutorial_pack"), {"t": str(tutorial.code)}).status_code == 404
    assert (
        "Partager un dossier" not in client.get(reverse("frontend:tutorial_library"), {"q": "dossier"}).content.decode()
    )
    edit = reverse("frontend:tutorial_edit", kwargs={"association_slug": A, "code": tutorial.code})
    assert client.get(edit).status_code == 404
    copy = reverse("frontend:tutorial_copy", kwargs={"association_slug": "echecs-loches", "code": tutorial.code})
    assert client.post(copy).status_code == 404
    with scopes_disabled():
        assert Tutorial.objects.count() == 1


def test_network_tutorials_reach_associations_of_a_consenting_network(
    login, make_tutorial, charlie, association, other_association, network, conseiller
):
    tutorial = make_tutorial(visibility=TutorialVisibility.NETWORK)
    url = reverse("frontend:tutorial_detail", kwargs={"code": tutorial.code})
    assert login(charlie).get(url).status_code == 404
    NetworkMembershipFactory(
        association=other_association, network=network, consented_at=association.created_at, consented_by=charlie
    )
    assert login(charlie).get(url).status_code == 200


def test_drafts_stay_inside_the_association(client, login, make_tutorial, bob):
    tutorial = make_tutorial(visibility=TutorialVisibility.PUBLIC, published=False)
    url = reverse("frontend:tutorial_detail", kwargs={"code": tutorial.code})
    assert client.get(url).status_code == 404
    assert login(bob).get(url).status_code == 200


def test_the_editor_works_without_javascript_and_stores_images_privately(login, alice, settings):
    client = login(alice)
    upload = io.BytesIO(png_bytes(size=(2400, 1200)))
    upload.name = "capture.png"
    data = {
        "title": "Créer un compte",
        "summary": "",
        "level": "beginner",
        "audience": "everyone",
        "licence": "CC-BY-SA-4.0",
        "visibility": "association",
        "steps-TOTAL_FORMS": "2",
        "steps-INITIAL_FORMS": "0",
        "steps-0-body": "Ouvrez le site.",
        "steps-0-image": upload,
        "steps-0-image_alt": "La page d'accueil",
        "steps-1-body": "",
    }
    response = client.post(reverse("frontend:tutorial_new", kwargs={"association_slug": A}), data)
    assert response.status_code == 302
    with scopes_disabled():
        step = TutorialStep.objects.get()
    assert step.image.name.startswith("tutorials/") and not step.image.name.endswith("capture.png")
    image_url = reverse("frontend:tutorial_step_image", kwargs={"code": step.tutorial.code, "step_code": step.code})
    response = client.get(image_url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"


def test_a_refused_upload_says_why_and_keeps_the_rest_of_the_form(login, alice):
    client = login(alice)
    upload = io.BytesIO(b"MZ\x90\x00 not really a picture")
    upload.name = "photo.jpg"
    data = {
        "title": "Mon titre gardé",
        "level": "beginner",
        "audience": "everyone",
        "licence": "CC-BY-SA-4.0",
        "visibility": "association",
        "steps-TOTAL_FORMS": "1",
        "steps-INITIAL_FORMS": "0",
        "steps-0-body": "Mon étape gardée",
        "steps-0-image": upload,
    }
    response = client.post(reverse("frontend:tutorial_new", kwargs={"association_slug": A}), data)
    body = response.content.decode()
    assert response.status_code == 400
    assert "Nous ne pouvons pas lire ce fichier comme une image" in body
    assert "Mon titre gardé" in body and "Mon étape gardée" in body
    with scopes_disabled():
        assert not Tutorial.objects.exists()


def test_payloads_in_titles_steps_and_questions_do_not_survive_on_the_page(client, login, make_tutorial, bob):
    corpus = payloads()
    tutorial = make_tutorial(visibility=TutorialVisibility.PUBLIC, title=corpus[0][:200], steps=corpus[:45])
    from shared_tools import services

    for payload in corpus:
        services.ask_question(user=bob, tutorial=tutorial, body=payload)
    second = make_tutorial(visibility=TutorialVisibility.PUBLIC, title="B", steps=corpus[45:])
    for payload in corpus:
        with association_scope(tutorial.association):
            Tutorial.objects.filter(pk__in=[tutorial.pk, second.pk]).update(title=payload[:200])
        for name in ("tutorial_detail", "tutorial_print"):
            body = client.get(reverse(f"frontend:{name}", kwargs={"code": tutorial.code})).content.decode()
            assert problems_in(body) == [], payload
        body = client.get(reverse("frontend:tutorial_detail", kwargs={"code": second.code})).content.decode()
        assert problems_in(body) == [], payload
    body = client.get(reverse("frontend:tutorial_library")).content.decode()
    assert problems_in(body) == []


def test_the_print_view_has_the_qr_code_licence_and_numbered_steps(client, make_tutorial):
    tutorial = make_tutorial(visibility=TutorialVisibility.PUBLIC)
    body = client.get(reverse("frontend:tutorial_print", kwargs={"code": tutorial.code})).content.decode()
    assert "<svg" in body and "Creative Commons BY-SA 4.0" in body
    assert "Étape 1" in body and "Étape 2" in body and "print.css" in body


def _with_images(tutorial, count):
    from shared_tools.images import clean_image

    with scopes_disabled():
        for step in tutorial.steps.all()[:count]:
            clean = clean_image(io.BytesIO(png_bytes(size=(300, 200))))
            step.image.save("x.png", clean.web, save=False)
            step.image_print.save("x.png", clean.print, save=False)
            step.save()


def test_the_pdf_of_a_ten_step_tutorial_with_images_has_every_step(client, make_tutorial):
    steps = [f"Étape numéro {n} : cliquez sur le bouton {n}." for n in range(1, 11)]
    tutorial = make_tutorial(visibility=TutorialVisibility.PUBLIC, steps=steps)
    _with_images(tutorial, 10)
    response = client.get(reverse("frontend:tutorial_pdf", kwargs={"code": tutorial.code}))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(pdf_text(response.content).split())
    for n in range(1, 11):
        assert f"cliquez sur le bouton {n}." in text


def test_a_workshop_pack_of_five_tutorials_has_a_cover_contents_and_every_step(client, make_tutorial):
    tutorials = [
        make_tutorial(
            visibility=TutorialVisibility.PUBLIC,
            title=f"Tutoriel {t}",
            steps=[f"Consigne {t}-{s} pour l'atelier." for s in range(1, 4)],
        )
        for t in range(1, 6)
    ]
    response = client.get(
        reverse("frontend:tutorial_pack"), {"t": [str(t.code) for t in tutorials], "title": "Atelier du jeudi"}
    )
    assert response.status_code == 200
    text = " ".join(pdf_text(response.content).split())
    assert "Atelier du jeudi" in text and "Sommaire" in text
    for t in range(1, 6):
        for s in range(1, 4):
            assert f"Consigne {t}-{s} pour l'atelier." in text


@pytest.mark.parametrize("count", [1, 50])
def test_the_library_runs_a_constant_number_of_queries(client, make_tutorial, django_assert_max_num_queries, count):
    for n in range(count):
        make_tutorial(visibility=TutorialVisibility.PUBLIC, title=f"Tutoriel {n}")
    with django_assert_max_num_queries(6):
        assert client.get(reverse("frontend:tutorial_library")).status_code == 200


def test_the_tool_page_lists_visible_tutorials_only(client, login, make_tutorial, tool, charlie):
    make_tutorial(visibility=TutorialVisibility.PUBLIC, title="Public Nextcloud", tools=[tool])
    make_tutorial(visibility=TutorialVisibility.ASSOCIATION, title="Interne Nextcloud", tools=[tool])
    url = reverse("frontend:tool_detail", kwargs={"slug": tool.slug})
    for viewer in (client, login(charlie)):
        body = viewer.get(url).content.decode()
        assert "Public Nextcloud" in body and "Interne Nextcloud" not in body


@pytest.mark.parametrize("count", [1, 50])
def test_the_tool_page_runs_a_constant_number_of_queries(
    client, make_tutorial, tool, django_assert_max_num_queries, count
):
    for n in range(count):
        make_tutorial(visibility=TutorialVisibility.PUBLIC, title=f"Tutoriel {n}", tools=[tool])
    with django_assert_max_num_queries(10):
        assert client.get(reverse("frontend:tool_detail", kwargs={"slug": tool.slug})).status_code == 200


def test_a_learner_sees_who_can_help_and_asks_for_help(login, association, tool, alice, bob, make_tutorial):
    from notifications.models import Event
    from shared_tools.models import KnowHowLevel
    from tests.shared_tools.factories import ReferentFactory, ToolUsageFactory, membership_of

    ToolUsageFactory(association=association, tool=tool)
    ReferentFactory(membership=membership_of(alice, association), tool=tool, level=KnowHowLevel.MASTERS)
    ReferentFactory(membership=membership_of(bob, association), tool=tool, level=KnowHowLevel.WANTS_TO_LEARN)
    make_tutorial(visibility=TutorialVisibility.ASSOCIATION, title="Bien démarrer", tools=[tool])
    client = login(bob)
    body = client.get(reverse("frontend:know_how", kwargs={"association_slug": A})).content.decode()
    assert "Alice Martin" in body and "Bien démarrer" in body and 'name="tool" value="nextcloud"' in body
    response = client.post(reverse("frontend:request_help", kwargs={"association_slug": A}), {"tool": "nextcloud"})
    assert response.status_code == 302
    with scopes_disabled():
        assert Event.objects.get(kind="help.requested").recipient_ids == [alice.pk]


def test_a_member_of_the_owning_association_can_follow_a_tutorial(client, make_tutorial, bob, charlie):
    tutorial = make_tutorial(visibility=TutorialVisibility.PUBLIC)
    address = reverse("frontend:tutorial_detail", kwargs={"code": tutorial.code})
    client.force_login(bob)
    assert 'name="target_kind" value="tutorial"' in client.get(address).content.decode()
    client.force_login(charlie)
    assert 'name="target_kind"' not in client.get(address).content.decode()
