"""Tool proposals: duplicate flagging, who may propose, approval and rejection."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from hub.tenancy import association_scope
from shared_tools import selectors, services
from shared_tools.models import Category, FreeSoftware, ProposalStatus, Tool, ToolProposal
from tests.factories import UserFactory
from tests.shared_tools.factories import ToolFactory


@pytest.fixture(autouse=True)
def _in_association_scope(association):
    with association_scope(association):
        yield


@pytest.fixture
def catalogue(db):
    return {
        name: ToolFactory(name=name)
        for name in ("Google Docs", "Framadate", "Nextcloud", "Mozilla Firefox", "LibreOffice", "Zoom")
    }


@pytest.fixture
def staff(db):
    return UserFactory(email="moderation@asso-hub.fr", is_staff=True)


def propose(access, name="Paheko", **fields):
    fields.setdefault("description", "Gestion des adhérents et comptabilité.")
    return services.propose_tool(access=access, name=name, **fields)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("google docs", ["Google Docs"]),  # same key
        ("Google Doc", ["Google Docs"]),  # close spelling
        ("Framadates", ["Framadate"]),
        ("Libre Office", ["LibreOffice"]),  # punctuation and spaces do not count
        ("NextCloud Hub", ["Nextcloud"]),  # one name contains the other
        ("Firefox", ["Mozilla Firefox"]),
        ("Paheko", []),
        ("Zoo", ["Zoom"]),  # a likely typo
        ("Loomio", []),
    ],
)
def test_likely_duplicates_are_found_by_fuzzy_name_match(catalogue, name, expected):
    assert [tool.name for tool in selectors.likely_duplicates(name=name)] == expected


def test_a_proposal_records_its_author_association_and_possible_duplicates(bob, association, catalogue, access_of):
    category = Category.objects.get(slug="edition-collaborative")

    proposal = propose(access_of(bob), name="  Google   Doc ", category=category, website="https://docs.google.com")

    assert (proposal.name, proposal.proposed_by, proposal.association, proposal.status) == (
        "Google Doc",
        bob,
        association,
        ProposalStatus.PENDING,
    )
    assert list(proposal.possible_duplicates.all()) == [catalogue["Google Docs"]]


def test_a_proposal_without_a_likely_duplicate_flags_none(bob, catalogue, access_of):
    assert not propose(access_of(bob)).possible_duplicates.exists()


def test_a_conseiller_does_not_propose_tools(conseiller, access_of):
    with pytest.raises(PermissionDenied):
        propose(access_of(conseiller))
    assert not ToolProposal.objects.exists()


def test_a_proposal_needs_a_description_and_a_readable_name(bob, access_of):
    with pytest.raises(ValidationError) as no_description:
        propose(access_of(bob), description="")
    with pytest.raises(ValidationError) as no_name:
        propose(access_of(bob), name="!!!")

    assert "description" in no_description.value.error_dict
    assert "name" in no_name.value.error_dict


@pytest.mark.parametrize("moderator", ["staff", "conseiller", "other_conseiller"])
def test_staff_and_conseillers_approve_and_the_tool_joins_the_catalogue(request, bob, access_of, moderator):
    category = Category.objects.get(slug="comptabilite")
    proposal = propose(
        access_of(bob), website="https://paheko.cloud", category=category, free_software=FreeSoftware.YES
    )
    reviewer = request.getfixturevalue(moderator)

    tool = services.approve_proposal(user=reviewer, proposal=proposal)

    proposal.refresh_from_db()
    assert (proposal.status, proposal.tool, proposal.reviewed_by) == (ProposalStatus.APPROVED, tool, reviewer)
    assert (tool.name, tool.slug, tool.website, tool.free_software) == (
        "Paheko",
        "paheko",
        "https://paheko.cloud",
        FreeSoftware.YES,
    )
    assert list(tool.categories.all()) == [category]


@pytest.mark.parametrize("who", ["bob", "alice"])
def test_members_and_administrators_do_not_moderate(request, bob, access_of, who):
    proposal = propose(access_of(bob))

    with pytest.raises(PermissionDenied):
        services.approve_proposal(user=request.getfixturevalue(who), proposal=proposal)
    with pytest.raises(PermissionDenied):
        services.reject_proposal(user=request.getfixturevalue(who), proposal=proposal, reason="Non")

    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.PENDING
    assert not Tool.objects.filter(name="Paheko").exists()


def test_a_proposal_is_reviewed_once(bob, staff, conseiller, access_of):
    proposal = propose(access_of(bob))
    services.approve_proposal(user=staff, proposal=proposal)

    with pytest.raises(ValidationError):
        services.approve_proposal(user=conseiller, proposal=proposal)
    with pytest.raises(ValidationError):
        services.reject_proposal(user=conseiller, proposal=proposal, reason="Doublon")

    assert Tool.objects.filter(name="Paheko").count() == 1


def test_approving_a_tool_the_catalogue_already_has_is_refused(bob, staff, catalogue, access_of):
    proposal = propose(access_of(bob), name="google docs")

    with pytest.raises(ValidationError, match="Google Docs"):
        services.approve_proposal(user=staff, proposal=proposal)

    assert Tool.objects.filter(match_key="googledocs").count() == 1


def test_a_rejection_needs_a_reason_the_author_reads(bob, staff, access_of):
    proposal = propose(access_of(bob))

    with pytest.raises(ValidationError):
        services.reject_proposal(user=staff, proposal=proposal, reason="  ")
    services.reject_proposal(user=staff, proposal=proposal, reason="Déjà présent sous un autre nom.")

    (mine,) = selectors.proposals_of(user=bob)
    assert (mine.status, mine.rejection_reason) == (ProposalStatus.REJECTED, "Déjà présent sous un autre nom.")
    assert list(selectors.pending_proposals()) == []
