"""The governance API: happy paths, secret ballots, refusals that store nothing, charlie's 404s,
query counts and the OpenAPI schema."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_scopes import scopes_disabled

from governance import services
from governance.models import Ballot, Comment, Decision, Participation, Proposal
from hub.tenancy import association_scope
from tests.factories import MembershipFactory, UserFactory

A = "/api/v1/associations/amis-du-velo"


def french(message: str) -> str:
    """The message as a French-speaking caller receives it (the default language)."""
    with translation.override("fr"):
        return gettext(message)


@pytest.fixture
def as_user(db):
    def _as(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return _as


def snapshot():
    """Everything governance stores, to check that a refused request changed nothing."""
    with scopes_disabled():
        return {
            model.__name__: sorted(str(row) for row in model.objects.values_list())
            for model in (Proposal, Participation, Ballot, Comment, Decision)
        }


# Happy paths ------------------------------------------------------------------------------


def test_the_board_drafts_opens_and_closes_a_vote_members_take_part(as_user, alice, berenice, bob, tools):
    board, member = as_user(alice), as_user(bob)
    response = board.post(
        f"{A}/proposals/",
        {
            "title": "Choisir notre outil de sondage",
            "kind": "adopt",
            "method": "single",
            "body": "Nous comparons **trois** outils.",
            "criteria": ["Hébergement"],
            "options": [
                {"label": "Framadate", "tool": "framadate", "assessments": {"Hébergement": "France"}},
                {"label": "Doodle", "tool": "doodle", "assessments": {"Hébergement": "Suisse"}},
            ],
            "electorate": "members",
            "quorum_percent": 50,
            "results_hidden": False,
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    proposal = response.json()
    assert proposal["status"] == "draft"
    assert proposal["body_html"] == "<p>Nous comparons <strong>trois</strong> outils.</p>\n"
    assert [o["tool"]["slug"] for o in proposal["options"]] == ["framadate", "doodle"]
    url = f"{A}/proposals/{proposal['code']}/"

    opened = board.post(f"{url}open/", {}, content_type="application/json").json()
    assert opened["status"] == "open" and opened["elector_count"] == 3 and opened["allowed"]["vote"] is True

    framadate = proposal["options"][0]["code"]
    first = member.post(f"{url}vote/", {"choice": "options", "options": [framadate]}, content_type="application/json")
    assert first.status_code == 201 and first.json()["changed"] is False
    again = member.post(f"{url}vote/", {"choice": "abstain"}, content_type="application/json")
    assert again.status_code == 200 and again.json()["changed"] is True
    member.post(f"{url}vote/", {"choice": "options", "options": [framadate]}, content_type="application/json")
    as_user(berenice).post(
        f"{url}vote/", {"choice": "options", "options": [framadate]}, content_type="application/json"
    )

    detail = member.get(url).json()
    assert detail["my_vote"]["choice"] == "options" and detail["my_vote"]["options"] == [framadate]
    assert detail["tally"]["participants"] == 2 and detail["tally"]["final"] is False

    decision = board.post(f"{url}close/").json()
    assert decision["outcome"] == "adopted" and decision["winning_option"]["label"] == "Framadate"
    assert decision["effect"][-1] == {
        "tool": decision["effect"][-1]["tool"],
        "tool_name": "Framadate",
        "from_stage": "considered",
        "to_stage": "adopted",
    }
    register = member.get(f"{A}/decisions/").json()
    assert [d["code"] for d in register["results"]] == [decision["code"]]
    shown = member.get(f"{A}/decisions/{decision['code']}/").json()
    assert sorted(line["voter"] for line in shown["ballots"]) == ["Bob Durand", "Bérénice Petit"]
    assert shown["voted"] == ["Bob Durand", "Bérénice Petit"]

    statement = board.post(
        f"{A}/decisions/{decision['code']}/statement/", {"statement": "Adopté."}, content_type="application/json"
    )
    assert statement.status_code == 200 and statement.json()["statement"] == "Adopté."
    verified = member.get(f"{A}/decisions/verify/").json()
    assert verified == {
        "ok": True,
        "checked": 1,
        "latest_hash": decision["hash"],
        "broken_sequence": None,
        "broken_code": None,
        "reason": "",
    }


def test_results_stay_hidden_until_the_close_when_the_rules_say_so(as_user, bob, make_proposal):
    proposal = make_proposal(results_hidden=True)
    url = f"{A}/proposals/{proposal.code}/"
    assert as_user(bob).get(url).json()["tally"] is None
    assert as_user(bob).get(f"{url}tally/").status_code == 403


def test_comments_are_listed_and_posted(as_user, bob, make_proposal):
    proposal = make_proposal()
    url = f"{A}/proposals/{proposal.code}/comments/"
    posted = as_user(bob).post(url, {"body": "[voir](javascript:alert(1)) <b>ok</b>"}, content_type="application/json")
    assert posted.status_code == 201
    assert "javascript" not in posted.json()["body_html"].split("[voir]")[0]
    assert "<b>" not in posted.json()["body_html"]
    assert [c["author"] for c in as_user(bob).get(url).json()["results"]] == ["Bob Durand"]


# Secret ballots --------------------------------------------------------------------------


def test_a_secret_ballot_never_shows_its_voter(as_user, alice, bob, make_proposal):
    proposal = make_proposal(anonymous=True)
    url = f"{A}/proposals/{proposal.code}/"
    cast = as_user(bob).post(f"{url}vote/", {"choice": "against"}, content_type="application/json").json()
    assert cast["receipt"]
    mine = as_user(bob).get(url).json()["my_vote"]
    assert mine["voted_at"] and mine["choice"] is None  # counted, but the app cannot say which ballot
    checked = as_user(bob).post(f"{url}ballot-check/", {"receipt": cast["receipt"]}, content_type="application/json")
    assert checked.json()["choice"] == "against"
    changed = as_user(bob).post(
        f"{url}vote/", {"choice": "for", "receipt": cast["receipt"]}, content_type="application/json"
    )
    assert changed.status_code == 200
    decision = as_user(alice).post(f"{url}close/").json()
    shown = as_user(bob).get(f"{A}/decisions/{decision['code']}/").json()
    assert shown["ballots"] == [{"voter": None, "choice": french("For"), "options": [], "reason": ""}]
    assert shown["voted"] == ["Bob Durand"]  # who took part is public; not what they voted


def test_a_wrong_receipt_checks_nothing(as_user, bob, make_proposal):
    proposal = make_proposal(anonymous=True)
    url = f"{A}/proposals/{proposal.code}/ballot-check/"
    assert as_user(bob).post(url, {"receipt": "devine"}, content_type="application/json").status_code == 404


# Refusals --------------------------------------------------------------------------------


def test_a_vote_after_close_is_refused_and_stores_nothing(as_user, alice, bob, make_proposal):
    proposal = make_proposal()
    with association_scope(proposal.association_id):
        services.close_proposal(proposal_id=proposal.pk, access=None, now=timezone.now() + timedelta(days=8))
    before = snapshot()
    response = as_user(bob).post(
        f"{A}/proposals/{proposal.code}/vote/", {"choice": "for"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == french(
        "Voting on this proposal is closed: your vote was not recorded."
    )
    assert snapshot() == before


def test_a_vote_after_the_deadline_but_before_the_close_is_refused(as_user, bob, make_proposal):
    proposal = make_proposal(closes_at=timezone.now() + timedelta(hours=1))
    before = snapshot()
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        response = as_user(bob).post(
            f"{A}/proposals/{proposal.code}/vote/", {"choice": "for"}, content_type="application/json"
        )
    assert response.status_code == 400
    assert snapshot() == before


@pytest.mark.parametrize(("who", "status"), [("bob", 403), ("conseiller", 403), ("charlie", 404)])
def test_non_electors_cannot_vote(as_user, request, make_proposal, who, status):
    proposal = make_proposal(electorate="board")
    user = request.getfixturevalue(who)
    before = snapshot()
    response = as_user(user).post(
        f"{A}/proposals/{proposal.code}/vote/", {"choice": "for"}, content_type="application/json"
    )
    assert response.status_code == status
    assert snapshot() == before


def test_invalid_votes_get_the_error_body(as_user, bob, make_proposal):
    proposal = make_proposal(reason_required=True)
    response = as_user(bob).post(
        f"{A}/proposals/{proposal.code}/vote/", {"choice": "block"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"reason"}


def test_members_cannot_close_or_write_statements(as_user, alice, bob, make_proposal):
    proposal = make_proposal()
    assert as_user(bob).post(f"{A}/proposals/{proposal.code}/close/").status_code == 403
    decision = as_user(alice).post(f"{A}/proposals/{proposal.code}/close/").json()
    before = snapshot()
    response = as_user(bob).post(
        f"{A}/decisions/{decision['code']}/statement/", {"statement": "x"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert snapshot() == before


def test_a_conseiller_reads_but_never_writes(as_user, conseiller, make_proposal):
    proposal = make_proposal()
    client = as_user(conseiller)
    assert client.get(f"{A}/proposals/{proposal.code}/").json()["allowed"] == {
        "vote": False,
        "comment": False,
        "edit": False,
        "open": False,
        "withdraw": False,
        "close": False,
    }
    before = snapshot()
    assert client.post(f"{A}/proposals/", {"title": "x"}, content_type="application/json").status_code == 403
    posted = client.post(f"{A}/proposals/{proposal.code}/comments/", {"body": "x"}, content_type="application/json")
    assert posted.status_code == 403
    assert snapshot() == before


# charlie (member of another association) ---------------------------------------------------


def test_charlie_gets_404_everywhere_in_a_and_nothing_changes(as_user, alice, bob, charlie, make_proposal):
    proposal = make_proposal()
    with association_scope(proposal.association_id):
        services.cast_vote(
            access=__import__("hub.permissions").permissions.access_for(bob, proposal.association),
            proposal=proposal,
            choice="for",
        )
    decision = as_user(alice).post(f"{A}/proposals/{proposal.code}/close/").json()
    draft = make_proposal(open=False, title="Brouillon")
    p, d, dr = f"{A}/proposals/{proposal.code}/", f"{A}/decisions/{decision['code']}/", f"{A}/proposals/{draft.code}/"
    client = as_user(charlie)
    before = snapshot()
    requests = [
        ("get", f"{A}/proposals/", None),
        ("post", f"{A}/proposals/", {"title": "Intrusion"}),
        ("get", p, None),
        ("patch", dr, {"title": "Intrusion"}),
        ("post", f"{dr}open/", {}),
        ("post", f"{dr}withdraw/", None),
        ("post", f"{p}close/", None),
        ("post", f"{p}vote/", {"choice": "for"}),
        ("post", f"{p}ballot-check/", {"receipt": "x"}),
        ("get", f"{p}tally/", None),
        ("get", f"{p}comments/", None),
        ("post", f"{p}comments/", {"body": "Intrusion"}),
        ("get", f"{A}/decisions/", None),
        ("get", f"{A}/decisions/verify/", None),
        ("get", d, None),
        ("post", f"{d}statement/", {"statement": "Intrusion"}),
    ]
    bodies = set()
    for method, url, body in requests:
        response = getattr(client, method)(url, body, content_type="application/json")
        assert response.status_code == 404, (method, url, response.status_code)
        bodies.add(response.content)
    assert len(bodies) == 1  # the same body as an address that does not exist
    assert client.get("/api/v1/associations/nowhere/proposals/").content in bodies
    assert snapshot() == before


# Query counts ------------------------------------------------------------------------------


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.json()


@pytest.mark.parametrize("path", ["proposals/", "proposals/?status=open", "proposals/?to_vote=1"])
def test_the_proposals_list_runs_the_same_queries_for_1_or_50(as_user, bob, make_proposal, path):
    client = as_user(bob)
    make_proposal()
    one, body = count_queries(client, f"{A}/{path}")
    assert body["count"] == 1
    for i in range(49):
        make_proposal(title=f"Proposition {i}")
    fifty, body = count_queries(client, f"{A}/{path}")
    assert body["count"] == 50
    assert one == fifty


def test_the_register_runs_the_same_queries_for_1_or_50(as_user, alice, bob, access_of, make_proposal):
    client = as_user(bob)

    def decide(title):
        proposal = make_proposal(title=title)
        with association_scope(proposal.association_id):
            services.cast_vote(access=access_of(bob), proposal=proposal, choice="for")
            services.close_proposal(proposal_id=proposal.pk, access=access_of(alice))

    decide("Première")
    one, _ = count_queries(client, f"{A}/decisions/")
    verify_one, _ = count_queries(client, f"{A}/decisions/verify/")
    for i in range(49):
        decide(f"Décision {i}")
    fifty, body = count_queries(client, f"{A}/decisions/")
    verify_fifty, verified = count_queries(client, f"{A}/decisions/verify/")
    assert body["count"] == 50 and verified["checked"] == 50
    assert (one, verify_one) == (fifty, verify_fifty)


def test_the_comments_list_runs_the_same_queries_for_1_or_50(as_user, bob, access_of, make_proposal):
    proposal = make_proposal()
    client = as_user(bob)
    url = f"{A}/proposals/{proposal.code}/comments/"
    with association_scope(proposal.association_id):
        services.add_comment(access=access_of(bob), proposal=proposal, body="Un")
    one, _ = count_queries(client, url)
    with association_scope(proposal.association_id):
        for i in range(49):
            services.add_comment(access=access_of(bob), proposal=proposal, body=f"Message {i}")
    fifty, body = count_queries(client, url)
    assert body["count"] == 50 and one == fifty


def test_a_decision_page_runs_the_same_queries_for_1_or_50_ballots(
    as_user, alice, association, access_of, make_proposal
):
    def decided(voters):
        proposal = make_proposal(title=f"{len(voters)} votants")
        with association_scope(association):
            for user in voters:
                services.cast_vote(access=access_of(user), proposal=proposal, choice="for")
            return services.close_proposal(proposal_id=proposal.pk, access=access_of(alice))

    small = decided([alice])
    crowd = [UserFactory() for _ in range(49)]
    for user in crowd:
        MembershipFactory(association=association, user=user)
    big = decided([alice, *crowd])
    client = as_user(alice)
    one, _ = count_queries(client, f"{A}/decisions/{small.code}/")
    fifty, body = count_queries(client, f"{A}/decisions/{big.code}/")
    assert len(body["ballots"]) == 50 and one == fifty


# Schema ------------------------------------------------------------------------------------


def test_every_governance_endpoint_is_in_the_schema(client, db):
    paths = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    a = "/api/v1/associations/{association_slug}"
    p = f"{a}/proposals/{{code}}"
    expected = {
        f"{a}/proposals/": {"get", "post"},
        f"{p}/": {"get", "patch"},
        f"{p}/open/": {"post"},
        f"{p}/withdraw/": {"post"},
        f"{p}/close/": {"post"},
        f"{p}/vote/": {"post"},
        f"{p}/ballot-check/": {"post"},
        f"{p}/tally/": {"get"},
        f"{p}/comments/": {"get", "post"},
        f"{a}/decisions/": {"get"},
        f"{a}/decisions/verify/": {"get"},
        f"{a}/decisions/{{code}}/": {"get"},
        f"{a}/decisions/{{code}}/statement/": {"post"},
    }
    assert expected.items() <= {path: set(ops) - {"parameters"} for path, ops in paths.items()}.items()
