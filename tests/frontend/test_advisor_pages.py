"""Pages of help requests (both sides) and the administrators' view of conseillers' reads."""

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from hub.models import HelpRequest, HelpStatus
from tests.advisor import fixtures

# The help-request fixtures of tests/advisor, shared by name with this module.
open_help = fixtures.open_help

MATRIX = [
    ("alice", 200),
    ("berenice", 200),
    ("bob", 403),
    ("conseiller", 200),
    ("other_conseiller", 404),
    ("charlie", 404),
]


@pytest.mark.parametrize(("role", "expected"), MATRIX)
def test_help_request_pages_permission_matrix(request, login, association, open_help, role, expected):
    help_request = open_help()
    client = login(request.getfixturevalue(role))
    assert client.get(reverse("frontend:help_requests", args=[association.slug])).status_code == expected
    detail = reverse("frontend:help_request_detail", args=[association.slug, help_request.code])
    assert client.get(detail).status_code == expected
    replied = client.post(detail, {"body": "Bonjour"})
    assert replied.status_code == (302 if expected == 200 else expected)


@pytest.mark.parametrize(
    ("role", "expected"),
    [("alice", 200), ("berenice", 200), ("bob", 403), ("conseiller", 403), ("charlie", 404)],
)
def test_only_the_board_may_open_a_request(request, login, association, conseiller, role, expected):
    client = login(request.getfixturevalue(role))
    assert client.get(reverse("frontend:help_request_new", args=[association.slug])).status_code == expected


def test_the_board_asks_for_help_on_a_tool_of_its_stack(login, association, berenice, network, conseiller):
    from tests.shared_tools.factories import ToolFactory, ToolUsageFactory

    ToolUsageFactory(association=association, tool=ToolFactory(name="Nextcloud"))
    client = login(berenice)
    response = client.post(
        reverse("frontend:help_request_new", args=[association.slug]),
        {"network": network.pk, "title": "Partage de fichiers", "tool": "nextcloud", "message": "Comment partager ?"},
    )
    assert response.status_code == 302
    with scopes_disabled():
        help_request = HelpRequest.objects.get()
    assert (help_request.tool_slug, help_request.tool_name) == ("nextcloud", "Nextcloud")
    page = client.get(response["Location"]).content.decode()
    assert "Comment partager ?" in page


def test_without_a_following_network_the_board_is_told_so(login, association, berenice):
    page = login(berenice).get(reverse("frontend:help_request_new", args=[association.slug])).content.decode()
    assert "Aucun réseau n'accompagne encore votre association." in page


def test_a_conseiller_moves_a_request_from_the_thread_page(login, association, conseiller, open_help):
    help_request = open_help()
    client = login(conseiller)
    page = client.get(reverse("frontend:help_request_detail", args=[association.slug, help_request.code]))
    assert 'value="in_progress"' in page.content.decode()
    response = client.post(
        reverse("frontend:help_request_status", args=[association.slug, help_request.code]), {"status": "in_progress"}
    )
    assert response.status_code == 302
    with scopes_disabled():
        assert HelpRequest.objects.get().status == HelpStatus.IN_PROGRESS


def test_a_member_cannot_move_a_request(login, association, bob, open_help):
    help_request = open_help()
    url = reverse("frontend:help_request_status", args=[association.slug, help_request.code])
    assert login(bob).post(url, {"status": "done"}).status_code == 403


def test_the_settings_page_links_to_the_read_log_for_administrators(login, association, alice):
    page = login(alice).get(reverse("frontend:association_settings", args=[association.slug])).content.decode()
    assert reverse("frontend:advisor_reads", args=[association.slug]) in page


def test_the_network_page_links_to_the_dashboard(login, conseiller, network):
    page = login(conseiller).get(reverse("frontend:network_detail", args=[network.slug])).content.decode()
    assert reverse("frontend:network_dashboard", args=[network.slug]) in page


def test_the_help_list_runs_the_same_queries_for_1_and_30_requests(
    login, association, berenice, open_help, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    open_help()
    client = login(berenice)
    url = reverse("frontend:help_requests", args=[association.slug])
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for i in range(29):
        open_help(title=f"Question {i}")
    with django_assert_num_queries(len(one.captured_queries)):
        assert client.get(url).status_code == 200
