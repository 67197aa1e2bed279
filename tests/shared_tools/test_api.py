"""The shared_tools API: the public catalogue, proposals, stacks and referents; tenancy, the role
matrix, visibility on tool pages and query counts."""

import uuid

import pytest
from django.test import Client
from django.utils import timezone
from django_scopes import scopes_disabled

from shared_tools.models import (
    Category,
    DataLocation,
    EaseOfUse,
    FreeSoftware,
    KnowHowLevel,
    Provenance,
    Referent,
    Stage,
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

API = "/api/v1"
A = f"{API}/associations/amis-du-velo"


@pytest.fixture
def as_user(db):
    def _as(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return _as


def call(client: Client, method: str, url: str, data: dict | None = None):
    if method == "get":
        return client.get(url)
    return getattr(client, method)(url, data, content_type="application/json")


@pytest.fixture
def framadate(db):
    return ToolFactory(name="Framadate", free_software=FreeSoftware.YES)


@pytest.fixture
def stack(association, alice, bob, framadate):
    """A's stack: Framadate (on trial, mastered by alice); Nextcloud in the catalogue, not in the stack."""
    usage = ToolUsageFactory(association=association, tool=framadate, stage=Stage.TRIAL)
    referent = ReferentFactory(membership=membership_of(alice, association), tool=framadate)
    ToolFactory(name="Nextcloud")
    return {"usage": usage, "referent": referent, "bob": membership_of(bob, association)}


def snapshot(association) -> dict:
    """Everything the stack endpoints could change in one association."""
    with scopes_disabled():
        return {
            "usages": set(ToolUsage.objects.filter(association=association).values_list("code", "stage", "purpose")),
            "changes": ToolUsageChange.objects.filter(association=association).count(),
            "referents": set(
                Referent.objects.filter(association=association).values_list("code", "level", "backup_id", "note")
            ),
            "proposals": ToolProposal.objects.count(),
        }


def stack_endpoints(stack) -> list[tuple[str, str, dict | None]]:
    usage, referent = stack["usage"].code, stack["referent"].code
    return [
        ("get", f"{A}/stack/", None),
        ("post", f"{A}/stack/", {"tool": "nextcloud"}),
        ("get", f"{A}/stack/history/", None),
        ("get", f"{A}/stack/{usage}/", None),
        ("patch", f"{A}/stack/{usage}/", {"purpose": "Autre chose"}),
        ("delete", f"{A}/stack/{usage}/", None),
        ("post", f"{A}/stack/{usage}/stage/", {"to_stage": "adopted", "reason": "Vote"}),
        ("get", f"{A}/stack/{usage}/history/", None),
        ("get", f"{A}/referents/", None),
        ("post", f"{A}/referents/", {"tool": "framadate", "level": "can_help"}),
        ("get", f"{A}/referents/{referent}/", None),
        ("patch", f"{A}/referents/{referent}/", {"level": "can_help"}),
        ("delete", f"{A}/referents/{referent}/", None),
        ("post", f"{A}/tool-proposals/", {"name": "Paheko", "description": "Comptabilité"}),
    ]


# The catalogue ----------------------------------------------------------------------------


def test_anyone_searches_the_catalogue_without_signing_in(client, db):
    ToolFactory(name="Framadate", short_description="Sondages et rendez-vous")
    ToolFactory(name="Doodle", free_software=FreeSoftware.NO, short_description="Sondages")
    ToolFactory(name="Nextcloud")

    response = client.get(f"{API}/tools/", {"q": "sondages", "free_only": "true"})

    assert response.status_code == 200
    assert [tool["name"] for tool in response.json()["results"]] == ["Framadate"]


def test_the_catalogue_search_ignores_accents_and_punctuation(client, db):
    ToolFactory(name="Étherpad")

    assert [t["name"] for t in client.get(f"{API}/tools/", {"q": "ether-pad"}).json()["results"]] == ["Étherpad"]


def test_the_catalogue_filters_by_category_data_location_and_ease(client, db):
    visio = Category.objects.get(slug="visioconference")
    jitsi = ToolFactory(name="Jitsi", data_location=DataLocation.FRANCE, ease_of_use=EaseOfUse.BEGINNER)
    jitsi.categories.add(visio)
    zoom = ToolFactory(name="Zoom", data_location=DataLocation.OUTSIDE_EU, ease_of_use=EaseOfUse.BEGINNER)
    zoom.categories.add(visio)
    ToolFactory(name="Nextcloud", data_location=DataLocation.SELF_HOSTED, ease_of_use=EaseOfUse.INTERMEDIATE)

    def names(**query):
        response = client.get(f"{API}/tools/", query)
        assert response.status_code == 200, response.json()
        return [tool["name"] for tool in response.json()["results"]]

    assert names(category="communication") == ["Jitsi", "Zoom"]  # the parent category includes its children
    assert names(data_in_eu="true") == ["Jitsi", "Nextcloud"]
    assert names(ease="beginner") == ["Jitsi", "Zoom"]
    assert names(category="no-such-category") == []


def test_an_invalid_filter_value_is_a_400_with_the_field(client, db):
    response = client.get(f"{API}/tools/", {"ease": "trivial"})

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"ease"}


def test_a_tool_shows_its_relations_both_ways_and_where_its_data_comes_from(client, db):
    doodle = ToolFactory(name="Doodle", free_software=FreeSoftware.NO)
    framadate = ToolFactory(name="Framadate")
    ToolRelationFactory(from_tool=framadate, to_tool=doodle, note="Sans publicité")
    Provenance.objects.create(tool=framadate, source="degooglisons", record_id="framadate", role="F")

    doodle_page = client.get(f"{API}/tools/doodle/").json()
    framadate_page = client.get(f"{API}/tools/framadate/").json()

    assert doodle_page["relations"]["alternatives"] == [
        {"tool": {"slug": "framadate", "name": "Framadate", "free_software": "yes"}, "note": "Sans publicité"}
    ]
    assert [r["tool"]["slug"] for r in framadate_page["relations"]["replaces"]] == ["doodle"]
    assert [(p["source"], p["record_id"]) for p in framadate_page["provenance"]] == [("degooglisons", "framadate")]


def test_an_unknown_tool_is_a_404(client, db):
    assert client.get(f"{API}/tools/nothing-like-this/").status_code == 404


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        ("anonymous", ["public"]),
        ("charlie", ["public"]),
        ("other_conseiller", ["public"]),
        ("conseiller", ["network", "public"]),
        ("bob", ["network", "public"]),
    ],
)
def test_a_tool_page_shows_only_the_usages_the_caller_may_see(as_user, client, cast, association, viewer, expected):
    tool = ToolFactory(name="Nextcloud")
    for visibility in Visibility.values:
        other = AssociationFactory(name=f"Asso {visibility}", slug=f"asso-{visibility}")
        ToolUsageFactory(association=other, tool=tool, visibility=visibility, purpose=visibility)
    # A's own usage stays members-only: only A's members see it, whoever else looks.
    ToolUsageFactory(association=association, tool=tool, visibility=Visibility.MEMBERS, purpose="A")
    # The association of the network-visible usage follows A's network too.
    network_assoc = AssociationFactory(slug="asso-network")
    NetworkMembershipFactory(
        association=network_assoc,
        network=cast["conseiller"].advised_networks.get(),
        consented_at=timezone.now(),
        consented_by=cast["alice"],
    )
    caller = client if viewer == "anonymous" else as_user(cast[viewer])

    used_by = caller.get(f"{API}/tools/nextcloud/").json()["used_by"]

    purposes = sorted(row["purpose"] for row in used_by)
    mine = ["A"] if viewer == "bob" else []
    assert purposes == sorted(mine + expected)
    assert "members" not in purposes  # another association's members-only usage is never shown


@pytest.mark.parametrize("rows", [1, 50])
def test_the_tools_list_costs_the_same_queries_whatever_its_size(client, db, django_assert_num_queries, rows):
    category = Category.objects.get(slug="courriel")
    for tool in ToolFactory.create_batch(rows):
        tool.categories.add(category)

    # count, page, categories
    with django_assert_num_queries(3):
        response = client.get(f"{API}/tools/")

    assert len(response.json()["results"]) == rows


@pytest.mark.parametrize("rows", [1, 50])
def test_a_tool_page_costs_the_same_queries_whatever_its_relations_and_users(
    as_user, bob, db, django_assert_num_queries, rows
):
    tool = ToolFactory(name="Doodle", free_software=FreeSoftware.NO)
    tool.categories.add(Category.objects.get(slug="planification-et-sondages"))
    for other in ToolFactory.create_batch(rows):
        ToolRelationFactory(from_tool=other, to_tool=tool)
        ToolUsageFactory(tool=tool, visibility=Visibility.PUBLIC)
        Provenance.objects.create(tool=tool, source="sill", record_id=str(other.pk))
    client = as_user(bob)

    # session, user, tool, categories, provenance, relations, usages
    with django_assert_num_queries(7):
        response = client.get(f"{API}/tools/doodle/")

    body = response.json()
    assert (len(body["relations"]["alternatives"]), len(body["used_by"]), len(body["provenance"])) == (rows, rows, rows)


# Proposals --------------------------------------------------------------------------------


def test_a_member_proposes_a_tool_and_likely_duplicates_are_flagged(as_user, bob, db):
    ToolFactory(name="Google Docs")

    response = call(
        as_user(bob),
        "post",
        f"{A}/tool-proposals/",
        {"name": "Google Doc", "description": "Écrire à plusieurs", "category": "edition-collaborative"},
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["association"], body["proposed_by"]) == ("pending", "Les Amis du Vélo", "Bob Durand")
    assert [tool["name"] for tool in body["possible_duplicates"]] == ["Google Docs"]
    assert [p["name"] for p in as_user(bob).get(f"{API}/tool-proposals/").json()["results"]] == ["Google Doc"]


def test_a_conseiller_reviews_proposals_and_a_member_cannot(as_user, bob, conseiller):
    call(as_user(bob), "post", f"{A}/tool-proposals/", {"name": "Paheko", "description": "Comptabilité"})
    code = ToolProposal.objects.get().code

    assert as_user(bob).get(f"{API}/tool-proposals/pending/").status_code == 403
    assert call(as_user(bob), "post", f"{API}/tool-proposals/{code}/approve/").status_code == 403
    pending = as_user(conseiller).get(f"{API}/tool-proposals/pending/").json()["results"]
    assert [p["name"] for p in pending] == ["Paheko"]

    response = call(as_user(conseiller), "post", f"{API}/tool-proposals/{code}/approve/")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["tool"]["slug"]) == ("approved", "paheko")
    assert call(as_user(conseiller), "post", f"{API}/tool-proposals/{code}/approve/").status_code == 400


def test_a_rejection_without_a_reason_is_a_400(as_user, bob, conseiller):
    call(as_user(bob), "post", f"{A}/tool-proposals/", {"name": "Paheko", "description": "Comptabilité"})
    code = ToolProposal.objects.get().code

    assert call(as_user(conseiller), "post", f"{API}/tool-proposals/{code}/reject/", {"reason": ""}).status_code == 400
    response = call(as_user(conseiller), "post", f"{API}/tool-proposals/{code}/reject/", {"reason": "Doublon"})

    assert response.json()["status"] == "rejected"
    assert as_user(bob).get(f"{API}/tool-proposals/{code}/").json()["rejection_reason"] == "Doublon"


def test_someone_elses_proposal_is_a_404(as_user, bob, berenice, charlie):
    call(as_user(bob), "post", f"{A}/tool-proposals/", {"name": "Paheko", "description": "Comptabilité"})
    code = ToolProposal.objects.get().code

    assert as_user(berenice).get(f"{API}/tool-proposals/{code}/").status_code == 404
    assert as_user(charlie).get(f"{API}/tool-proposals/{code}/").status_code == 404


# Stacks -----------------------------------------------------------------------------------


def test_the_board_adds_a_tool_edits_it_and_moves_it_along(as_user, berenice, association, stack):
    client = as_user(berenice)

    created = call(
        client, "post", f"{A}/stack/", {"tool": "nextcloud", "purpose": "Nos fichiers", "yearly_cost": "60.00"}
    )
    assert created.status_code == 201, created.json()
    code = created.json()["code"]
    assert (created.json()["stage"], created.json()["next_stages"]) == ("considered", ["trial", "adopted", "abandoned"])

    edited = call(client, "patch", f"{A}/stack/{code}/", {"satisfaction": 4, "visibility": "public"})
    assert (edited.status_code, edited.json()["satisfaction"], edited.json()["yearly_cost"]) == (200, 4, "60.00")

    moved = call(client, "post", f"{A}/stack/{code}/stage/", {"to_stage": "trial", "reason": "Essai d'un mois"})
    assert (moved.status_code, moved.json()["stage"]) == (200, "trial")

    history = client.get(f"{A}/stack/{code}/history/").json()["results"]
    assert [(h["from_stage"], h["to_stage"], h["changed_by"]) for h in history] == [
        ("considered", "trial", "Bérénice Petit"),
        (None, "considered", "Bérénice Petit"),
    ]


def test_a_refused_transition_is_a_400_and_leaves_no_history(as_user, berenice, association, stack):
    before = snapshot(association)

    response = call(
        as_user(berenice), "post", f"{A}/stack/{stack['usage'].code}/stage/", {"to_stage": "retiring", "reason": "?"}
    )

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"to_stage"}
    assert snapshot(association) == before


def test_the_stack_list_filters_by_stage_and_flags_know_how_at_risk(as_user, bob, association, stack):
    ToolUsageFactory(association=association, tool=ToolFactory(name="Zoom"), stage=Stage.ADOPTED)

    adopted = as_user(bob).get(f"{A}/stack/", {"stage": "adopted"}).json()["results"]

    assert [(row["tool"]["name"], row["know_how_risk"]) for row in adopted] == [("Zoom", "no_master")]
    assert as_user(bob).get(f"{A}/stack/", {"stage": "sideways"}).status_code == 400


def test_a_tool_without_history_can_be_deleted_and_one_with_history_cannot(as_user, alice, association, stack):
    client = as_user(alice)
    code = call(client, "post", f"{A}/stack/", {"tool": "nextcloud"}).json()["code"]

    assert call(client, "delete", f"{A}/stack/{code}/").status_code == 204

    code = call(client, "post", f"{A}/stack/", {"tool": "nextcloud"}).json()["code"]
    call(client, "post", f"{A}/stack/{code}/stage/", {"to_stage": "trial", "reason": "Essai"})
    assert call(client, "delete", f"{A}/stack/{code}/").status_code == 400


# Referents --------------------------------------------------------------------------------


def test_a_member_declares_their_own_know_how_but_not_someone_elses(as_user, bob, berenice, association, stack):
    client = as_user(bob)

    mine = call(client, "post", f"{A}/referents/", {"tool": "framadate", "level": "wants_to_learn"})
    assert mine.status_code == 201, mine.json()
    assert (mine.json()["member"]["display_name"], mine.json()["level"]) == ("Bob Durand", "wants_to_learn")

    berenices = str(membership_of(berenice, association).code)
    other = call(client, "post", f"{A}/referents/", {"tool": "framadate", "level": "masters", "member": berenices})
    assert other.status_code == 403
    assert call(client, "patch", f"{A}/referents/{stack['referent'].code}/", {"level": "can_help"}).status_code == 403


def test_the_board_declares_for_a_member_with_a_backup(as_user, berenice, alice, association, stack):
    body = {
        "tool": "framadate",
        "level": "can_help",
        "member": str(stack["bob"].code),
        "backup": str(membership_of(alice, association).code),
        "note": "Le mardi soir",
    }

    response = call(as_user(berenice), "post", f"{A}/referents/", body)

    assert response.status_code == 201, response.json()
    assert (response.json()["member"]["display_name"], response.json()["backup"]["display_name"]) == (
        "Bob Durand",
        "Alice Martin",
    )


def test_a_backup_from_another_association_is_refused_on_its_field(as_user, bob, charlie, other_association, stack):
    outsider = str(membership_of(charlie, other_association).code)

    response = call(
        as_user(bob), "post", f"{A}/referents/", {"tool": "framadate", "level": "masters", "backup": outsider}
    )

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"backup"}


def test_a_member_edits_and_removes_their_own_know_how(as_user, alice, association, stack):
    client = as_user(alice)
    url = f"{A}/referents/{stack['referent'].code}/"

    assert call(client, "patch", url, {"note": "Disponible le samedi"}).json()["note"] == "Disponible le samedi"
    assert call(client, "delete", url).status_code == 204
    with scopes_disabled():
        assert not Referent.objects.filter(pk=stack["referent"].pk).exists()


# Tenancy and the role matrix --------------------------------------------------------------


def not_found_body(client: Client) -> dict:
    return client.get(f"{API}/associations/nobody-uses-this-slug/stack/").json()


@pytest.mark.parametrize("who", ["charlie", "other_conseiller"])
def test_outsiders_get_the_same_404_on_every_stack_endpoint_and_nothing_changes(as_user, cast, association, stack, who):
    client = as_user(cast[who])
    before = snapshot(association)
    expected = not_found_body(client)

    for method, url, body in stack_endpoints(stack):
        response = call(client, method, url, body)
        assert response.status_code == 404, (method, url)
        assert response.json() == expected, (method, url)

    assert expected["error"]["code"] == "not_found"
    assert snapshot(association) == before


def test_a_conseiller_reads_the_stack_but_writes_nothing(as_user, conseiller, association, stack):
    client = as_user(conseiller)
    before = snapshot(association)

    for method, url, body in stack_endpoints(stack):
        response = call(client, method, url, body)
        assert response.status_code == (200 if method == "get" else 403), (method, url)

    assert snapshot(association) == before


def test_a_member_reads_the_stack_but_does_not_change_it(as_user, bob, association, stack):
    client = as_user(bob)
    before = snapshot(association)
    writes = [
        ("post", f"{A}/stack/", {"tool": "nextcloud"}),
        ("patch", f"{A}/stack/{stack['usage'].code}/", {"purpose": "Autre chose"}),
        ("delete", f"{A}/stack/{stack['usage'].code}/", None),
        ("post", f"{A}/stack/{stack['usage'].code}/stage/", {"to_stage": "adopted", "reason": "Vote"}),
    ]

    for method, url, body in writes:
        assert call(client, method, url, body).status_code == 403, (method, url)

    assert snapshot(association) == before


def test_anonymous_callers_get_401_on_the_stack(client, stack):
    assert client.get(f"{A}/stack/").status_code == 401


def test_an_unknown_usage_code_gives_the_same_404_as_an_outsider(as_user, alice, stack):
    client = as_user(alice)

    response = client.get(f"{A}/stack/{uuid.uuid4()}/")

    assert response.status_code == 404
    assert response.json() == not_found_body(client)


def test_a_usage_of_another_association_is_a_404_even_with_its_code(as_user, alice, other_association, framadate):
    theirs = ToolUsageFactory(association=other_association, tool=framadate)

    assert as_user(alice).get(f"{A}/stack/{theirs.code}/").status_code == 404
    assert call(as_user(alice), "delete", f"{A}/stack/{theirs.code}/").status_code == 404
    with scopes_disabled():
        assert ToolUsage.objects.filter(pk=theirs.pk).exists()


# Query counts -----------------------------------------------------------------------------


def fill_stack(association, members, rows):
    for tool in ToolFactory.create_batch(rows):
        tool.categories.add(Category.objects.get(slug="courriel"))
        ToolUsageFactory(association=association, tool=tool, stage=Stage.ADOPTED)
        for member in members:
            ReferentFactory(membership=member, tool=tool, level=KnowHowLevel.MASTERS)


@pytest.mark.parametrize("rows", [1, 50])
def test_the_stack_list_costs_the_same_queries_whatever_its_size(
    as_user, bob, association, django_assert_num_queries, rows
):
    fill_stack(association, [membership_of(bob, association)], rows)
    client = as_user(bob)

    # session, user, association, membership, follow-ups, count, page, categories
    with django_assert_num_queries(8):
        response = client.get(f"{A}/stack/")

    assert len(response.json()["results"]) == rows


@pytest.mark.parametrize("rows", [1, 50])
def test_the_referents_list_costs_the_same_queries_whatever_its_size(
    as_user, bob, association, django_assert_num_queries, rows
):
    fill_stack(association, [MembershipFactory(association=association, user=UserFactory())], rows)
    client = as_user(bob)

    # session, user, association, membership, follow-ups, count, page
    with django_assert_num_queries(7):
        response = client.get(f"{A}/referents/")

    assert len(response.json()["results"]) == rows


@pytest.mark.parametrize("rows", [1, 50])
def test_the_stack_history_costs_the_same_queries_whatever_its_size(
    as_user, alice, association, django_assert_num_queries, rows
):
    with scopes_disabled():
        for usage in [ToolUsageFactory(association=association, stage=Stage.TRIAL) for _ in range(rows)]:
            ToolUsageChange.objects.create(
                association=association, usage=usage, from_stage="", to_stage=Stage.TRIAL, changed_by=alice
            )
    client = as_user(alice)

    # session, user, association, membership, follow-ups, count, page
    with django_assert_num_queries(7):
        response = client.get(f"{A}/stack/history/")

    assert len(response.json()["results"]) == rows


def test_conseillers_review_proposals_without_seeing_who_made_them(as_user, bob, conseiller):
    call(as_user(bob), "post", f"{A}/tool-proposals/", {"name": "Paheko", "description": "Comptabilité"})
    staff = UserFactory(email="moderation@asso-hub.fr", is_staff=True)
    code = ToolProposal.objects.get().code

    (for_conseiller,) = as_user(conseiller).get(f"{API}/tool-proposals/pending/").json()["results"]
    (for_staff,) = as_user(staff).get(f"{API}/tool-proposals/pending/").json()["results"]
    for_author = as_user(bob).get(f"{API}/tool-proposals/{code}/").json()

    assert "proposed_by" not in for_conseiller and "association" not in for_conseiller
    assert (for_staff["proposed_by"], for_staff["association"]) == ("Bob Durand", "Les Amis du Vélo")
    assert for_author["proposed_by"] == "Bob Durand"
