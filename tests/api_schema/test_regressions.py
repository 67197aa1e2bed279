"""What the schemathesis run found, each pinned with the request that broke it."""

import re
from datetime import date

import pytest
from django.test import Client
from django_scopes import scopes_disabled
from rest_framework.authtoken.models import Token

from governance import services as governance
from governance.models import Proposal, Status
from hub.tenancy import association_scope
from shared_tools.models import Place
from tests.shared_tools.factories import ToolFactory

API = "/api/v1"
A = f"{API}/associations/amis-du-velo"


@pytest.fixture
def api_schema(client, db):
    return client.get("/api/schema/", HTTP_ACCEPT="application/json").json()


@pytest.fixture
def as_token(db):
    def _as(user) -> Client:
        token, _created = Token.objects.get_or_create(user=user)
        return Client(HTTP_AUTHORIZATION=f"Token {token.key}")

    return _as


def error_of(response, status):
    assert response.status_code == status, response.content[:200]
    assert response["Content-Type"] == "application/json"
    return response.json()["error"]


@pytest.mark.parametrize(
    "method, url",
    [
        # A code that is not a UUID matches no route: Django answered with the site's HTML page.
        ("get", f"{A}/stack/not-a-uuid/"),
        ("post", f"{A}/proposals/0/withdraw/"),
        ("delete", f"{API}/tool-proposals/%00/"),
        ("get", f"{API}/nowhere/"),
    ],
)
def test_an_address_under_the_api_that_matches_nothing_is_a_json_404(as_token, bob, method, url):
    response = getattr(as_token(bob), method)(url)
    assert error_of(response, 404)["code"] == "not_found"
    # The same body as an association the caller cannot see: nothing tells the two apart.
    assert response.content == as_token(bob).get(f"{API}/associations/nowhere/").content


def test_a_page_past_the_last_is_a_documented_404(as_token, bob, api_schema):
    # `?page=0` answered 404 "Invalid page", which no list documented.
    assert error_of(as_token(bob).get(f"{API}/associations/?page=0"), 404)["code"] == "not_found"
    lists = [
        (path, operation)
        for path, operations in api_schema["paths"].items()
        for operation in operations.values()
        if any(p["name"] == "page" for p in operation.get("parameters", []))
    ]
    assert len(lists) > 20
    assert all("404" in operation["responses"] for _path, operation in lists), [
        path for path, operation in lists if "404" not in operation["responses"]
    ]


def test_notification_preferences_are_a_plain_list_as_documented(as_token, bob, api_schema):
    # The schema said a page ({count, results}); the view returns every category, unpaginated.
    rows = as_token(bob).get(f"{A}/notifications/preferences/").json()
    assert isinstance(rows, list) and {"category", "mode", "default"} <= set(rows[0])
    documented = api_schema["paths"]["/api/v1/associations/{association_slug}/notifications/preferences/"]
    assert documented["get"]["responses"]["200"]["content"]["application/json"]["schema"]["type"] == "array"
    assert not any(p["name"] == "page" for p in documented["get"].get("parameters", []))


def test_an_unknown_proposal_state_is_a_documented_400(as_token, bob, api_schema):
    error = error_of(as_token(bob).get(f"{A}/proposals/?status=AAA"), 400)
    assert "status" in error["fields"]
    assert "400" in api_schema["paths"]["/api/v1/associations/{association_slug}/proposals/"]["get"]["responses"]


def test_a_tool_without_website_or_sill_status_shows_null_as_documented(client, db, api_schema):
    # "" is neither a URI nor one of R, O, FR: the response broke its own schema.
    ToolFactory(name="Nextcloud", slug="nextcloud", website="", sill_status="")
    tool = client.get(f"{API}/tools/nextcloud/").json()
    assert tool["website"] is None and tool["sill_status"] is None
    ToolFactory(name="Framadate", slug="framadate", website="https://framadate.org", sill_status="R")
    tool = client.get(f"{API}/tools/framadate/").json()
    assert (tool["website"], tool["sill_status"]) == ("https://framadate.org", "R")
    properties = api_schema["components"]["schemas"]["ToolDetail"]["properties"]
    assert properties["website"]["nullable"] is True and properties["sill_status"]["nullable"] is True


def test_quiet_hours_match_their_documented_format(as_token, bob, api_schema):
    # `format: time` asks JSON Schema for an offset ("21:00:00Z"); quiet hours are wall-clock times.
    settings = as_token(bob).get(f"{API}/notifications/settings/").json()
    field = api_schema["components"]["schemas"]["Settings"]["properties"]["quiet_start"]
    assert "format" not in field
    assert re.fullmatch(field["pattern"], settings["quiet_start"]) and settings["quiet_start"] == "21:00:00"
    changed = as_token(bob).patch(
        f"{API}/notifications/settings/", {"quiet_start": "22:30"}, content_type="application/json"
    )
    assert changed.json()["quiet_start"] == "22:30:00"


def test_withdrawing_a_draft_that_never_opened(as_token, association, berenice, access_of):
    # The draft has no voting dates, and "withdrawn without dates" broke a check constraint: 500.
    with association_scope(association):
        draft = governance.create_proposal(access=access_of(berenice), title="Changer d'agenda partagé")
    response = as_token(berenice).post(f"{A}/proposals/{draft.code}/withdraw/")
    assert response.status_code == 200, response.content[:200]
    assert response.json()["status"] == "withdrawn"
    with scopes_disabled():
        withdrawn = Proposal.objects.get(pk=draft.pk)
    assert (withdrawn.status, withdrawn.opens_at, withdrawn.closes_at) == (Status.WITHDRAWN, None, None)


def test_a_help_request_about_no_tool_has_a_null_tool_slug(as_token, berenice, association, network, conseiller):
    # "" does not match the slug pattern the schema gives `tool_slug`.
    opened = as_token(berenice).post(
        f"{A}/help-requests/",
        {"network": network.slug, "title": "Sauvegardes", "message": "Comment faire ?"},
        content_type="application/json",
    )
    assert opened.status_code == 201, opened.content[:200]
    assert opened.json()["tool_slug"] is None


def test_a_place_without_booking_or_accessibility_links_shows_null(as_token, bob, api_schema):
    # "" is not a URI: GET /places/{code}/ broke its own schema for most places.
    place = Place(
        local_id="epn-tours-1",
        pivot="12345678900011",
        name="Espace numérique des Fontaines",
        commune="Tours",
        postcode="37000",
        address="4 rue de la Loire",
        updated_on=date(2026, 1, 15),
    )
    place.refresh_derived()
    place.save()
    body = as_token(bob).get(f"{API}/places/{place.code}/").json()
    assert body["booking_url"] is None and body["acces_libre_url"] is None
    properties = api_schema["components"]["schemas"]["PlaceDetail"]["properties"]
    assert properties["booking_url"]["nullable"] is True and properties["acces_libre_url"]["nullable"] is True


@pytest.mark.parametrize("value", ["next\x00cloud", "\udcff"])
def test_a_tool_named_by_a_value_that_is_no_slug_is_refused_before_the_database(as_token, berenice, value):
    # PostgreSQL refuses NUL bytes with an error: `?tool=%00` on the tutorial library was a 500.
    ToolFactory(name="Nextcloud", slug="nextcloud")
    assert as_token(berenice).get(f"{API}/tutorials/?tool=next%00cloud").status_code == 400
    posted = as_token(berenice).post(f"{A}/stack/", {"tool": value}, content_type="application/json")
    assert "tool" in error_of(posted, 400)["fields"]


def test_an_error_that_echoes_a_lone_surrogate_still_renders(as_token, bob):
    # '"\udcff" is not a valid choice': the UTF-8 rendering of that message failed (500).
    response = as_token(bob).patch(f"{API}/me/", '{"language": "\\udcff"}', content_type="application/json")
    assert "\\udcff" in error_of(response, 400)["fields"]["language"][0]
