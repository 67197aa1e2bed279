"""The questionnaire loader and the pure scoring: a table of answers → scores, and refusals."""

import pytest
import yaml
from django.core.exceptions import ImproperlyConfigured, ValidationError

from shared_tools.diagnostic.questionnaire import (
    check_answers,
    load_questionnaire,
    parse_questionnaire,
    score,
)
from shared_tools.diagnostic.radar import radar

from .conftest import SMALL_V1

SMALL = parse_questionnaire(yaml.safe_load(SMALL_V1))


@pytest.mark.parametrize(
    ("answers", "dimensions", "overall"),
    [
        (
            {"partage": "aucun", "relais": "non", "rangement": "perso", "ue": "ne-sait-pas", "connexion": "non"},
            {"competences": 0, "outils": 0, "rgpd": 0, "territoire": 0},
            0,
        ),
        (
            {"partage": "tous", "relais": "oui", "rangement": "partage", "ue": "oui", "connexion": "oui"},
            {"competences": 100, "outils": 100, "rgpd": 100, "territoire": 100},
            100,
        ),
        # 1 of 4 points → 25; 2 of 4 → 50; total 3 of 10 → 30.
        (
            {"partage": "quelques", "relais": "non", "rangement": "perso", "ue": "oui", "connexion": "non"},
            {"competences": 25, "outils": 0, "rgpd": 100, "territoire": 0},
            30,
        ),
        (
            {"partage": "tous", "relais": "non", "rangement": "partage", "ue": "ne-sait-pas", "connexion": "oui"},
            {"competences": 50, "outils": 100, "rgpd": 0, "territoire": 100},
            60,
        ),
    ],
)
def test_each_dimension_scores_its_points_over_its_maximum(answers, dimensions, overall):
    check_answers(SMALL, answers)
    result = score(SMALL, answers)
    assert result.dimensions == dimensions
    assert result.overall == overall


def test_scores_round_half_up():
    questionnaire = parse_questionnaire(
        {
            "version": 9,
            "title": "t",
            "dimensions": [
                {
                    "id": "d",
                    "title": "D",
                    "questions": [
                        {
                            "id": "q",
                            "text": "?",
                            "answers": [{"id": "a", "label": "a", "points": 1}, {"id": "b", "label": "b", "points": 8}],
                        }
                    ],
                }
            ],
        }
    )
    assert score(questionnaire, {"q": "a"}).dimensions == {"d": 13}  # 12.5 → 13


@pytest.mark.parametrize(
    ("answers", "named"),
    [
        ({**dict.fromkeys(["relais", "rangement", "ue", "connexion"], "x"), "partage": "tous"}, "relais"),
        ({"partage": "peut-etre", "relais": "oui", "rangement": "perso", "ue": "oui", "connexion": "oui"}, "partage"),
        ({"partage": "tous", "relais": "oui", "rangement": "perso", "ue": "oui"}, "connexion"),
        (
            {"partage": "tous", "relais": "oui", "rangement": "perso", "ue": "oui", "connexion": "oui", "age": "x"},
            "age",
        ),
    ],
)
def test_an_answer_outside_the_questionnaire_is_refused_naming_the_question(answers, named):
    with pytest.raises(ValidationError) as caught:
        check_answers(SMALL, answers)
    assert named in caught.value.message_dict


def test_the_shipped_questionnaire_has_about_25_questions_over_six_dimensions(settings):
    settings.DIAGNOSTIC_QUESTIONNAIRE_DIR = None
    questionnaire = load_questionnaire()
    assert len(questionnaire.dimensions) == 6
    assert 22 <= questionnaire.question_count <= 28
    assert all(dimension.steps for dimension in questionnaire.dimensions)


@pytest.mark.parametrize(
    "data",
    [
        {"title": "sans version", "dimensions": []},
        {"version": 1, "title": "vide", "dimensions": []},
        {
            "version": 1,
            "title": "doublon",
            "dimensions": [
                {
                    "id": "d",
                    "title": "D",
                    "questions": [
                        {"id": "q", "text": "?", "answers": [{"id": "a", "label": "a", "points": 1}] * 2},
                    ],
                }
            ],
        },
    ],
)
def test_a_malformed_questionnaire_file_is_refused_loudly(data):
    with pytest.raises(ImproperlyConfigured):
        parse_questionnaire(data)


def test_the_radar_puts_a_full_score_on_the_outer_ring_and_zero_at_the_centre():
    chart = radar(["1", "2", "3", "4"], [100, 0, 100, 0])
    first, second, *_ = chart.points.split()
    assert first == "180.0,70.0"  # straight up, radius 110
    assert second == "180.0,180.0"
    assert chart.previous_points == ""
