"""Pages of the catalogue, stacks, know-how and proposals: happy paths, visibility, tenancy, the
role matrix and query counts."""

import re
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_scopes import scopes_disabled

from shared_tools.models import (
    Category,
    FreeSoftware,
    KnowHowLevel,
    ProposalStatus,
    Referent,
    Stage,
    Tool,
    ToolProposal,
    ToolUsage,
    ToolUsageChange,
    Visibility,
)
from tests.factories import AssociationFactory, MembershipFactory, NetworkMembershipFactory, UserFactory
from tests.shared_tools.factories import (
    ReferentFactory,
    ToolFactory,
    ToolRelationFactory,
    ToolUsageFactory,
    membership_of,
)

A = "amis-du-velo"


def page(name, **kwargs):
    return reverse(f"frontend:{name}", kwargs=kwargs)


def a_page(name, **kwargs):
    return page(name, association_slug=A, **kwargs)


def french(message: str) -> str:
    """The text as a French-speaking visitor reads it (translations are added by the lead)."""
    with translation.override("fr"):
        return gettext(message)


@pytest.fixture
def as_user(db):
    def _as(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return _as


@pytest.fixture
def framadate(db):
    tool = ToolFactory(name="Framadate", short_description="Sondages sans publicité")
    tool.categories.add(Category.objects.get(slug="planification-et-sondages"))
    return tool


@pytest.fixture
def stack(association, alice, bob, framadate):
    usage = ToolUsageFactory(association=association, tool=framadate, stage=Stage.TRIAL, purpose="Covoiturages")
    with scopes_disabled():
        ToolUsageChange.objects.create(association=association, usage=usage, to_stage=Stage.TRIAL, changed_by=alice)
    referent = ReferentFactory(membership=membership_of(alice, association), tool=framadate)
    ToolFactory(name="Nextcloud")
    return {"usage": usage, "referent": referent}


def snapshot(association) -> dict:
    with scopes_disabled():
        return {
            "usages": set(ToolUsage.objects.filter(association=association).values_list("code", "stage", "purpose")),
            "changes": ToolUsageChange.objects.filter(association=association).count(),
            "referents": set(Referent.objects.filter(association=association).values_list("code", "level", "note")),
            "proposals": ToolProposal.objects.count(),
        }


def a_pages(stack) -> list[tuple[str, str, dict]]:
    usage, referent = stack["usage"].code, stack["referent"].code
    return [
        ("get", a_page("stack"), {}),
        ("get", a_page("stack_add"), {}),
        ("post", a_page("stack_add"), {"tool": "1", "stage": "considered", "visibility": "members"}),
        ("get", a_page("stack_history"), {}),
        ("get", a_page("stack_export"), {}),
        ("get", a_page("stack_usage", code=usage), {}),
        ("post", a_page("stack_usage", code=usage), {"purpose": "Autre", "visibility": "public"}),
        ("post", a_page("stack_usage_stage", code=usage), {"to_stage": "adopted", "reason": "Vote"}),
        ("post", a_page("stack_usage_remove", code=usage), {}),
        ("get", a_page("know_how"), {}),
        ("post", a_page("know_how"), {"tool": "1", "level": "masters"}),
        ("get", a_page("referent_edit", code=referent), {}),
        ("post", a_page("referent_edit", code=referent), {"level": "can_help"}),
        ("post", a_page("referent_remove", code=referent), {}),
        ("get", a_page("propose_tool"), {}),
        ("post", a_page("propose_tool"), {"name": "Paheko", "description": "Compta", "free_software": "yes"}),
    ]


def main_text(response) -> str:
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


# Public pages -----------------------------------------------------------------------------


def test_anyone_browses_and_filters_the_catalogue(client, framadate):
    ToolFactory(name="Doodle", free_software=FreeSoftware.NO, short_description="Sondages")

    everything = client.get(page("catalogue"))
    free_polls = client.get(page("catalogue"), {"q": "sondages", "free_only": "on"})

    assert everything.status_code == 200
    assert "Doodle" in main_text(everything) and "Framadate" in main_text(everything)
    assert "Framadate" in main_text(free_polls) and "Doodle" not in main_text(free_polls)


def test_the_catalogue_is_paginated_and_keeps_the_filters_in_the_links(client, db):
    for number in range(31):
        ToolFactory(name=f"Sondage {number:02}")

    first = client.get(page("catalogue"), {"q": "sondage"})
    second = client.get(page("catalogue"), {"q": "sondage", "page": 2})

    assert "?q=sondage&amp;page=2" in first.content.decode()
    assert main_text(second).count('scope="row"') == 1


def test_a_tool_page_is_public_and_shows_only_public_usages_to_strangers(client, as_user, charlie, association, stack):
    public = AssociationFactory(name="Chorale de Tours", slug="chorale-tours")
    ToolUsageFactory(association=public, tool=stack["usage"].tool, visibility=Visibility.PUBLIC, purpose="Répétitions")

    for visitor in (client, as_user(charlie)):
        text = main_text(visitor.get(page("tool_detail", slug="framadate")))
        assert "Chorale de Tours" in text
        assert "Les Amis du Vélo" not in text  # members-only


def test_a_tool_page_shows_network_usages_to_the_same_network_only(
    as_user, conseiller, other_conseiller, charlie, association, stack
):
    with scopes_disabled():
        ToolUsage.objects.filter(pk=stack["usage"].pk).update(visibility=Visibility.NETWORK)

    assert "Les Amis du Vélo" in main_text(as_user(conseiller).get(page("tool_detail", slug="framadate")))
    for stranger in (other_conseiller, charlie):
        assert "Les Amis du Vélo" not in main_text(as_user(stranger).get(page("tool_detail", slug="framadate")))


def test_an_unknown_tool_is_a_404(client, db):
    assert client.get(page("tool_detail", slug="nothing-like-this")).status_code == 404


def test_the_free_alternatives_page_lists_free_options_with_their_notes(client, db):
    doodle = ToolFactory(name="Doodle", free_software=FreeSoftware.NO)
    ToolRelationFactory(from_tool=ToolFactory(name="Framadate"), to_tool=doodle, note="Hébergé en France")
    ToolRelationFactory(from_tool=ToolFactory(name="Rallly", discontinued=True), to_tool=doodle)
    ToolRelationFactory(from_tool=ToolFactory(name="Calendly", free_software=FreeSoftware.NO), to_tool=doodle)

    picker = client.get(page("free_alternatives"))
    answer = client.get(page("free_alternatives"), {"tool": "doodle"})

    assert '<option value="doodle">Doodle</option>' in picker.content.decode()
    text = main_text(answer)
    assert "Framadate" in text and "Hébergé en France" in text
    assert "Rallly" not in text and "Calendly" not in text


def test_the_about_page_credits_the_sources_and_their_licences(client, db):
    text = main_text(client.get(page("about_data")))

    assert "Socle interministériel de logiciels libres — DINUM" in text
    assert "Dégooglisons Internet — Framasoft" in text
    assert "La MedNum / ANCT" in text
    assert text.count("Licence Ouverte 2.0") == 2 and "CC0" in text


@pytest.mark.parametrize("name", ["catalogue", "free_alternatives", "about_data"])
def test_public_pages_carry_no_inline_script_or_style(client, framadate, name):
    html = client.get(page(name)).content.decode()

    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert " style=" not in html and "<style" not in html


# The stack --------------------------------------------------------------------------------


def test_a_member_sees_the_toolbox_with_its_referents_and_risk_flags(as_user, bob, association, stack):
    ToolUsageFactory(association=association, tool=ToolFactory(name="Zoom"), stage=Stage.ADOPTED)
    with scopes_disabled():
        ToolUsage.objects.filter(pk=stack["usage"].pk).update(stage=Stage.ADOPTED, yearly_cost=12)

    response = as_user(bob).get(a_page("stack"))

    text = main_text(response)
    assert response.status_code == 200
    assert "Framadate" in text and "Alice Martin" in text and "Covoiturages" in text
    assert french("Only one person masters this tool.") in text  # Framadate: Alice alone
    assert french("Nobody masters this tool.") in text  # Zoom
    assert 'href="/a/amis-du-velo/stack/"' in response.content.decode()  # the sub-navigation link
    assert "12,00" in text


def test_the_board_adds_a_tool_from_the_catalogue(as_user, berenice, association, stack):
    nextcloud = Tool.objects.get(slug="nextcloud")
    form = as_user(berenice).get(a_page("stack_add"), {"tool": "nextcloud"})
    assert f'<option value="{nextcloud.pk}" selected>' in form.content.decode()

    response = as_user(berenice).post(
        a_page("stack_add"),
        {
            "tool": nextcloud.pk,
            "stage": "adopted",
            "visibility": "public",
            "yearly_cost": "60",
            "reason": "Déjà utilisé",
        },
    )

    with scopes_disabled():
        usage = ToolUsage.objects.get(association=association, tool=nextcloud)
    assert response.status_code == 302
    assert response["Location"] == a_page("stack_usage", code=usage.code)
    assert (usage.stage, usage.visibility, usage.yearly_cost) == (Stage.ADOPTED, Visibility.PUBLIC, 60)


def test_adding_a_tool_twice_shows_the_error_on_the_form(as_user, berenice, stack):
    response = as_user(berenice).post(
        a_page("stack_add"), {"tool": stack["usage"].tool.pk, "stage": "considered", "visibility": "members"}
    )

    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()


def test_the_board_moves_a_tool_along_and_the_history_shows_it(as_user, berenice, association, stack):
    usage = stack["usage"]

    response = as_user(berenice).post(
        a_page("stack_usage_stage", code=usage.code), {"to_stage": "adopted", "reason": "Tout le monde l'utilise"}
    )

    assert response.status_code == 302
    history = main_text(as_user(berenice).get(a_page("stack_history")))
    assert "Tout le monde l&#x27;utilise" in history and "Bérénice Petit" in history


def test_a_refused_transition_shows_the_form_again_and_writes_nothing(as_user, berenice, association, stack):
    before = snapshot(association)

    response = as_user(berenice).post(
        a_page("stack_usage_stage", code=stack["usage"].code), {"to_stage": "retiring", "reason": "Trop tôt"}
    )

    assert response.status_code == 400
    assert snapshot(association) == before


def test_the_usage_page_offers_only_the_allowed_next_stages(as_user, berenice, stack):
    html = as_user(berenice).get(a_page("stack_usage", code=stack["usage"].code)).content.decode()

    options = re.findall(r'<option value="(\w+)"', html[html.index('id="id_to_stage"') :].split("</select>")[0])
    assert options == ["adopted", "abandoned"]


def test_the_csv_export_downloads_with_a_bom_and_french_headers(as_user, bob, stack):
    response = as_user(bob).get(a_page("stack_export"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="boite-a-outils-amis-du-velo-')
    content = response.content.decode("utf-8")
    assert content.startswith("\ufeffOutil;Catégorie;Étape;Usage;")
    assert "Framadate;Organisation et travail d'équipe;En essai;Covoiturages;" in content


# Know-how ---------------------------------------------------------------------------------


def test_a_member_declares_what_they_know(as_user, bob, association, stack):
    response = as_user(bob).post(
        a_page("know_how"), {"tool": stack["usage"].tool.pk, "level": "wants_to_learn", "note": "Le soir"}
    )

    assert response.status_code == 302
    with scopes_disabled():
        referent = Referent.objects.get(membership__user=bob)
    assert (referent.level, referent.note) == (KnowHowLevel.WANTS_TO_LEARN, "Le soir")
    text = main_text(as_user(bob).get(a_page("know_how")))
    assert "Bob Durand" in text and "Alice Martin" in text


def test_the_board_declares_for_a_member_but_a_member_only_for_themselves(as_user, berenice, bob, association, stack):
    bobs = membership_of(bob, association)
    board_form = as_user(berenice).get(a_page("know_how")).content.decode()
    member_form = as_user(bob).get(a_page("know_how")).content.decode()
    assert 'name="member"' in board_form and 'name="member"' not in member_form

    response = as_user(berenice).post(
        a_page("know_how"), {"member": bobs.pk, "tool": stack["usage"].tool.pk, "level": "can_help"}
    )

    assert response.status_code == 302
    with scopes_disabled():
        assert Referent.objects.get(membership=bobs).level == KnowHowLevel.CAN_HELP


def test_a_member_cannot_edit_someone_elses_know_how(as_user, bob, association, stack):
    before = snapshot(association)

    assert as_user(bob).get(a_page("referent_edit", code=stack["referent"].code)).status_code == 403
    assert as_user(bob).post(a_page("referent_remove", code=stack["referent"].code)).status_code == 403
    assert snapshot(association) == before


def test_a_member_edits_their_own_know_how(as_user, alice, association, stack):
    response = as_user(alice).post(
        a_page("referent_edit", code=stack["referent"].code), {"level": "can_help", "note": "Le samedi"}
    )

    assert response.status_code == 302
    stack["referent"].refresh_from_db()
    assert (stack["referent"].level, stack["referent"].note) == (KnowHowLevel.CAN_HELP, "Le samedi")


# Proposals --------------------------------------------------------------------------------


def test_a_likely_duplicate_is_shown_before_the_proposal_is_recorded(as_user, bob, db):
    ToolFactory(name="Google Docs")
    form = {"name": "Google Doc", "description": "Écrire à plusieurs", "free_software": "no"}

    warned = as_user(bob).post(a_page("propose_tool"), form)
    assert warned.status_code == 200
    assert "Google Docs" in main_text(warned) and 'name="not_a_duplicate"' in warned.content.decode()
    assert not ToolProposal.objects.exists()

    confirmed = as_user(bob).post(a_page("propose_tool"), {**form, "not_a_duplicate": "on"})
    assert confirmed.status_code == 302
    proposal = ToolProposal.objects.get()
    assert [tool.name for tool in proposal.possible_duplicates.all()] == ["Google Docs"]


def test_a_conseiller_approves_a_proposal_from_the_proposals_page(as_user, bob, conseiller, db):
    as_user(bob).post(a_page("propose_tool"), {"name": "Paheko", "description": "Comptabilité", "free_software": "yes"})
    proposal = ToolProposal.objects.get()

    queue = main_text(as_user(conseiller).get(page("tool_proposals")))
    response = as_user(conseiller).post(page("tool_proposal_approve", code=proposal.code))

    assert "Paheko" in queue
    assert response.status_code == 302 and response["Location"] == page("tool_detail", slug="paheko")
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.APPROVED


def test_a_member_sees_their_proposals_but_cannot_review(as_user, bob, db):
    as_user(bob).post(a_page("propose_tool"), {"name": "Paheko", "description": "Comptabilité", "free_software": "yes"})
    proposal = ToolProposal.objects.get()

    mine = main_text(as_user(bob).get(page("tool_proposals")))

    assert "Paheko" in mine and f'action="{page("tool_proposal_approve", code=proposal.code)}"' not in mine
    assert as_user(bob).post(page("tool_proposal_approve", code=proposal.code)).status_code == 403
    assert as_user(bob).post(page("tool_proposal_reject", code=proposal.code), {"reason": "Non"}).status_code == 403
    assert ToolProposal.objects.get().status == ProposalStatus.PENDING


# Tenancy and roles ------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["charlie", "other_conseiller"])
def test_outsiders_get_404_on_every_stack_and_know_how_page_and_nothing_changes(
    request, as_user, association, stack, who
):
    client = as_user(request.getfixturevalue(who))
    before = snapshot(association)
    missing = client.get(reverse("frontend:stack", kwargs={"association_slug": "nobody-uses-this"}))

    for method, url, data in a_pages(stack):
        response = getattr(client, method)(url, data)
        assert response.status_code == 404, (method, url)
        assert main_text(response) == main_text(missing), (method, url)

    assert snapshot(association) == before


def test_anonymous_visitors_are_sent_to_log_in(client, stack):
    for method, url, data in a_pages(stack):
        response = getattr(client, method)(url, data)
        assert response.status_code == 302 and response["Location"].startswith(page("login")), url


def test_a_conseiller_reads_every_page_but_writes_nothing(as_user, conseiller, association, stack):
    client = as_user(conseiller)
    before = snapshot(association)

    for method, url, data in a_pages(stack):
        response = getattr(client, method)(url, data)
        reads = method == "get" and "stack/add" not in url and "know-how/" + str(stack["referent"].code) not in url
        reads = reads and "tools/propose" not in url
        assert response.status_code == (200 if reads else 403), (method, url, response.status_code)

    assert snapshot(association) == before


def test_a_member_reads_the_toolbox_but_cannot_change_it(as_user, bob, association, stack):
    client = as_user(bob)
    before = snapshot(association)
    usage = stack["usage"].code

    assert client.get(a_page("stack_add")).status_code == 403
    assert (
        client.post(a_page("stack_usage", code=usage), {"purpose": "Autre", "visibility": "public"}).status_code == 403
    )
    assert (
        client.post(a_page("stack_usage_stage", code=usage), {"to_stage": "adopted", "reason": "x"}).status_code == 403
    )
    assert client.post(a_page("stack_usage_remove", code=usage)).status_code == 403
    assert snapshot(association) == before


def test_an_unknown_usage_code_is_a_404(as_user, alice, stack):
    assert as_user(alice).get(a_page("stack_usage", code=uuid.uuid4())).status_code == 404


# Query counts -----------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 50])
def test_the_catalogue_page_costs_the_same_queries_whatever_its_size(client, db, django_assert_num_queries, rows):
    category = Category.objects.get(slug="courriel")
    for tool in ToolFactory.create_batch(rows):
        tool.categories.add(category)

    # categories of the filter, count, page, categories of the tools
    with django_assert_num_queries(4):
        response = client.get(page("catalogue"))

    assert main_text(response).count('scope="row"') == min(rows, 30)


@pytest.mark.parametrize("rows", [1, 50])
def test_the_tool_page_costs_the_same_queries_whatever_its_relations_and_users(
    as_user, alice, association, django_assert_num_queries, rows
):
    tool = ToolFactory(name="Doodle", free_software=FreeSoftware.NO)
    for other in ToolFactory.create_batch(rows):
        ToolRelationFactory(from_tool=other, to_tool=tool)
        ToolUsageFactory(tool=tool, visibility=Visibility.PUBLIC)
    client = as_user(alice)

    # session, user, tool, categories, provenance, memberships, relations, usages, unread badge,
    # visible tutorials (their tools are prefetched only when there are some)
    with django_assert_num_queries(10):
        response = client.get(page("tool_detail", slug="doodle"))

    assert main_text(response).count('scope="row"') == rows


def fill_stack(association, member, rows):
    category = Category.objects.get(slug="courriel")
    for tool in ToolFactory.create_batch(rows):
        tool.categories.add(category)
        ToolUsageFactory(association=association, tool=tool, stage=Stage.ADOPTED, yearly_cost=10)
        ReferentFactory(membership=member, tool=tool, level=KnowHowLevel.MASTERS)


@pytest.mark.parametrize("rows", [1, 50])
def test_the_stack_page_costs_the_same_queries_whatever_its_size(
    as_user, bob, association, django_assert_num_queries, rows
):
    fill_stack(association, membership_of(bob, association), rows)
    client = as_user(bob)

    # session, user, association, membership, follow-ups, usages, categories, referents, unread badge
    with django_assert_num_queries(9):
        response = client.get(a_page("stack"))

    assert main_text(response).count('scope="row"') == rows


@pytest.mark.parametrize("rows", [1, 50])
def test_the_know_how_page_costs_the_same_queries_whatever_its_size(
    as_user, bob, association, django_assert_num_queries, rows
):
    fill_stack(association, MembershipFactory(association=association, user=UserFactory()), rows)
    client = as_user(bob)

    # session, user, association, membership, follow-ups, usages, categories, referents,
    # the form's two selects (tools of the stack, members for the backup), unread badge
    with django_assert_num_queries(11):
        response = client.get(a_page("know_how"))

    assert main_text(response).count('scope="row"') == rows


def test_the_network_follow_up_needed_for_network_visibility_is_the_consented_one(
    as_user, charlie, other_association, network, conseiller, association, stack
):
    with scopes_disabled():
        ToolUsage.objects.filter(pk=stack["usage"].pk).update(visibility=Visibility.NETWORK)
    NetworkMembershipFactory(association=other_association, network=network, requested_by=conseiller)

    assert "Les Amis du Vélo" not in main_text(as_user(charlie).get(page("tool_detail", slug="framadate")))

    with scopes_disabled():
        from hub.models import NetworkMembership

        NetworkMembership.objects.filter(association=other_association).update(
            consented_at=timezone.now(), consented_by=charlie
        )
    assert "Les Amis du Vélo" in main_text(as_user(charlie).get(page("tool_detail", slug="framadate")))
