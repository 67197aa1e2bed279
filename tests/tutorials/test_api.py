"""The tutorials API: the public library and detail, the association's tutorials (write, publish,
copy, "it helped me", questions), visibility across associations, the role matrix, query counts."""

import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from shared_tools.models import Tutorial, TutorialStatus, TutorialVisibility
from tests.shared_tools.factories import ReferentFactory, membership_of
from tests.tutorials.safety import problems_in

pytestmark = pytest.mark.django_db

API = "/api/v1"
A = f"{API}/associations/amis-du-velo/tutorials"
B = f"{API}/associations/echecs-loches/tutorials"


def client_of(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def titles(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["title"] for row in response.json()["results"]}


def new_tutorial(**fields) -> dict:
    return {
        "title": "Créer un sondage",
        "steps": [{"body": "Ouvrez **Framadate**."}, {"body": "Partagez le lien."}],
    } | fields


# The public library and detail --------------------------------------------------------------------


def test_anonymous_callers_see_only_public_published_tutorials(make_tutorial):
    make_tutorial(visibility=TutorialVisibility.PUBLIC, title="Sauvegarder ses photos")
    make_tutorial(visibility=TutorialVisibility.ASSOCIATION, title="Notre procédure interne")
    make_tutorial(visibility=TutorialVisibility.NETWORK, title="Pour le réseau")
    make_tutorial(visibility=TutorialVisibility.PUBLIC, title="Brouillon public", published=False)
    assert titles(client_of().get(f"{API}/tutorials/")) == {"Sauvegarder ses photos"}


def test_the_library_filters_by_tool_level_audience_and_text(make_tutorial, tool):
    make_tutorial(visibility=TutorialVisibility.PUBLIC, title="Sauvegarder ses photos", tools=[tool])
    make_tutorial(
        visibility=TutorialVisibility.PUBLIC,
        title="Écrire une newsletter",
        level="advanced",
        audience="board",
        steps=["Rédigez la lettre d'information."],
    )
    client = client_of()
    assert titles(client.get(f"{API}/tutorials/", {"tool": "nextcloud"})) == {"Sauvegarder ses photos"}
    assert titles(client.get(f"{API}/tutorials/", {"level": "advanced"})) == {"Écrire une newsletter"}
    assert titles(client.get(f"{API}/tutorials/", {"audience": "board"})) == {"Écrire une newsletter"}
    assert titles(client.get(f"{API}/tutorials/", {"q": "photos"})) == {"Sauvegarder ses photos"}


def test_the_library_refuses_an_unknown_level_or_tool():
    assert client_of().get(f"{API}/tutorials/", {"level": "expert"}).status_code == 400
    assert client_of().get(f"{API}/tutorials/", {"tool": "no-such-tool"}).status_code == 400


def test_the_detail_of_a_public_tutorial_has_its_steps_rendered_and_sanitised(make_tutorial):
    tutorial = make_tutorial(
        visibility=TutorialVisibility.PUBLIC, steps=["Ouvrez **Nextcloud**.", "[x](javascript:alert(1)) <img src=x>"]
    )
    body = client_of().get(f"{API}/tutorials/{tutorial.code}/").json()
    assert [step["position"] for step in body["steps"]] == [1, 2]
    assert "<strong>Nextcloud</strong>" in body["steps"][0]["body_html"]
    assert problems_in(body["steps"][1]["body_html"]) == [] and "href" not in body["steps"][1]["body_html"]
    assert body["steps"][0]["image_url"] is None and body["association"] == "Les Amis du Vélo"


def test_an_association_only_tutorial_is_invisible_to_charlie_to_anonymous_callers_and_to_search(
    make_tutorial, charlie
):
    hidden = make_tutorial(visibility=TutorialVisibility.ASSOCIATION, title="Mot de passe du local")
    missing = client_of(charlie).get(f"{API}/tutorials/{uuid.uuid4()}/")
    for caller in (charlie, None):
        response = client_of(caller).get(f"{API}/tutorials/{hidden.code}/")
        assert response.status_code == 404 and response.json() == missing.json()
        assert "Mot de passe du local" not in titles(client_of(caller).get(f"{API}/tutorials/", {"q": "local"}))
        assert "Mot de passe du local" not in titles(client_of(caller).get(f"{API}/tutorials/"))


def test_members_read_their_association_only_tutorials_in_the_library(make_tutorial, bob):
    make_tutorial(visibility=TutorialVisibility.ASSOCIATION, title="Mot de passe du local")
    assert titles(client_of(bob).get(f"{API}/tutorials/")) == {"Mot de passe du local"}


# The association's tutorials ----------------------------------------------------------------------


def test_members_list_their_association_tutorials_drafts_included(make_tutorial, bob):
    make_tutorial(title="Publié")
    make_tutorial(title="Brouillon", published=False)
    assert titles(client_of(bob).get(f"{A}/")) == {"Publié", "Brouillon"}


def test_a_member_writes_a_draft_with_its_steps(bob, tool):
    response = client_of(bob).post(
        f"{A}/", new_tutorial(tools=["nextcloud"], level="intermediate"), content_type="application/json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft" and body["visibility"] == "association" and body["author"] == "Bob Durand"
    assert [step["body"] for step in body["steps"]] == ["Ouvrez **Framadate**.", "Partagez le lien."]
    assert [t["slug"] for t in body["tools"]] == ["nextcloud"] and body["level"] == "intermediate"


def test_a_tutorial_without_steps_or_title_is_refused(bob):
    response = client_of(bob).post(f"{A}/", new_tutorial(steps=[{"body": "  "}]), content_type="application/json")
    assert response.status_code == 400 and "steps" in response.json()["error"]["fields"]
    response = client_of(bob).post(f"{A}/", {"steps": []}, content_type="application/json")
    assert response.status_code == 400 and "title" in response.json()["error"]["fields"]


def test_patch_changes_only_the_fields_sent_and_keeps_the_steps(make_tutorial, alice):
    tutorial = make_tutorial(published=False, level="advanced")
    response = client_of(alice).patch(
        f"{A}/{tutorial.code}/", {"title": "Partager un dossier (v2)"}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["title"] == "Partager un dossier (v2)" and body["level"] == "advanced"
    assert [step["body"] for step in body["steps"]] == ["Ouvrez **Nextcloud**.", "Cliquez sur Partager."]


def test_patch_with_steps_replaces_them_and_keeps_the_codes_sent(make_tutorial, alice):
    tutorial = make_tutorial(published=False)
    first = client_of(alice).get(f"{A}/{tutorial.code}/").json()["steps"][0]
    steps = [{"body": "Nouvelle première étape."}, {"code": first["code"], "body": "Ouvrez Nextcloud."}]
    body = client_of(alice).patch(f"{A}/{tutorial.code}/", {"steps": steps}, content_type="application/json").json()
    assert [step["body"] for step in body["steps"]] == ["Nouvelle première étape.", "Ouvrez Nextcloud."]
    assert body["steps"][1]["code"] == first["code"]


def test_publishing_makes_a_public_tutorial_appear_in_the_library(make_tutorial, alice):
    tutorial = make_tutorial(published=False, visibility=TutorialVisibility.PUBLIC, title="Bientôt public")
    assert "Bientôt public" not in titles(client_of().get(f"{API}/tutorials/"))
    response = client_of(alice).post(f"{A}/{tutorial.code}/publish/")
    assert response.status_code == 200 and response.json()["status"] == "published"
    assert "Bientôt public" in titles(client_of().get(f"{API}/tutorials/"))


def test_the_author_deletes_their_tutorial(make_tutorial, bob):
    tutorial = make_tutorial(by=bob, published=False)
    assert client_of(bob).delete(f"{A}/{tutorial.code}/").status_code == 204
    with scopes_disabled():
        assert not Tutorial.objects.filter(pk=tutorial.pk).exists()


def test_a_member_cannot_change_or_delete_someone_elses_tutorial(make_tutorial, bob):
    tutorial = make_tutorial(published=False)  # by alice
    client = client_of(bob)
    assert client.patch(f"{A}/{tutorial.code}/", {"title": "x"}, content_type="application/json").status_code == 403
    assert client.delete(f"{A}/{tutorial.code}/").status_code == 403
    assert client.post(f"{A}/{tutorial.code}/publish/").status_code == 403
    with scopes_disabled():
        assert Tutorial.objects.get(pk=tutorial.pk).title == "Partager un dossier"


def test_charlie_copies_a_public_tutorial_into_his_association_as_a_draft(make_tutorial, charlie):
    source = make_tutorial(visibility=TutorialVisibility.PUBLIC)
    response = client_of(charlie).post(f"{B}/{source.code}/copy/")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft" and body["association"] == "Club Échecs de Loches"
    assert body["copied_from"] == {
        "code": str(source.code),
        "title": "Partager un dossier",
        "association": "Les Amis du Vélo",
    }
    assert len(body["steps"]) == 2


def test_charlie_cannot_copy_an_association_only_tutorial(make_tutorial, charlie):
    source = make_tutorial(visibility=TutorialVisibility.ASSOCIATION)
    missing = client_of(charlie).post(f"{B}/{uuid.uuid4()}/copy/")
    response = client_of(charlie).post(f"{B}/{source.code}/copy/")
    assert response.status_code == 404 and response.json() == missing.json()
    with scopes_disabled():
        assert not Tutorial.objects.filter(association__slug="echecs-loches").exists()


def test_it_helped_me_counts_once_per_person(make_tutorial, bob):
    tutorial = make_tutorial()
    client = client_of(bob)
    assert client.post(f"{A}/{tutorial.code}/helped/").json() == {"helped_count": 1}
    assert client.post(f"{A}/{tutorial.code}/helped/").json() == {"helped_count": 1}


def test_a_member_asks_and_the_author_answers(make_tutorial, alice, bob):
    tutorial = make_tutorial()
    asked = client_of(bob).post(f"{A}/{tutorial.code}/questions/", {"body": "Et sur mobile ?"}, "application/json")
    assert asked.status_code == 201, asked.content
    question = asked.json()["code"]
    refused = client_of(bob).post(f"{A}/questions/{question}/answers/", {"body": "Moi ?"}, "application/json")
    assert refused.status_code == 403
    answered = client_of(alice).post(f"{A}/questions/{question}/answers/", {"body": "Oui."}, "application/json")
    assert answered.status_code == 201 and answered.json()["author"] == "Alice Martin"
    listed = client_of(bob).get(f"{A}/{tutorial.code}/questions/").json()["results"]
    assert [(q["body"], [a["body"] for a in q["answers"]]) for q in listed] == [("Et sur mobile ?", ["Oui."])]


def test_a_member_who_can_help_with_the_tool_answers(make_tutorial, alice, bob, tool, association):
    tutorial = make_tutorial(tools=[tool])
    ReferentFactory(membership=membership_of(bob, association), tool=tool, level="can_help")
    asked = client_of(alice).post(f"{A}/{tutorial.code}/questions/", {"body": "Quelle version ?"}, "application/json")
    code = asked.json()["code"]
    answered = client_of(bob).post(f"{A}/questions/{code}/answers/", {"body": "La 28."}, "application/json")
    assert answered.status_code == 201, answered.content


# Tenancy and roles ---------------------------------------------------------------------------------


def association_calls(code) -> list[tuple[str, str, dict | None]]:
    return [
        ("get", f"{A}/", None),
        ("post", f"{A}/", new_tutorial()),
        ("get", f"{A}/{code}/", None),
        ("patch", f"{A}/{code}/", {"title": "Changé"}),
        ("delete", f"{A}/{code}/", None),
        ("post", f"{A}/{code}/publish/", None),
        ("post", f"{A}/{code}/helped/", None),
        ("get", f"{A}/{code}/questions/", None),
        ("post", f"{A}/{code}/questions/", {"body": "?"}),
        ("post", f"{A}/questions/{uuid.uuid4()}/answers/", {"body": "!"}),
    ]


def call(client, method, url, data):
    if method == "get":
        return client.get(url)
    return getattr(client, method)(url, data, content_type="application/json")


def test_charlie_gets_the_same_404_as_for_a_missing_association_and_nothing_changes(make_tutorial, charlie):
    tutorial = make_tutorial(visibility=TutorialVisibility.PUBLIC, published=False)
    client = client_of(charlie)
    missing = client.get(f"{API}/associations/no-such-association/tutorials/").json()
    for method, url, data in association_calls(tutorial.code):
        response = call(client, method, url, data)
        assert response.status_code == 404, (method, url)
        assert response.json() == missing
    with scopes_disabled():
        tutorial.refresh_from_db()
        assert tutorial.title == "Partager un dossier" and tutorial.status == TutorialStatus.DRAFT
        assert Tutorial.objects.count() == 1


def test_anonymous_callers_get_401_on_the_association_endpoints(make_tutorial):
    tutorial = make_tutorial()
    for method, url, data in association_calls(tutorial.code):
        assert call(client_of(), method, url, data).status_code == 401, (method, url)


def test_a_conseiller_reads_but_every_write_is_403(make_tutorial, conseiller):
    tutorial = make_tutorial(published=False)
    client = client_of(conseiller)
    for method, url, data in association_calls(tutorial.code):
        expected = 200 if method == "get" else 403
        assert call(client, method, url, data).status_code == expected, (method, url)
    assert client.post(f"{A}/{tutorial.code}/copy/").status_code == 403
    with scopes_disabled():
        assert Tutorial.objects.get(pk=tutorial.pk).status == TutorialStatus.DRAFT


# Query counts ---------------------------------------------------------------------------------------


def many_tutorials(association, tool, n: int) -> None:
    with scopes_disabled():
        rows = Tutorial.objects.bulk_create(
            Tutorial(
                association=association,
                title=f"Tutoriel {i}",
                status=TutorialStatus.PUBLISHED,
                visibility=TutorialVisibility.PUBLIC,
            )
            for i in range(n)
        )
        Tutorial.tools.through.objects.bulk_create(Tutorial.tools.through(tutorial=row, tool=tool) for row in rows)


def queries_for(client: Client, url: str, expected_rows: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200 and response.json()["count"] == expected_rows
    return len(queries)


@pytest.mark.parametrize("who", ["anonymous", "member"])
def test_the_library_runs_the_same_queries_for_one_or_fifty_tutorials(association, bob, tool, who):
    client = client_of(bob if who == "member" else None)
    many_tutorials(association, tool, 1)
    one = queries_for(client, f"{API}/tutorials/", 1)
    many_tutorials(association, tool, 49)
    assert queries_for(client, f"{API}/tutorials/", 50) == one


def test_the_association_list_runs_the_same_queries_for_one_or_fifty_tutorials(association, bob, tool):
    client = client_of(bob)
    many_tutorials(association, tool, 1)
    one = queries_for(client, f"{A}/", 1)
    many_tutorials(association, tool, 49)
    assert queries_for(client, f"{A}/", 50) == one
