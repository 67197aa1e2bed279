"""A small questionnaire in a temporary folder (`DIAGNOSTIC_QUESTIONNAIRE_DIR`), so the tests do
not depend on the wording of the shipped one, and helpers to take it."""

import textwrap

import pytest
from django.test.utils import override_settings

from hub.tenancy import association_scope
from shared_tools import services

SMALL_V1 = textwrap.dedent(
    """
    version: 1
    title: "Petit diagnostic"
    dimensions:
      - id: competences
        title: "Compétences"
        questions:
          - id: partage
            text: "Combien de bénévoles savent partager un fichier ?"
            answers:
              - {id: aucun, label: "Personne", points: 0}
              - {id: quelques, label: "Quelques-uns", points: 1}
              - {id: tous, label: "Tous", points: 2}
          - id: relais
            text: "Quelqu'un peut-il prendre le relais ?"
            answers:
              - {id: non, label: "Non", points: 0}
              - {id: oui, label: "Oui", points: 2}
        steps:
          - {id: competences-a, title: "Lire un tutoriel de partage", link: {kind: tutorial, words: "partage"}}
          - {id: competences-b, title: "Nommer des référents", link: {kind: tutorial, words: "référent"}}
      - id: outils
        title: "Outils"
        questions:
          - id: rangement
            text: "Où sont rangés les documents ?"
            answers:
              - {id: perso, label: "Chez chacun", points: 0}
              - {id: partage, label: "Espace partagé", points: 3}
        steps:
          - {id: outils-alternative, title: "Essayer une alternative libre", link: {kind: alternative}}
          - {id: outils-proposer, title: "Proposer au vote", link: {kind: proposal, tool: alternative}}
          - {id: outils-a, title: "Ranger les documents", link: {kind: tutorial, words: "rangement"}}
      - id: rgpd
        title: "Données personnelles"
        questions:
          - id: ue
            text: "Vos données de membres sont-elles stockées dans l'UE ?"
            answers:
              - {id: ne-sait-pas, label: "Nous ne savons pas", points: 0}
              - {id: oui, label: "Oui", points: 2}
        steps:
          - {id: rgpd-a, title: "Lister vos données", link: {kind: tutorial, words: "RGPD"}}
      - id: territoire
        title: "Territoire"
        questions:
          - id: connexion
            text: "Le local a-t-il une connexion ?"
            answers:
              - {id: non, label: "Non", points: 0}
              - {id: oui, label: "Oui", points: 1}
        steps:
          - {id: territoire-a, title: "Tester une visio", link: {kind: tutorial, words: "visio"}}
    """
)

# Everything at zero but the skills (100): the three weakest are outils, rgpd, territoire.
WEAK = {"partage": "tous", "relais": "oui", "rangement": "perso", "ue": "ne-sait-pas", "connexion": "non"}
ALL_ZERO = {"partage": "aucun", "relais": "non", "rangement": "perso", "ue": "ne-sait-pas", "connexion": "non"}


@pytest.fixture
def questionnaire_dir(tmp_path):
    (tmp_path / "diagnostic-v1.yml").write_text(SMALL_V1, encoding="utf-8")
    with override_settings(DIAGNOSTIC_QUESTIONNAIRE_DIR=str(tmp_path)):
        yield tmp_path


@pytest.fixture
def take(questionnaire_dir, association, access_of):
    """`take(user, answers)` records a diagnostic as `user` on association A."""

    def _take(user, answers=None, **kwargs):
        with association_scope(association):
            return services.take_assessment(access=access_of(user), answers=dict(answers or WEAK), **kwargs)

    return _take
