"""Recording a diagnostic and the small-steps roadmap, on the database."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django_scopes import scopes_disabled

from hub.tenancy import association_scope
from shared_tools import selectors, services
from shared_tools.models import Assessment, DiagnosticAnswer, RoadmapStep, StepLink, StepStatus
from shared_tools.services import StepInput
from tests.shared_tools.factories import ToolFactory, ToolRelationFactory, ToolUsageFactory

from .conftest import ALL_ZERO, WEAK


def _roadmap(association):
    with association_scope(association):
        return list(selectors.roadmap_of(association))


def test_a_diagnostic_stores_its_version_answers_and_scores(take, association, berenice):
    assessment = take(berenice, with_advisor=True, source="paper")
    with scopes_disabled():
        assessment = Assessment.objects.get(pk=assessment.pk)
        answers = dict(DiagnosticAnswer.objects.filter(assessment=assessment).values_list("question_id", "answer_id"))
    assert assessment.version == 1
    assert assessment.scores == {"competences": 100, "outils": 0, "rgpd": 0, "territoire": 0}
    assert assessment.score == 40
    assert (assessment.with_advisor, assessment.source, assessment.taken_by) == (True, "paper", berenice)
    assert answers == WEAK


def test_an_unknown_answer_is_refused_and_nothing_is_stored(take, association, berenice):
    with pytest.raises(ValidationError) as caught:
        take(berenice, {**WEAK, "ue": "sur-la-lune"})
    assert "ue" in caught.value.message_dict
    with scopes_disabled():
        assert not Assessment.objects.exists()
        assert not DiagnosticAnswer.objects.exists()
        assert not RoadmapStep.objects.exists()


def test_a_member_cannot_take_the_diagnostic(take, bob):
    with pytest.raises(PermissionDenied):
        take(bob)


def test_a_conseiller_cannot_take_the_diagnostic_with_the_association(take, conseiller):
    with pytest.raises(PermissionDenied):
        take(conseiller)


def test_the_roadmap_proposes_at_most_three_steps_from_the_weakest_dimensions(take, association, berenice):
    take(berenice)
    steps = _roadmap(association)
    assert [s.dimension for s in steps] == ["outils", "rgpd", "territoire"]
    assert all(s.status == StepStatus.PROPOSED for s in steps)
    # The skills dimension is at 100: nothing proposed there.
    assert "competences" not in {s.dimension for s in steps}


def test_a_second_diagnostic_does_not_grow_the_list_beyond_three(take, association, berenice):
    take(berenice, ALL_ZERO)
    take(berenice, ALL_ZERO)
    assert len(_roadmap(association)) == 3


def test_finishing_a_step_proposes_the_next_one(take, association, berenice, access_of):
    take(berenice, ALL_ZERO)
    first = _roadmap(association)[0]
    assert first.key == "competences-a"
    with association_scope(association):
        done = services.complete_step(access=access_of(berenice), step=first)
    assert done.status == StepStatus.DONE
    steps = _roadmap(association)
    assert len(steps) == 3
    assert first.pk not in {s.pk for s in steps}
    # All dimensions tie at 0: the questionnaire's order decides, and skills has a next candidate.
    assert {s.key for s in steps} == {"competences-b", "outils-a", "rgpd-a"}


def test_a_step_done_or_dismissed_is_not_proposed_again(take, association, berenice, access_of):
    take(berenice)
    step = _roadmap(association)[0]
    with association_scope(association):
        services.dismiss_step(access=access_of(berenice), step=step, reason="Déjà fait autrement")
    take(berenice)
    assert step.key not in {s.key for s in _roadmap(association)}


def test_dismissing_needs_a_reason(take, association, berenice, access_of):
    take(berenice)
    step = _roadmap(association)[0]
    with association_scope(association), pytest.raises(ValidationError) as caught:
        services.dismiss_step(access=access_of(berenice), step=step, reason="  ")
    assert "reason" in caught.value.message_dict
    with scopes_disabled():
        assert RoadmapStep.objects.get(pk=step.pk).status == StepStatus.PROPOSED


def test_a_postponed_step_waits_until_its_date_and_another_is_proposed_meanwhile(
    take, association, berenice, access_of
):
    take(berenice, ALL_ZERO)
    step = _roadmap(association)[0]
    until = timezone.localdate() + timedelta(days=30)
    with association_scope(association):
        postponed = services.postpone_step(access=access_of(berenice), step=step, until=until, reason="Après l'AG")
    assert (postponed.status, postponed.postponed_until) == (StepStatus.POSTPONED, until)
    assert postponed.reason == "Après l'AG"
    with association_scope(association):
        active = list(association.roadmap_steps.filter(selectors.active_step_filter()))
    assert len(active) == 3 and step.pk not in {s.pk for s in active}
    with time_machine.travel(timezone.now() + timedelta(days=31)), association_scope(association):
        assert association.roadmap_steps.filter(selectors.active_step_filter(), pk=step.pk).exists()


def test_postponing_to_a_past_date_is_refused(take, association, berenice, access_of):
    take(berenice)
    step = _roadmap(association)[0]
    with association_scope(association), pytest.raises(ValidationError):
        services.postpone_step(access=access_of(berenice), step=step, until=timezone.localdate())


def test_a_member_cannot_act_on_a_step(take, association, berenice, bob, access_of):
    take(berenice)
    step = _roadmap(association)[0]
    with association_scope(association), pytest.raises(PermissionDenied):
        services.complete_step(access=access_of(bob), step=step)


def test_a_step_already_done_cannot_be_done_twice(take, association, berenice, access_of):
    take(berenice)
    step = _roadmap(association)[0]
    with association_scope(association):
        services.complete_step(access=access_of(berenice), step=step)
        with pytest.raises(ValidationError):
            services.dismiss_step(access=access_of(berenice), step=step, reason="Non")


def test_a_free_alternative_to_a_proprietary_tool_in_the_stack_becomes_a_step(take, association, berenice):
    drive = ToolFactory(name="Google Drive", free_software="no")
    nextcloud = ToolFactory(name="Nextcloud", free_software="yes")
    ToolRelationFactory(from_tool=nextcloud, to_tool=drive)
    ToolUsageFactory(association=association, tool=drive)
    take(berenice)
    steps = {s.key: s for s in _roadmap(association)}
    step = steps["outils-alternative:nextcloud"]
    assert (step.link_kind, step.tool) == (StepLink.TOOL, nextcloud)
    assert "Nextcloud" in step.title and "Google Drive" in step.title


def test_a_published_tutorial_the_board_can_read_is_linked(take, association, berenice, alice, access_of):
    with association_scope(association):
        access = access_of(alice)
        tutorial = services.create_tutorial(
            access=access, title="RGPD pour les nuls", steps=[StepInput(body="Listez vos fichiers.")]
        )
        services.publish_tutorial(access=access, tutorial=tutorial)
    take(berenice)
    step = next(s for s in _roadmap(association) if s.key == "rgpd-a")
    assert (step.link_kind, step.tutorial) == (StepLink.TUTORIAL, tutorial)
    other = next(s for s in _roadmap(association) if s.key == "territoire-a")
    assert (other.link_kind, other.search) == (StepLink.LIBRARY, "visio")
