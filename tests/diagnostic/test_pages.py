"""Diagnostic pages: who reads, who takes, the form without script, old versions, the print form,
query counts, the roadmap actions, the conseillers' dashboard column and the prefilled proposal."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from hub.tenancy import association_scope
from shared_tools import selectors
from shared_tools.models import Assessment, RoadmapStep, StepStatus
from tests.shared_tools.factories import ToolFactory

from .conftest import SMALL_V1, WEAK


def _url(name, association, **kwargs):
    return reverse(f"frontend:{name}", kwargs={"association_slug": association.slug, **kwargs})


def _form_data(answers=WEAK, **extra):
    return {**{f"q-{q}": a for q, a in answers.items()}, "source": "online", **extra}


@pytest.mark.parametrize(
    ("who", "home", "take"),
    [("alice", 200, 200), ("berenice", 200, 200), ("bob", 200, 403), ("conseiller", 200, 403), ("charlie", 404, 404)],
)
def test_members_and_conseillers_read_the_board_takes_outsiders_get_404(
    request, login, questionnaire_dir, association, alice, berenice, bob, conseiller, charlie, who, home, take
):
    client = login(request.getfixturevalue(who))
    assert client.get(_url("diagnostic", association)).status_code == home
    assert client.get(_url("diagnostic_take", association)).status_code == take
    assert client.get(_url("diagnostic_print", association)).status_code == home


def test_a_conseiller_cannot_post_a_diagnostic(login, questionnaire_dir, association, conseiller):
    response = login(conseiller).post(_url("diagnostic_take", association), _form_data())
    assert response.status_code == 403
    with scopes_disabled():
        assert not Assessment.objects.exists()


def test_charlie_posting_a_diagnostic_gets_404_and_nothing_changes(login, questionnaire_dir, association, charlie):
    assert login(charlie).post(_url("diagnostic_take", association), _form_data()).status_code == 404
    with scopes_disabled():
        assert not Assessment.objects.exists()


def test_the_board_takes_the_diagnostic_on_one_page_and_sees_the_result(
    login, questionnaire_dir, association, berenice
):
    client = login(berenice)
    page = client.get(_url("diagnostic_take", association)).content.decode()
    assert "Vos données de membres sont-elles stockées dans l&#x27;UE ?" in page
    assert page.count('type="radio"') == 3 + 2 + 2 + 2 + 2 + 2  # the answers and the two ways of taking it
    response = client.post(_url("diagnostic_take", association), _form_data(with_advisor="on"))
    with scopes_disabled():
        assessment = Assessment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _url("diagnostic_result", association, code=assessment.code)
    assert assessment.with_advisor
    result = client.get(response["Location"]).content.decode()
    assert "<svg" in result and "style=" not in result
    assert "Chez chacun" in result  # the answer's label


def test_a_missing_answer_shows_the_form_again_and_stores_nothing(login, questionnaire_dir, association, berenice):
    answers = {k: v for k, v in WEAK.items() if k != "ue"}
    response = login(berenice).post(_url("diagnostic_take", association), _form_data(answers))
    assert response.status_code == 400
    assert response.context["form"].errors["q-ue"]
    with scopes_disabled():
        assert not Assessment.objects.exists()


def test_an_old_result_still_displays_after_a_new_questionnaire_version_ships(
    login, questionnaire_dir, take, association, berenice
):
    old = take(berenice)
    (questionnaire_dir / "diagnostic-v2.yml").write_text(
        SMALL_V1.replace("version: 1", "version: 2")
        .replace("Compétences", "Savoir-faire")
        .replace("Combien de bénévoles savent partager un fichier ?", "Qui sait partager ?"),
        encoding="utf-8",
    )
    client = login(berenice)
    assert "Qui sait partager ?" in client.get(_url("diagnostic_take", association)).content.decode()
    page = client.get(_url("diagnostic_result", association, code=old.code)).content.decode()
    assert "Combien de bénévoles savent partager un fichier ?" in page
    assert "Qui sait partager ?" not in page
    new = client.post(_url("diagnostic_take", association), _form_data())
    assert new.status_code == 302
    with scopes_disabled():
        assert sorted(Assessment.objects.values_list("version", flat=True)) == [1, 2]
    assert client.get(_url("diagnostic", association)).status_code == 200


def test_the_print_form_lists_every_question_and_answer_box(login, questionnaire_dir, association, bob):
    page = login(bob).get(_url("diagnostic_print", association)).content.decode()
    assert "print.css" in page
    assert page.count("☐") == 3 + 2 + 2 + 2 + 2 + 1  # the answers and the "with our conseiller" box
    assert "Le local a-t-il une connexion ?" in page


def test_the_home_page_shows_progress_with_deltas(login, questionnaire_dir, take, association, berenice):
    take(berenice, {**WEAK, "partage": "aucun", "relais": "non"})
    take(berenice)
    response = login(berenice).get(_url("diagnostic", association))
    rows = response.context["history"]
    assert [row.overall_delta for row in rows] == [40, None]
    assert rows[0].deltas["competences"] == 100
    assert "+100" in response.content.decode()


def test_the_history_runs_the_same_queries_for_1_and_20_diagnostics(
    login, questionnaire_dir, take, association, berenice, django_assert_num_queries
):
    take(berenice)
    client = login(berenice)
    client.get(_url("diagnostic", association))
    with CaptureQueriesContext(connection) as one:
        client.get(_url("diagnostic", association))
    for _ in range(19):
        take(berenice)
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(_url("diagnostic", association))
    assert len(response.context["history"]) == 20


def test_the_board_marks_a_step_done_and_the_next_one_appears(login, questionnaire_dir, take, association, berenice):
    take(berenice, {**WEAK, "partage": "aucun"})
    client = login(berenice)
    steps = client.get(_url("diagnostic", association)).context["steps_now"]
    assert len(steps) == 3
    response = client.post(_url("diagnostic_step_done", association, code=steps[0].code))
    assert response.status_code == 302
    after = client.get(_url("diagnostic", association)).context["steps_now"]
    assert len(after) == 3 and steps[0].code not in {s.code for s in after}


def test_postpone_and_dismiss_from_the_page(login, questionnaire_dir, take, association, berenice):
    take(berenice)
    client = login(berenice)
    first, second, _third = client.get(_url("diagnostic", association)).context["steps_now"]
    until = (timezone.localdate() + timedelta(days=10)).isoformat()
    client.post(_url("diagnostic_step_postpone", association, code=first.code), {"until": until, "reason": ""})
    client.post(_url("diagnostic_step_dismiss", association, code=second.code), {"reason": ""})
    with scopes_disabled():
        assert RoadmapStep.objects.get(pk=first.pk).status == StepStatus.POSTPONED
        assert RoadmapStep.objects.get(pk=second.pk).status == StepStatus.PROPOSED  # no reason: refused
    client.post(_url("diagnostic_step_dismiss", association, code=second.code), {"reason": "Pas pour nous"})
    with scopes_disabled():
        assert RoadmapStep.objects.get(pk=second.pk).reason == "Pas pour nous"
    later = client.get(_url("diagnostic", association)).context["steps_later"]
    assert [s.pk for s in later] == [first.pk]


def test_a_member_cannot_act_on_a_step(login, questionnaire_dir, take, association, berenice, bob):
    take(berenice)
    with association_scope(association):
        step = selectors.roadmap_of(association).first()
    assert login(bob).post(_url("diagnostic_step_done", association, code=step.code)).status_code == 403
    with scopes_disabled():
        assert RoadmapStep.objects.get(pk=step.pk).status == StepStatus.PROPOSED


def test_a_proposal_step_links_to_the_prefilled_governance_form(login, questionnaire_dir, take, association, berenice):
    from tests.shared_tools.factories import ToolRelationFactory, ToolUsageFactory

    drive = ToolFactory(name="Google Drive", free_software="no")
    nextcloud = ToolFactory(name="Nextcloud", free_software="yes")
    ToolRelationFactory(from_tool=nextcloud, to_tool=drive)
    ToolUsageFactory(association=association, tool=drive)
    take(berenice, {**WEAK, "rangement": "perso"})
    client = login(berenice)
    steps = client.get(_url("diagnostic", association)).context["steps_now"]
    hrefs = [s.href for s in steps]
    assert reverse("frontend:tool_detail", args=["nextcloud"]) in hrefs
    # The first outils step is the alternative; dismiss it and the proposal comes next.
    alternative = next(s for s in steps if s.key == "outils-alternative:nextcloud")
    client.post(_url("diagnostic_step_dismiss", association, code=alternative.code), {"reason": "Essayé"})
    steps = client.get(_url("diagnostic", association)).context["steps_now"]
    proposal = next(s for s in steps if s.key == "outils-proposer:nextcloud")
    assert proposal.href.startswith(_url("proposal_create", association) + "?kind=adopt&tool=nextcloud&title=")
    form = client.get(proposal.href).context["form"]
    assert form.initial["kind"] == "adopt"
    assert form.initial["option_1_tool"] == "Nextcloud"
    assert form.initial["title"] == "Adopter Nextcloud"


def test_the_proposal_form_ignores_unknown_prefill_values(login, association, alice):
    response = login(alice).get(_url("proposal_create", association), {"kind": "revolution", "tool": "inconnu"})
    assert response.status_code == 200
    assert response.context["form"].initial["kind"] == "other"
    assert "option_1_tool" not in response.context["form"].initial


def test_the_dashboard_shows_the_latest_diagnostic_score_and_date(
    login, questionnaire_dir, take, association, berenice, conseiller, network
):
    take(berenice, {**WEAK, "partage": "aucun", "relais": "non"})
    latest = take(berenice)
    client = login(conseiller)
    response = client.get(reverse("frontend:network_dashboard", args=[network.slug]))
    row = response.context["rows"][0]
    assert (row.diagnostic_score, row.diagnostic_at) == (latest.score, latest.taken_at)
    assert f"{latest.score}/100" in response.content.decode()
    export = client.get(reverse("frontend:network_dashboard_csv", args=[network.slug]))
    lines = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    header, values = lines[0], lines[1]
    assert values[header.index("Score du diagnostic")] == str(latest.score)
    assert values[header.index("Date du diagnostic")] == timezone.localtime(latest.taken_at).strftime("%d/%m/%Y")


def test_the_dashboard_shows_a_dash_without_diagnostic(login, association, conseiller, network):
    response = login(conseiller).get(reverse("frontend:network_dashboard", args=[network.slug]))
    assert response.context["rows"][0].diagnostic_score is None


def test_the_shipped_questionnaire_can_be_taken_and_printed(settings, login, association, berenice):
    from shared_tools.diagnostic.questionnaire import load_questionnaire

    settings.DIAGNOSTIC_QUESTIONNAIRE_DIR = None
    questionnaire = load_questionnaire()
    # The second answer of each question (the first is often "nobody" / "we don't know").
    answers = {q.id: q.answers[1].id for d in questionnaire.dimensions for q in d.questions}
    client = login(berenice)
    assert (
        "Vos données de membres sont-elles stockées dans"
        in client.get(_url("diagnostic_print", association)).content.decode()
    )
    response = client.post(_url("diagnostic_take", association), _form_data(answers, source="paper"))
    assert response.status_code == 302
    home = client.get(_url("diagnostic", association))
    assert home.status_code == 200
    assert 1 <= len(home.context["steps_now"]) <= 3
