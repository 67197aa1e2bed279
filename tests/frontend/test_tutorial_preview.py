# ruff: noqa: F811 -- the tutorial fixtures are imported from tests/tutorials/conftest.py
"""The editor's live preview (htmx): sanitised Markdown, members who write only, bounded input,
and an editor that still works without JavaScript."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.tutorials.conftest import _media, make_tutorial  # noqa: F401 (fixtures)
from tests.tutorials.safety import payloads, problems_in

pytestmark = pytest.mark.django_db

A = "amis-du-velo"
PREVIEW = reverse("frontend:tutorial_preview", kwargs={"association_slug": A})


def client_of(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_the_preview_renders_a_step_as_the_tutorial_will_show_it(bob):
    response = client_of(bob).post(PREVIEW, {"steps-3-body": "Ouvrez **Nextcloud**."})
    assert response.status_code == 200
    assert "<strong>Nextcloud</strong>" in response.content.decode()


@pytest.mark.parametrize(
    "payload", ["<img src=x onerror=alert(1)>", "[x](javascript:alert(1))", "[x](JaVaScRiPt:alert(1))"]
)
def test_the_preview_sanitises_an_xss_payload(bob, payload):
    body = client_of(bob).post(PREVIEW, {"steps-0-body": payload}).content.decode()
    assert problems_in(body) == [] and "<img" not in body and "href" not in body


def test_the_preview_sanitises_every_known_payload(bob):
    client = client_of(bob)
    for payload in payloads():
        response = client.post(PREVIEW, {"body": payload})
        assert response.status_code == 200
        assert problems_in(response.content.decode()) == [], payload


def test_an_anonymous_visitor_is_sent_to_the_login_page(association):
    response = client_of().post(PREVIEW, {"body": "x"})
    assert response.status_code == 302 and reverse("frontend:login") in response["Location"]


def test_charlie_gets_the_same_404_as_for_an_unknown_association(charlie):
    missing = client_of(charlie).post(
        reverse("frontend:tutorial_preview", kwargs={"association_slug": "inconnue"}), {"body": "x"}
    )
    response = client_of(charlie).post(PREVIEW, {"body": "x"})
    assert response.status_code == missing.status_code == 404


def test_a_conseiller_who_cannot_write_tutorials_gets_403(conseiller):
    assert client_of(conseiller).post(PREVIEW, {"body": "x"}).status_code == 403


def test_an_oversize_text_is_refused_with_a_message(bob):
    response = client_of(bob).post(PREVIEW, {"body": "a" * 20_001})
    assert response.status_code == 400 and "trop long" in response.content.decode()
    assert client_of(bob).post(PREVIEW, {"body": "a" * 20_000}).status_code == 200


def test_the_preview_wants_exactly_one_text_and_a_post(bob):
    assert client_of(bob).post(PREVIEW, {"steps-0-body": "a", "steps-1-body": "b"}).status_code == 400
    assert client_of(bob).post(PREVIEW, {"title": "a"}).status_code == 400
    assert client_of(bob).get(PREVIEW).status_code == 405


def test_the_editor_wires_each_step_to_the_preview_with_the_csrf_header(bob):
    body = client_of(bob).get(reverse("frontend:tutorial_new", kwargs={"association_slug": A})).content.decode()
    assert f'hx-post="{PREVIEW}"' in body
    assert 'hx-trigger="keyup changed delay:500ms"' in body
    assert 'hx-target="#steps-0-preview"' in body and 'id="steps-0-preview"' in body
    assert 'hx-params="steps-0-body"' in body
    assert "hx-headers='{&quot;X-CSRFToken&quot;" in body or 'hx-headers=\'{"X-CSRFToken"' in body
    # CSP: no inline script and no style attribute.
    assert "<script>" not in body and " style=" not in body


def test_the_csrf_header_from_the_editor_page_is_accepted(bob):
    client = Client(enforce_csrf_checks=True)
    client.force_login(bob)
    page = client.get(reverse("frontend:tutorial_new", kwargs={"association_slug": A})).content.decode()
    token = re.search(r"hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'", page).group(1)
    assert client.post(PREVIEW, {"body": "x"}).status_code == 403
    assert client.post(PREVIEW, {"body": "*x*"}, headers={"X-CSRFToken": token}).status_code == 200


def test_the_editor_of_an_existing_tutorial_also_has_the_preview(make_tutorial, alice):
    tutorial = make_tutorial(published=False)
    url = reverse("frontend:tutorial_edit", kwargs={"association_slug": A, "code": tutorial.code})
    body = client_of(alice).get(url).content.decode()
    assert 'hx-target="#steps-1-preview"' in body


def test_the_editor_still_saves_without_javascript(bob):
    url = reverse("frontend:tutorial_new", kwargs={"association_slug": A})
    data = {
        "title": "Sans JavaScript",
        "level": "beginner",
        "audience": "everyone",
        "licence": "CC-BY-SA-4.0",
        "visibility": "association",
        "steps-TOTAL_FORMS": "2",
        "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "50",
        "steps-0-body": "Première étape.",
        "steps-1-body": "",
    }
    assert client_of(bob).post(url, data).status_code == 302
