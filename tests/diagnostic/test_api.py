"""The diagnostic API: the questionnaire, diagnostics (list, create, detail) and roadmap actions."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from shared_tools.models import Assessment

from .conftest import WEAK

D = "/api/v1/associations/amis-du-velo/diagnostic"


def _post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


def test_the_questionnaire_is_public_and_current(client, questionnaire_dir):
    body = client.get("/api/v1/diagnostic/questionnaire/").json()
    assert body["version"] == 1
    assert [d["id"] for d in body["dimensions"]] == ["competences", "outils", "rgpd", "territoire"]
    assert body["dimensions"][0]["questions"][0]["answers"][0] == {"id": "aucun", "label": "Personne", "points": 0}


def test_the_board_records_a_diagnostic_and_reads_it_back(login, questionnaire_dir, association, berenice):
    client = login(berenice)
    response = _post(client, f"{D}/assessments/", {"answers": WEAK, "with_advisor": True})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["score"] == 40 and body["answers"] == WEAK and body["with_advisor"] is True
    assert client.get(f"{D}/assessments/{body['code']}/").json()["scores"]["competences"] == 100
    assert client.get(f"{D}/assessments/").json()["count"] == 1


def test_an_unknown_answer_is_a_400_naming_the_question(login, questionnaire_dir, association, berenice):
    response = _post(login(berenice), f"{D}/assessments/", {"answers": {**WEAK, "ue": "mars"}})
    assert response.status_code == 400
    assert "ue" in response.json()["error"]["fields"]
    with scopes_disabled():
        assert not Assessment.objects.exists()


@pytest.mark.parametrize(("who", "read", "write"), [("bob", 200, 403), ("conseiller", 200, 403), ("charlie", 404, 404)])
def test_members_and_conseillers_read_only_outsiders_get_404(
    request, login, questionnaire_dir, association, bob, conseiller, charlie, who, read, write
):
    client = login(request.getfixturevalue(who))
    assert client.get(f"{D}/assessments/").status_code == read
    assert client.get(f"{D}/roadmap/").status_code == read
    assert _post(client, f"{D}/assessments/", {"answers": WEAK}).status_code == write


def test_roadmap_steps_are_listed_and_acted_on(login, questionnaire_dir, take, association, berenice, bob):
    take(berenice)
    client = login(berenice)
    steps = client.get(f"{D}/roadmap/").json()["results"]
    assert len(steps) == 3
    first, second, third = (s["code"] for s in steps)
    assert _post(login(bob), f"{D}/roadmap/{first}/done/").status_code == 403
    client = login(berenice)
    assert _post(client, f"{D}/roadmap/{first}/done/").json()["status"] == "done"
    until = (timezone.localdate() + timedelta(days=7)).isoformat()
    assert _post(client, f"{D}/roadmap/{second}/postpone/", {"until": until}).json()["postponed_until"] == until
    assert _post(client, f"{D}/roadmap/{third}/dismiss/", {"reason": ""}).status_code == 400
    assert _post(client, f"{D}/roadmap/{third}/dismiss/", {"reason": "Non"}).json()["status"] == "dismissed"
    assert _post(client, f"{D}/roadmap/{first}/done/").status_code == 400


def test_the_assessment_list_runs_the_same_queries_for_1_and_20(
    login, questionnaire_dir, take, association, berenice, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    take(berenice)
    client = login(berenice)
    client.get(f"{D}/assessments/")
    with CaptureQueriesContext(connection) as one:
        client.get(f"{D}/assessments/")
    for _ in range(19):
        take(berenice)
    with django_assert_num_queries(len(one.captured_queries)):
        assert client.get(f"{D}/assessments/").json()["count"] == 20
