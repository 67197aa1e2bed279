"""Tutorial services on the database: revisions, publish, copy, “it helped me”, questions, help."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_scopes import scopes_disabled

from hub.tenancy import association_scope
from notifications.models import Event
from shared_tools import selectors, services
from shared_tools.models import (
    KnowHowLevel,
    Tutorial,
    TutorialHelped,
    TutorialRevision,
    TutorialStatus,
    TutorialStep,
    TutorialVisibility,
)
from shared_tools.services import StepInput
from tests.shared_tools.factories import ReferentFactory, ToolUsageFactory, membership_of

pytestmark = pytest.mark.django_db


def test_create_writes_a_draft_with_ordered_steps_and_a_first_revision(make_tutorial, alice, tool):
    tutorial = make_tutorial(published=False, steps=["Un", "Deux", "Trois"], tools=[tool])
    with scopes_disabled():
        assert tutorial.status == TutorialStatus.DRAFT
        assert list(tutorial.steps.values_list("position", "body")) == [(1, "Un"), (2, "Deux"), (3, "Trois")]
        revision = TutorialRevision.objects.get(tutorial=tutorial)
        assert revision.number == 1 and revision.created_by == alice
        assert revision.snapshot["steps"][1]["body"] == "Deux"
        assert "Trois" in tutorial.search_text


def test_update_keeps_step_codes_records_a_revision_and_shows_the_difference(make_tutorial, access_of, alice):
    tutorial = make_tutorial(published=False, steps=["Un", "Deux"])
    with scopes_disabled():
        first, second = tutorial.steps.order_by("position")
    with association_scope(tutorial.association):
        services.update_tutorial(
            access=access_of(alice),
            tutorial=tutorial,
            title="Partager un dossier <vite>",
            steps=[StepInput(body="Deux bis", code=second.code), StepInput(body="Un", code=first.code)],
        )
    with scopes_disabled():
        assert list(tutorial.steps.values_list("code", "body")) == [(second.code, "Deux bis"), (first.code, "Un")]
        old, new = TutorialRevision.objects.filter(tutorial=tutorial).order_by("number")
        assert new.number == 2
        diff = selectors.revision_diff(old, new)
    assert any(line.kind == "added" and line.text == "Deux bis" for line in diff)
    assert any(line.kind == "removed" and line.text == "Deux" for line in diff)


def test_a_member_edits_only_their_own_tutorial_the_board_any(make_tutorial, access_of, bob, berenice):
    tutorial = make_tutorial(published=False)
    with association_scope(tutorial.association), pytest.raises(PermissionDenied):
        services.update_tutorial(access=access_of(bob), tutorial=tutorial, title="x", steps=[StepInput(body="y")])
    with association_scope(tutorial.association):
        services.update_tutorial(access=access_of(berenice), tutorial=tutorial, title="x", steps=[StepInput(body="y")])


def test_a_tutorial_needs_a_title_and_a_step(association, access_of, alice):
    with association_scope(association), pytest.raises(ValidationError) as error:
        services.create_tutorial(access=access_of(alice), title=" ", steps=[StepInput(body="  ")])
    assert set(error.value.error_dict) == {"title", "steps"}


def test_publishing_twice_notifies_once(make_tutorial, access_of, alice):
    tutorial = make_tutorial(published=True)
    with association_scope(tutorial.association):
        services.publish_tutorial(access=access_of(alice), tutorial=tutorial)
    with scopes_disabled():
        assert Event.objects.filter(kind="tutorial.published").count() == 1
        assert Tutorial.objects.get(pk=tutorial.pk).published_at is not None


def test_copy_into_my_association_is_an_editable_draft_that_names_the_original(
    make_tutorial, other_association, charlie, access_of
):
    original = make_tutorial(visibility=TutorialVisibility.PUBLIC)
    with association_scope(other_association):
        copy = services.copy_tutorial(access=access_of(charlie, other_association), source=original)
    with scopes_disabled():
        assert copy.association == other_association and copy.status == TutorialStatus.DRAFT
        assert copy.copied_from_code == original.code
        assert copy.copied_from_association == "Les Amis du Vélo"
        assert list(copy.steps.values_list("body", flat=True)) == list(original.steps.values_list("body", flat=True))
        assert TutorialStep.objects.filter(tutorial=original).count() == 2


def test_it_helped_me_counts_once_per_person(make_tutorial, bob, charlie):
    tutorial = make_tutorial(visibility=TutorialVisibility.PUBLIC)
    assert services.mark_helped(user=bob, tutorial=tutorial) == 1
    assert services.mark_helped(user=bob, tutorial=tutorial) == 1
    assert services.mark_helped(user=charlie, tutorial=tutorial) == 2


def test_a_conseiller_reads_an_association_only_tutorial_but_cannot_react_to_it(make_tutorial, conseiller, bob):
    tutorial = make_tutorial(visibility=TutorialVisibility.ASSOCIATION)
    assert selectors.visible_tutorials(user=conseiller).filter(pk=tutorial.pk).exists()
    with pytest.raises(PermissionDenied):
        services.mark_helped(user=conseiller, tutorial=tutorial)
    with pytest.raises(PermissionDenied):
        services.ask_question(user=conseiller, tutorial=tutorial, body="Et sur téléphone ?")
    with scopes_disabled():
        assert not TutorialHelped.objects.filter(tutorial=tutorial).exists()
    assert services.mark_helped(user=bob, tutorial=tutorial) == 1  # a member of the association can


def test_a_conseiller_may_react_to_a_public_tutorial_like_any_reader(make_tutorial, conseiller):
    tutorial = make_tutorial(visibility=TutorialVisibility.PUBLIC)
    assert services.mark_helped(user=conseiller, tutorial=tutorial) == 1


def test_questions_are_answered_by_the_author_or_the_tools_referents(
    make_tutorial, association, tool, alice, bob, berenice, charlie
):
    ToolUsageFactory(association=association, tool=tool)
    ReferentFactory(membership=membership_of(berenice, association), tool=tool, level=KnowHowLevel.CAN_HELP)
    tutorial = make_tutorial(visibility=TutorialVisibility.PUBLIC, tools=[tool])
    question = services.ask_question(user=charlie, tutorial=tutorial, body="Et sur téléphone ?")
    services.answer_question(user=alice, question=question, body="Pareil.")
    services.answer_question(user=berenice, question=question, body="Avec l'appli.")
    with pytest.raises(PermissionDenied):
        services.answer_question(user=bob, question=question, body="Je crois.")
    with scopes_disabled():
        assert [a.body for q in selectors.questions_on(tutorial) for a in q.answers.all()] == [
            "Pareil.",
            "Avec l'appli.",
        ]


def test_asking_for_help_notifies_the_referents_only(association, tool, alice, bob, berenice, access_of):
    ToolUsageFactory(association=association, tool=tool)
    ReferentFactory(membership=membership_of(alice, association), tool=tool, level=KnowHowLevel.MASTERS)
    ReferentFactory(membership=membership_of(bob, association), tool=tool, level=KnowHowLevel.WANTS_TO_LEARN)
    with association_scope(association):
        recipients = services.request_help(access=access_of(bob), tool=tool, message="Aidez-moi")
    assert recipients == [alice.pk]
    with scopes_disabled():
        event = Event.objects.get(kind="help.requested")
    assert event.recipient_ids == [alice.pk] and event.actor_id == bob.pk


def test_asking_for_help_when_nobody_can_help_is_refused(association, tool, bob, access_of):
    ToolUsageFactory(association=association, tool=tool)
    with association_scope(association), pytest.raises(ValidationError):
        services.request_help(access=access_of(bob), tool=tool)
