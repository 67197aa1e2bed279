"""Stacks and know-how: services on the database, the lifecycle table, predicates and selectors."""

import uuid
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django_scopes import ScopeError, scopes_disabled

from hub.tenancy import association_scope
from shared_tools import selectors, services
from shared_tools.models import (
    STAGE_TRANSITIONS,
    KnowHowLevel,
    KnowHowRisk,
    Referent,
    Stage,
    ToolUsage,
    ToolUsageChange,
    Visibility,
)
from tests.factories import MembershipFactory, UserFactory
from tests.shared_tools.factories import ReferentFactory, ToolFactory, ToolUsageFactory, membership_of


@pytest.fixture(autouse=True)
def _in_association_scope(association):
    # Services run inside the scope their entry point (request, task) opened; so do these tests.
    with association_scope(association):
        yield


@pytest.fixture
def tool(db):
    return ToolFactory(name="Framadate")


@pytest.fixture
def usage(association, tool):
    return ToolUsageFactory(association=association, tool=tool, stage=Stage.CONSIDERED)


def history(usage):
    with scopes_disabled():
        return list(
            ToolUsageChange.objects.filter(usage=usage).order_by("pk").values_list("from_stage", "to_stage", "reason")
        )


# Adding and editing -----------------------------------------------------------------------


def test_the_board_adds_a_tool_and_its_history_starts(berenice, association, tool, access_of):
    usage = services.add_tool_to_stack(
        access=access_of(berenice),
        tool=tool,
        stage=Stage.ADOPTED,
        purpose="  Sondages pour les réunions. ",
        yearly_cost=Decimal("12.50"),
        reason="Utilisé depuis 2020",
    )

    assert (usage.association, usage.stage, usage.purpose) == (
        association,
        Stage.ADOPTED,
        "Sondages pour les réunions.",
    )
    assert history(usage) == [("", Stage.ADOPTED, "Utilisé depuis 2020")]
    assert usage.changes.get().changed_by == berenice


def test_a_tool_is_in_a_stack_only_once(berenice, usage, tool, access_of):
    with pytest.raises(ValidationError) as error:
        services.add_tool_to_stack(access=access_of(berenice), tool=tool)

    assert "tool" in error.value.error_dict


def test_the_database_refuses_a_second_usage_of_the_same_tool(association, usage, tool):
    with pytest.raises(IntegrityError), scopes_disabled():
        ToolUsage.objects.create(association=association, tool=tool)


@pytest.mark.parametrize("who", ["bob", "conseiller"])
def test_members_and_conseillers_cannot_add_tools(request, who, tool, access_of):
    with pytest.raises(PermissionDenied):
        services.add_tool_to_stack(access=access_of(request.getfixturevalue(who)), tool=tool)

    with scopes_disabled():
        assert not ToolUsage.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("satisfaction", 6), ("satisfaction", 0), ("yearly_cost", Decimal("-1")), ("visibility", "everybody")],
)
def test_out_of_range_values_are_refused(berenice, usage, access_of, field, value):
    with pytest.raises(ValidationError) as error:
        services.update_usage(access=access_of(berenice), usage=usage, **{field: value})

    assert field in error.value.error_dict


def test_an_end_date_before_the_start_date_is_refused(berenice, usage, access_of):
    import datetime

    with pytest.raises(ValidationError) as error:
        services.update_usage(
            access=access_of(berenice), usage=usage, since=datetime.date(2024, 5, 1), until=datetime.date(2024, 4, 1)
        )

    assert "until" in error.value.error_dict


def test_the_board_edits_what_the_association_says_of_a_tool(berenice, usage, access_of):
    services.update_usage(
        access=access_of(berenice), usage=usage, purpose="Covoiturages", satisfaction=4, visibility=Visibility.PUBLIC
    )

    usage.refresh_from_db()
    assert (usage.purpose, usage.satisfaction, usage.visibility) == ("Covoiturages", 4, Visibility.PUBLIC)


def test_the_stage_is_not_an_editable_field(berenice, usage, access_of):
    with pytest.raises(ValueError, match="stage"):
        services.update_usage(access=access_of(berenice), usage=usage, stage=Stage.ADOPTED)


def test_a_member_cannot_edit_the_stack(bob, usage, access_of):
    with pytest.raises(PermissionDenied):
        services.update_usage(access=access_of(bob), usage=usage, purpose="Autre chose")


# The lifecycle ----------------------------------------------------------------------------

ALLOWED = {
    (Stage.CONSIDERED, Stage.TRIAL),
    (Stage.CONSIDERED, Stage.ADOPTED),
    (Stage.CONSIDERED, Stage.ABANDONED),
    (Stage.TRIAL, Stage.ADOPTED),
    (Stage.TRIAL, Stage.ABANDONED),
    (Stage.ADOPTED, Stage.RETIRING),
    (Stage.RETIRING, Stage.ABANDONED),
    (Stage.RETIRING, Stage.ADOPTED),
    (Stage.ABANDONED, Stage.CONSIDERED),
}


def test_the_transition_table_is_the_documented_one():
    assert {(a, b) for a, targets in STAGE_TRANSITIONS.items() for b in targets} == ALLOWED


@pytest.mark.parametrize(("from_stage", "to_stage"), [(a, b) for a in Stage.values for b in Stage.values])
def test_a_stage_change_follows_the_lifecycle_or_is_refused_without_a_trace(
    berenice, association, tool, access_of, from_stage, to_stage
):
    usage = ToolUsageFactory(association=association, tool=tool, stage=from_stage)

    if (from_stage, to_stage) in ALLOWED:
        services.change_stage(access=access_of(berenice), usage=usage, to_stage=to_stage, reason="Vote du bureau")
        usage.refresh_from_db()
        assert usage.stage == to_stage
        assert history(usage) == [(from_stage, to_stage, "Vote du bureau")]
    else:
        with pytest.raises(ValidationError) as error:
            services.change_stage(access=access_of(berenice), usage=usage, to_stage=to_stage, reason="Vote du bureau")
        assert "to_stage" in error.value.error_dict
        usage.refresh_from_db()
        assert usage.stage == from_stage
        assert history(usage) == []


@pytest.mark.parametrize("who", ["bob", "conseiller", "other_conseiller"])
def test_only_the_board_changes_stages_and_a_refusal_leaves_no_history(request, who, usage, access_of):
    access = access_of(request.getfixturevalue(who))
    if access is None:  # an outsider has no access at all; the view answers 404 before this
        return
    with pytest.raises(PermissionDenied):
        services.change_stage(access=access, usage=usage, to_stage=Stage.TRIAL, reason="Essai")

    usage.refresh_from_db()
    assert usage.stage == Stage.CONSIDERED
    assert history(usage) == []


def test_a_stage_change_needs_a_reason(berenice, usage, access_of):
    with pytest.raises(ValidationError) as error:
        services.change_stage(access=access_of(berenice), usage=usage, to_stage=Stage.TRIAL, reason="   ")

    assert "reason" in error.value.error_dict
    assert history(usage) == []


def test_an_unknown_stage_is_refused(berenice, usage, access_of):
    with pytest.raises(ValidationError):
        services.change_stage(access=access_of(berenice), usage=usage, to_stage="forgotten", reason="?")


def test_a_stage_change_checks_the_stage_in_the_database_not_the_one_the_caller_read(berenice, alice, usage, access_of):
    stale = ToolUsage.objects.get(pk=usage.pk)
    services.change_stage(access=access_of(alice), usage=usage, to_stage=Stage.ABANDONED, reason="Pas convaincus")

    # `stale` still says "considered"; the service reads the locked row, which says "abandoned".
    with pytest.raises(ValidationError):
        services.change_stage(access=access_of(berenice), usage=stale, to_stage=Stage.TRIAL, reason="Essai")

    assert [row[1] for row in history(usage)] == [Stage.ABANDONED]


def test_the_decision_that_caused_a_change_is_recorded(alice, usage, access_of):
    decision = uuid.uuid4()

    services.change_stage(
        access=access_of(alice), usage=usage, to_stage=Stage.ADOPTED, reason="Adopté en AG", decision_code=decision
    )

    assert usage.changes.get().decision_code == decision


@time_machine.travel("2025-03-10 12:00 +01:00")
def test_dates_are_filled_when_a_tool_enters_use_and_when_it_is_abandoned(alice, usage, access_of):
    import datetime

    access = access_of(alice)
    services.change_stage(access=access, usage=usage, to_stage=Stage.TRIAL, reason="Essai")
    services.change_stage(access=access, usage=usage, to_stage=Stage.ABANDONED, reason="Trop compliqué")

    usage.refresh_from_db()
    assert (usage.since, usage.until) == (datetime.date(2025, 3, 10), datetime.date(2025, 3, 10))


def test_a_tool_added_by_mistake_can_be_removed_but_not_once_its_stage_changed(alice, association, tool, access_of):
    access = access_of(alice)
    mistake = services.add_tool_to_stack(access=access, tool=tool)
    services.remove_from_stack(access=access, usage=mistake)
    assert not association.tool_usages.exists()

    kept = services.add_tool_to_stack(access=access, tool=tool)
    services.change_stage(access=access, usage=kept, to_stage=Stage.TRIAL, reason="Essai")
    with pytest.raises(ValidationError):
        services.remove_from_stack(access=access, usage=kept)
    assert association.tool_usages.get() == kept


def test_another_associations_scope_does_not_see_the_stack(usage, other_association):
    with association_scope(other_association):
        assert not ToolUsage.objects.exists()
        assert not ToolUsageChange.objects.exists()


@pytest.mark.parametrize("model", [ToolUsage, ToolUsageChange, Referent])
def test_stack_rows_cannot_be_read_outside_an_association_scope(usage, model):
    from django_scopes.state import state

    token = state.set({})  # as in a request to an address without an association
    try:
        with pytest.raises(ScopeError):
            list(model.objects.all())
    finally:
        state.reset(token)


# Know-how ---------------------------------------------------------------------------------


def test_a_member_declares_their_own_know_how(bob, association, usage, tool, access_of):
    referent = services.declare_referent(access=access_of(bob), tool=tool, level=KnowHowLevel.WANTS_TO_LEARN)

    assert (referent.membership.user, referent.association, referent.level) == (bob, association, "wants_to_learn")


def test_a_member_cannot_declare_for_someone_else(bob, berenice, association, usage, tool, access_of):
    with pytest.raises(PermissionDenied):
        services.declare_referent(
            access=access_of(bob),
            tool=tool,
            level=KnowHowLevel.MASTERS,
            membership=membership_of(berenice, association),
        )


def test_the_board_declares_and_edits_someone_elses_know_how(berenice, bob, association, usage, tool, access_of):
    bobs = membership_of(bob, association)

    referent = services.declare_referent(
        access=access_of(berenice), tool=tool, level=KnowHowLevel.CAN_HELP, membership=bobs
    )
    services.update_referent(access=access_of(berenice), referent=referent, level=KnowHowLevel.MASTERS)

    referent.refresh_from_db()
    assert (referent.membership, referent.level) == (bobs, KnowHowLevel.MASTERS)


def test_a_member_cannot_edit_or_remove_someone_elses_know_how(bob, berenice, association, usage, tool, access_of):
    theirs = ReferentFactory(membership=membership_of(berenice, association), tool=tool)

    with pytest.raises(PermissionDenied):
        services.update_referent(access=access_of(bob), referent=theirs, level=KnowHowLevel.WANTS_TO_LEARN)
    with pytest.raises(PermissionDenied):
        services.remove_referent(access=access_of(bob), referent=theirs)

    assert Referent.objects.get(pk=theirs.pk).level == KnowHowLevel.MASTERS


def test_a_conseiller_declares_nothing(conseiller, berenice, association, usage, tool, access_of):
    with pytest.raises(PermissionDenied):
        services.declare_referent(access=access_of(conseiller), tool=tool, level=KnowHowLevel.MASTERS)
    with pytest.raises(PermissionDenied):
        services.declare_referent(
            access=access_of(conseiller),
            tool=tool,
            level=KnowHowLevel.MASTERS,
            membership=membership_of(berenice, association),
        )


def test_know_how_is_declared_only_on_tools_of_the_stack(bob, access_of):
    with pytest.raises(ValidationError) as error:
        services.declare_referent(access=access_of(bob), tool=ToolFactory(), level=KnowHowLevel.MASTERS)

    assert "tool" in error.value.error_dict


def test_one_level_per_member_and_tool(bob, usage, tool, access_of):
    services.declare_referent(access=access_of(bob), tool=tool, level=KnowHowLevel.CAN_HELP)

    with pytest.raises(ValidationError):
        services.declare_referent(access=access_of(bob), tool=tool, level=KnowHowLevel.MASTERS)


def test_the_backup_person_is_another_active_member_of_the_association(
    bob, berenice, charlie, association, other_association, usage, tool, access_of
):
    access = access_of(bob)
    with pytest.raises(ValidationError) as itself:
        services.declare_referent(
            access=access, tool=tool, level=KnowHowLevel.MASTERS, backup=membership_of(bob, association)
        )
    with pytest.raises(ValidationError) as outsider:
        services.declare_referent(
            access=access, tool=tool, level=KnowHowLevel.MASTERS, backup=membership_of(charlie, other_association)
        )
    assert "backup" in itself.value.error_dict and "backup" in outsider.value.error_dict

    referent = services.declare_referent(
        access=access, tool=tool, level=KnowHowLevel.MASTERS, backup=membership_of(berenice, association)
    )
    assert referent.backup.user == berenice


# What the stack page reads ----------------------------------------------------------------


def test_an_adopted_tool_known_by_one_person_or_nobody_is_at_risk(alice, bob, berenice, association):
    single, nobody, two, trial = (ToolFactory(name=name) for name in ("Seul", "Personne", "Deux", "Essai"))
    for tool in (single, nobody, two):
        ToolUsageFactory(association=association, tool=tool, stage=Stage.ADOPTED)
    ToolUsageFactory(association=association, tool=trial, stage=Stage.TRIAL)
    ReferentFactory(membership=membership_of(alice, association), tool=single)
    ReferentFactory(membership=membership_of(bob, association), tool=single, level=KnowHowLevel.CAN_HELP)
    ReferentFactory(membership=membership_of(alice, association), tool=two)
    ReferentFactory(membership=membership_of(berenice, association), tool=two)

    risks = {usage.tool.name: usage.know_how_risk for usage in selectors.stack_of(association)}

    assert risks == {
        "Seul": KnowHowRisk.SINGLE_MASTER,
        "Personne": KnowHowRisk.NO_MASTER,
        "Deux": None,
        "Essai": None,
    }


def test_a_master_who_left_the_association_no_longer_counts(alice, association):
    tool = ToolFactory(name="Nextcloud")
    ToolUsageFactory(association=association, tool=tool, stage=Stage.ADOPTED)
    leaver = MembershipFactory(association=association, user=UserFactory())
    ReferentFactory(membership=membership_of(alice, association), tool=tool)
    ReferentFactory(membership=leaver, tool=tool)
    with scopes_disabled():
        leaver.is_active = False
        leaver.save()

    assert selectors.stack_of(association).get().know_how_risk == KnowHowRisk.SINGLE_MASTER


def test_the_yearly_total_adds_the_tools_in_use_only(association):
    costs = {
        Stage.CONSIDERED: Decimal("100"),
        Stage.TRIAL: Decimal("10.50"),
        Stage.ADOPTED: Decimal("20"),
        Stage.RETIRING: Decimal("5"),
        Stage.ABANDONED: Decimal("1000"),
    }
    for stage, cost in costs.items():
        ToolUsageFactory(association=association, tool=ToolFactory(), stage=stage, yearly_cost=cost)
    ToolUsageFactory(association=association, tool=ToolFactory(), stage=Stage.ADOPTED, yearly_cost=None)

    overview = selectors.stack_overview(association)

    assert overview.yearly_total == Decimal("35.50")
    assert overview.costs_unknown == 1
    assert [usage.stage for usage in overview.abandoned] == [Stage.ABANDONED]


def test_the_stack_is_grouped_by_top_level_category(association):
    from shared_tools.models import Category

    visio = Category.objects.get(slug="visioconference")
    compta = Category.objects.get(slug="comptabilite")
    jitsi, paheko, other = ToolFactory(name="Jitsi"), ToolFactory(name="Paheko"), ToolFactory(name="Sans catégorie")
    jitsi.categories.add(visio)
    paheko.categories.add(compta)
    for tool in (jitsi, paheko, other):
        ToolUsageFactory(association=association, tool=tool)

    groups = [
        (str(g.category) if g.category else None, [u.tool.name for u in g.usages])
        for g in selectors.stack_overview(association).groups
    ]

    assert groups == [
        ("Communication", ["Jitsi"]),
        ("Gestion de l'association", ["Paheko"]),
        (None, ["Sans catégorie"]),
    ]


def test_the_know_how_page_lists_who_to_ask_and_who_wants_to_learn(alice, bob, association):
    tool = ToolFactory(name="Nextcloud")
    ToolUsageFactory(association=association, tool=tool)
    ReferentFactory(membership=membership_of(alice, association), tool=tool)
    ReferentFactory(membership=membership_of(bob, association), tool=tool, level=KnowHowLevel.WANTS_TO_LEARN)

    know_how = selectors.know_how_of(association)

    (row,) = know_how.rows
    assert [r.membership.user for r in row.masters] == [alice]
    assert [r.membership.user for r in row.learners] == [bob]
    assert [(learner.membership.user, [r.tool.name for r in learner.referents]) for learner in know_how.learners] == [
        (bob, ["Nextcloud"])
    ]


def test_a_stage_change_tells_the_members(berenice, alice, bob, association, tool, access_of):
    from notifications.models import Event, Notification
    from notifications.tasks import fan_out_event

    usage = ToolUsageFactory(association=association, tool=tool, stage=Stage.TRIAL)
    services.change_stage(access=access_of(berenice), usage=usage, to_stage=Stage.ADOPTED, reason="Essai concluant")
    event = Event.objects.get(kind="tool.stage_changed")
    assert (event.title, event.target_code, event.actor_id) == ("Framadate", usage.code, berenice.pk)
    fan_out_event.apply(kwargs={"event_id": event.pk, "association_id": association.pk})
    assert set(Notification.objects.values_list("recipient__email", flat=True)) == {
        "alice@exemple.fr",
        "bob@exemple.fr",
    }


def test_a_refused_stage_change_tells_nobody(berenice, association, tool, access_of):
    from notifications.models import Event

    usage = ToolUsageFactory(association=association, tool=tool, stage=Stage.ADOPTED)
    with pytest.raises(ValidationError):
        services.change_stage(access=access_of(berenice), usage=usage, to_stage=Stage.TRIAL, reason="Retour")
    assert not Event.objects.exists()
