"""Models, selectors and admin pages of the catalogue."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.urls import reverse

from shared_tools.models import Category, FreeSoftware, RelationKind, Tool, ToolRelation
from shared_tools.selectors import alternatives_to, catalogue_tools
from shared_tools.services import import_degooglisons, import_sill
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ASKED_FOR = [
    "communication",
    "site-web",
    "visioconference",
    "partage-de-fichiers",
    "bureautique",
    "comptabilite",
    "gestion-des-adherents",
    "dons-et-billetterie",
    "planification-et-sondages",
    "lettres-d-information",
    "reseaux-sociaux",
    "securite",
]


def make_tool(name: str, **fields) -> Tool:
    tool = Tool(name=name, slug=name.lower().replace(" ", "-"), **fields)
    tool.save()
    return tool


def test_the_category_tree_is_seeded_with_french_names():
    assert set(ASKED_FOR) <= set(Category.objects.values_list("slug", flat=True))
    visio = Category.objects.get(slug="visioconference")
    assert (visio.name, visio.parent.slug) == ("Visioconférence", "communication")
    assert str(visio) == "Communication › Visioconférence"


def test_every_category_the_importers_use_is_seeded():
    from shared_tools import importers

    used = {
        slug
        for table in (
            importers.SILL_COMPONENT_CATEGORIES,
            importers.SILL_TOOL_CATEGORIES,
            importers.DEGOOGLISONS_CATEGORIES,
            importers.DEGOOGLISONS_THEME_CATEGORIES,
        )
        for slugs in table.values()
        for slug in slugs
    }
    assert used <= set(Category.objects.values_list("slug", flat=True))


def test_every_hand_placed_sill_tool_exists_in_the_file():
    from shared_tools.importers import SILL_TOOL_CATEGORIES, parse_sill

    assert set(SILL_TOOL_CATEGORIES) <= set(parse_sill().tools)


def test_a_tool_saved_by_hand_gets_its_match_key():
    tool = make_tool("Rocket.Chat")

    assert tool.match_key == "rocketchat"


def test_a_tool_with_an_invalid_licence_or_unknown_platform_fails_validation():
    tool = Tool(name="Essai", slug="essai", licence="GPL-2", platforms=["web", "amiga"])

    with pytest.raises(ValidationError) as error:
        tool.full_clean()

    assert set(error.value.message_dict) == {"licence", "platforms"}


def test_a_relation_is_unique_per_pair_and_kind():
    libre, proprietary = make_tool("Framadate"), make_tool("Doodle", free_software=FreeSoftware.NO)
    ToolRelation.objects.create(from_tool=libre, to_tool=proprietary, kind=RelationKind.ALTERNATIVE_TO, note="x")
    ToolRelation.objects.create(from_tool=libre, to_tool=proprietary, kind=RelationKind.SIMILAR_TO)

    with pytest.raises(IntegrityError):
        ToolRelation.objects.create(from_tool=libre, to_tool=proprietary, kind=RelationKind.ALTERNATIVE_TO)


def test_a_relation_from_a_tool_to_itself_is_refused():
    tool = make_tool("Framadate")

    with pytest.raises(IntegrityError):
        ToolRelation.objects.create(from_tool=tool, to_tool=tool, kind=RelationKind.SIMILAR_TO)


def test_catalogue_tools_of_a_category_include_its_sub_categories_once():
    import_sill()
    import_degooglisons()
    communication = Category.objects.get(slug="communication")

    names = list(catalogue_tools(category=communication).values_list("name", flat=True))

    assert "Mastodon" in names  # réseaux sociaux, a child of communication
    assert "Twitter" in names
    assert len(names) == len(set(names))
    assert "Twitter" not in catalogue_tools(category=communication, free_only=True).values_list("name", flat=True)


def test_discontinued_tools_leave_the_catalogue_but_not_the_database():
    import_degooglisons()
    Tool.objects.filter(name="Framanews").update(discontinued=True)

    assert not catalogue_tools(search="Framanews").exists()
    assert catalogue_tools(search="Framanews", include_discontinued=True).count() == 1
    assert not import_degooglisons().changed
    assert Tool.objects.get(name="Framanews").discontinued


def test_alternatives_to_a_proprietary_service_list_free_software_first():
    import_sill()
    import_degooglisons()

    alternatives = list(alternatives_to(tool=Tool.objects.get(name="Dropbox")))

    names = [tool.name for tool in alternatives]
    assert names[0] == "Cozy"
    assert {"NextCloud", "Seafile", "Framadrive", "Seacloud"} <= set(names)
    assert [tool.free_software == FreeSoftware.YES for tool in alternatives] == sorted(
        (tool.free_software == FreeSoftware.YES for tool in alternatives), reverse=True
    )


@pytest.mark.parametrize("rows", [1, 50])
def test_catalogue_listing_costs_two_queries_whatever_its_size(django_assert_num_queries, rows):
    category = Category.objects.get(slug="courriel")
    for number in range(rows):
        make_tool(f"Outil {number}").categories.add(category)

    with django_assert_num_queries(2):
        tools = list(catalogue_tools())
        assert all(tool.categories.all()[0] == category for tool in tools)


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(email="staff@exemple.fr", is_staff=True, is_superuser=True))
    return client


def test_staff_can_browse_and_search_the_catalogue_in_the_admin(staff_client):
    import_sill()
    import_degooglisons()
    nextcloud = Tool.objects.get(match_key="nextcloud")

    pages = [
        reverse("admin:shared_tools_tool_changelist") + "?q=cloud&free_software__exact=yes",
        reverse("admin:shared_tools_tool_change", args=[nextcloud.pk]),
        reverse("admin:shared_tools_toolrelation_changelist") + "?kind__exact=alternative_to",
        reverse("admin:shared_tools_category_changelist"),
    ]
    for page in pages:
        assert staff_client.get(page).status_code == 200


def test_staff_edit_platforms_and_hosting_options_as_choices(staff_client):
    tool = make_tool("Paheko", free_software=FreeSoftware.YES)
    url = reverse("admin:shared_tools_tool_change", args=[tool.pk])
    form = {
        "name": "Paheko",
        "slug": "paheko",
        "kind": "software",
        "free_software": "yes",
        "licence": "AGPL-3.0-or-later",
        "platforms": ["web"],
        "hosting_options": ["self_hosted", "online"],
        "data_location": "france",
        "pricing": "freemium",
        "ease_of_use": "beginner",
        "relations_from-TOTAL_FORMS": "0",
        "relations_from-INITIAL_FORMS": "0",
        "provenance-TOTAL_FORMS": "0",
        "provenance-INITIAL_FORMS": "0",
    }

    response = staff_client.post(url, form)

    assert response.status_code == 302, response.content.decode()[:2000]
    tool.refresh_from_db()
    assert (tool.platforms, tool.hosting_options, tool.licence) == (
        ["web"],
        ["self_hosted", "online"],
        "AGPL-3.0-or-later",
    )
