# ruff: noqa: F811 -- the governance fixtures are imported from tests/governance/conftest.py
"""Governance pages: proposals, the vote (without JavaScript), discussion, the register and its
exports, the calendar feed; refusals that store nothing; charlie's 404s; query counts."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_scopes import scopes_disabled

from governance import services
from governance.calendar import calendar_token
from governance.models import Ballot, Comment, Decision, Method, Participation, Proposal, ProposalKind, Status
from hub.models import Membership
from hub.tenancy import association_scope
from tests.governance.conftest import make_proposal, tools  # noqa: F401 -- shared fixtures

A = "amis-du-velo"


def french(message: str, **params) -> str:
    """The message as the (French-speaking) test users read it."""
    with translation.override("fr"):
        return gettext(message) % params if params else gettext(message)


def url(name, **kwargs):
    return reverse(f"frontend:{name}", kwargs={"association_slug": A, **kwargs})


@pytest.fixture
def as_user(db):
    def _as(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return _as


def snapshot():
    with scopes_disabled():
        return {
            model.__name__: sorted(str(row) for row in model.objects.values_list())
            for model in (Proposal, Participation, Ballot, Comment, Decision)
        }


def ballots_of(proposal):
    with scopes_disabled():
        return list(Ballot.objects.filter(proposal=proposal))


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def close(proposal, access):
    with association_scope(proposal.association_id):
        return services.close_proposal(proposal_id=proposal.pk, access=access)


# The list ----------------------------------------------------------------------------------


def test_the_list_shows_what_awaits_my_vote(as_user, alice, bob, make_proposal):
    make_proposal(title="Vote en cours")
    make_proposal(open=False, title="Brouillon à discuter")
    page = as_user(bob).get(url("proposals"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Vote en cours" in html and "Brouillon à discuter" in html
    assert [p.title for p in page.context["sections"].to_vote] == ["Vote en cours"]
    assert page.context["can_create"] is False
    assert url("proposal_create") not in html


def test_the_association_menu_links_to_the_votes(as_user, bob):
    assert url("proposals") in as_user(bob).get(url("association_home")).content.decode()


def page_queries(client, address):
    client.get(address)  # the session and caches settle on the first request
    with CaptureQueriesContext(connection) as queries:
        response = client.get(address)
    assert response.status_code == 200
    return len(queries), response


def test_the_list_runs_the_same_queries_for_1_or_50_proposals(as_user, bob, make_proposal):
    client = as_user(bob)
    make_proposal(title="Première")
    one, response = page_queries(client, url("proposals"))
    assert len(response.context["sections"].open) == 1
    for i in range(49):
        make_proposal(title=f"Proposition {i}", open=i % 2 == 0)
    fifty, response = page_queries(client, url("proposals"))
    assert len(response.context["sections"].open) + len(response.context["sections"].drafts) == 50
    assert one == fifty


# Drafting and opening --------------------------------------------------------------------------


def test_the_board_proposes_to_compare_three_tools_and_opens_the_vote(as_user, alice, tools):
    form = as_user(alice).get(url("proposal_create"))
    assert form.status_code == 200
    assert 'list="catalogue-tools"' in form.content.decode()
    response = as_user(alice).post(
        url("proposal_create"),
        {
            "title": "Quel outil pour nos sondages ?",
            "kind": ProposalKind.ADOPT,
            "body": "Trois outils **comparés**.",
            "method": Method.SINGLE,
            "criteria": "Coût\nHébergement",
            "option_1_tool": "Framadate",
            "option_1_assessments": "Gratuit\nFrance",
            "option_2_tool": "doodle",
            "option_2_assessments": "Freemium\nSuisse",
            "option_3_label": "Un formulaire papier",
            "electorate": "members",
            "quorum_percent": "30",
            "threshold": "simple",
            "results_hidden": "on",
            "allow_vote_change": "on",
            "open_now": "1",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    with scopes_disabled():
        proposal = Proposal.objects.get()
        options = list(proposal.options.values_list("label", "tool__slug", "assessments"))
    assert proposal.status == Status.OPEN and proposal.quorum_percent == 30
    assert options == [
        ("Framadate", "framadate", {"Coût": "Gratuit", "Hébergement": "France"}),
        ("Doodle", "doodle", {"Coût": "Freemium", "Hébergement": "Suisse"}),
        ("Un formulaire papier", None, {}),
    ]
    detail = as_user(alice).get(response["Location"]).content.decode()
    assert "<strong>comparés</strong>" in detail
    assert "Hébergement" in detail and "Suisse" in detail  # the comparison table


def test_an_unknown_tool_is_refused_on_its_field(as_user, alice, db):
    response = as_user(alice).post(
        url("proposal_create"),
        {
            "title": "x",
            "kind": "adopt",
            "method": "consent",
            "option_1_tool": "Inconnu",
            "electorate": "board",
            "quorum_percent": "50",
            "threshold": "simple",
        },
    )
    assert response.status_code == 400
    assert "option_1_tool" in response.context["form"].errors
    assert snapshot()["Proposal"] == []


def test_a_member_cannot_open_the_form_unless_the_association_allows_it(as_user, association, bob):
    assert as_user(bob).get(url("proposal_create")).status_code == 403
    association.members_can_propose = True
    association.save()
    assert as_user(bob).get(url("proposal_create")).status_code == 200


def test_a_draft_is_edited_then_opened(as_user, alice, make_proposal):
    draft = make_proposal(open=False)
    edit = url("proposal_edit", code=draft.code)
    form = as_user(alice).get(edit)
    assert form.context["form"].initial["title"] == draft.title
    data = {
        key: value for key, value in form.context["form"].initial.items() if value is not None and value is not False
    }
    data["title"] = "Titre revu"
    assert as_user(alice).post(edit, data).status_code == 302
    as_user(alice).post(url("proposal_open", code=draft.code))
    with scopes_disabled():
        proposal = Proposal.objects.get(pk=draft.pk)
    assert (proposal.title, proposal.status) == ("Titre revu", Status.OPEN)


# Voting without JavaScript -------------------------------------------------------------------------


def test_a_member_votes_and_changes_their_vote(as_user, bob, make_proposal):
    proposal = make_proposal()
    client = as_user(bob)
    page = client.get(url("proposal_detail", code=proposal.code)).content.decode()
    assert 'name="choice" value="block"' in page
    response = client.post(url("proposal_vote", code=proposal.code), {"choice": "against", "reason": "Trop tôt"})
    assert response.status_code == 302
    assert french("Your vote is recorded.") in messages_of(client.get(response["Location"]))
    client.post(url("proposal_vote", code=proposal.code), {"choice": "for"})
    assert [(b.choice, b.reason) for b in ballots_of(proposal)] == [("for", "")]
    page = client.get(url("proposal_detail", code=proposal.code))
    assert page.context["my_vote"].ballot.choice == "for"


def test_single_choice_and_approval_forms(as_user, bob, alice, make_proposal):
    single = make_proposal(method=Method.SINGLE)
    with scopes_disabled():
        first = single.options.first()
    as_user(bob).post(url("proposal_vote", code=single.code), {"pick": str(first.code)})
    assert ballots_of(single)[0].options == [str(first.code)]

    approval = make_proposal(method=Method.APPROVAL)
    with scopes_disabled():
        codes = [str(c) for c in approval.options.values_list("code", flat=True)]
    as_user(bob).post(url("proposal_vote", code=approval.code), {"choice": "options", "options": codes[:2]})
    as_user(alice).post(url("proposal_vote", code=approval.code), {"choice": "abstain", "options": codes[:1]})
    assert sorted((b.choice, len(b.options)) for b in ballots_of(approval)) == [("abstain", 0), ("options", 2)]


def test_a_vote_after_close_is_refused_with_a_clear_message(as_user, alice, bob, access_of, make_proposal):
    proposal = make_proposal()
    close(proposal, access_of(alice))
    before = snapshot()
    response = as_user(bob).post(url("proposal_vote", code=proposal.code), {"choice": "for"})
    assert response.status_code == 400
    closed = french("Voting on this proposal is closed: your vote was not recorded.")
    assert closed.replace("'", "&#x27;") in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize(("who", "status"), [("bob", 403), ("conseiller", 403), ("charlie", 404)])
def test_non_electors_cannot_vote_through_the_page(as_user, request, make_proposal, who, status):
    proposal = make_proposal(electorate="board")
    before = snapshot()
    response = as_user(request.getfixturevalue(who)).post(url("proposal_vote", code=proposal.code), {"choice": "for"})
    assert response.status_code == status
    assert snapshot() == before


def test_a_non_elector_sees_no_vote_form(as_user, bob, conseiller, make_proposal):
    proposal = make_proposal(electorate="board")
    for user in (bob, conseiller):
        page = as_user(user).get(url("proposal_detail", code=proposal.code))
        assert page.context["vote_form"] is None
        assert url("proposal_vote", code=proposal.code) not in page.content.decode()


RECEIPT_MESSAGE = (
    "Your vote is recorded. Your receipt is %(receipt)s — note it down: it is the only way "
    "to check your secret ballot or change it, and it will not be shown again."
)


def test_a_secret_ballot_gives_a_receipt_once_and_reveals_nothing(as_user, bob, make_proposal):
    proposal = make_proposal(anonymous=True)
    client = as_user(bob)
    response = client.post(url("proposal_vote", code=proposal.code), {"choice": "against"}, follow=True)
    (message,) = messages_of(response)
    prefix, suffix = french(RECEIPT_MESSAGE).split("%(receipt)s")
    receipt = message.removeprefix(prefix).removesuffix(suffix)
    assert len(receipt) == 16
    assert response.context["my_vote"].ballot is None
    page = client.get(url("proposal_detail", code=proposal.code)).content.decode()
    assert receipt not in page
    checked = client.post(url("proposal_ballot_check", code=proposal.code), {"receipt": receipt}, follow=True)
    assert messages_of(checked) == [
        french("This receipt's ballot is counted. It says: %(what)s.", what=french("Against"))
    ]
    changed = client.post(url("proposal_vote", code=proposal.code), {"choice": "for", "receipt": receipt})
    assert changed.status_code == 302
    assert [b.choice for b in ballots_of(proposal)] == ["for"]


def test_results_are_hidden_until_the_close_when_the_rules_say_so(as_user, alice, bob, access_of, make_proposal):
    hidden = make_proposal(results_hidden=True)
    assert as_user(bob).get(url("proposal_detail", code=hidden.code)).context["tally"] is None
    assert as_user(bob).get(url("proposal_tally", code=hidden.code)).status_code == 403
    shown = make_proposal(results_hidden=False)
    as_user(bob).post(url("proposal_vote", code=shown.code), {"choice": "for"})
    fragment = as_user(bob).get(url("proposal_tally", code=shown.code), HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    assert fragment.content.decode().lstrip().startswith('<section id="tally"')
    assert 'hx-trigger="every 20s"' in fragment.content.decode()


# Discussion ---------------------------------------------------------------------------------


def test_comments_are_rendered_safely(as_user, bob, make_proposal):
    proposal = make_proposal()
    client = as_user(bob)
    client.post(
        url("proposal_comment", code=proposal.code),
        {"body": "**Oui** <script>alert(1)</script> [x](javascript:alert(1)) [site](https://exemple.fr)"},
    )
    html = client.get(url("proposal_detail", code=proposal.code)).content.decode()
    assert "<strong>Oui</strong>" in html
    assert "<script>alert" not in html and 'href="javascript' not in html
    assert '<a href="https://exemple.fr" rel="noopener nofollow">site</a>' in html


# Closing, the decision, the register -------------------------------------------------------------


def test_the_board_closes_early_and_writes_the_statement(as_user, alice, bob, make_proposal):
    proposal = make_proposal()
    as_user(bob).post(url("proposal_vote", code=proposal.code), {"choice": "for"})
    member_page = as_user(bob).get(url("proposal_detail", code=proposal.code)).content.decode()
    assert url("proposal_close", code=proposal.code) not in member_page
    response = as_user(alice).post(url("proposal_close", code=proposal.code))
    with scopes_disabled():
        decision = Decision.objects.get()
    assert response["Location"] == url("decision_detail", code=decision.code)
    page = as_user(bob).get(response["Location"])
    assert [line.voter for line in page.context["ballots"]] == ["Bob Durand"]
    assert page.context["statement_form"] is None
    as_user(alice).post(url("decision_statement", code=decision.code), {"statement": "Mis en œuvre en mars."})
    assert "Mis en œuvre en mars." in as_user(bob).get(response["Location"]).content.decode()
    assert as_user(bob).post(url("decision_statement", code=decision.code), {"statement": "x"}).status_code == 403


def test_the_register_shows_every_decision_and_its_integrity(as_user, alice, bob, access_of, make_proposal):
    decision = close(make_proposal(title="Première décision"), access_of(alice))
    page = as_user(bob).get(url("register"))
    html = page.content.decode()
    assert page.context["verification"].ok
    assert "Première décision" in html and decision.hash in html
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL asso_hub.allow_purge = 'on'")
        cursor.execute("UPDATE governance_decision SET outcome = 'adopted' WHERE id = %s", [decision.pk])
    page = as_user(bob).get(url("register"))
    assert not page.context["verification"].ok
    assert page.context["verification"].broken_sequence == 1
    assert "Première décision" in page.content.decode()


def test_the_register_runs_the_same_queries_for_1_or_50_decisions(as_user, alice, bob, access_of, make_proposal):
    def decide(title):
        proposal = make_proposal(title=title)
        with association_scope(proposal.association_id):
            services.cast_vote(access=access_of(bob), proposal=proposal, choice="for")
        close(proposal, access_of(alice))

    client = as_user(bob)
    decide("Première")
    one, response = page_queries(client, url("register"))
    for i in range(49):
        decide(f"Décision {i}")
    fifty, response = page_queries(client, url("register"))
    assert len(response.context["decisions"]) == 50 and response.context["verification"].ok
    assert one == fifty


# Exports ------------------------------------------------------------------------------------


@pytest.fixture
def decided(alice, bob, access_of, make_proposal):
    proposal = make_proposal(title="Adopter Framadate")
    with association_scope(proposal.association_id):
        services.cast_vote(access=access_of(bob), proposal=proposal, choice="for", reason="Libre")
    return close(proposal, access_of(alice))


def test_the_register_exports_as_csv_with_the_latest_hash(as_user, bob, decided):
    response = as_user(bob).get(url("register_csv"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["X-Register-Hash"] == decided.hash
    text = response.content.decode("utf-8-sig")
    assert "Adopter Framadate" in text
    assert text.strip().splitlines()[-1].endswith(decided.hash)


def test_the_minutes_print_in_french_with_the_latest_hash(as_user, bob, decided):
    page = as_user(bob).get(url("register_minutes"), HTTP_ACCEPT_LANGUAGE="fr")
    html = page.content.decode()
    assert page.status_code == 200
    assert '<html lang="fr">' in html
    assert "Bob Durand" in html and decided.hash in html
    assert "<style" not in html and "style=" not in html  # the CSP allows no inline style


def test_the_minutes_exist_as_pdf(as_user, bob, decided):
    for response in (
        as_user(bob).get(url("register_pdf")),
        as_user(bob).get(url("decision_pdf", code=decided.code)),
    ):
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")


# Calendar -----------------------------------------------------------------------------------------


def test_the_calendar_lists_open_deadlines_at_a_secret_address_without_login(client, bob, association, make_proposal):
    proposal = make_proposal(title="Budget, 2027; vote")
    make_proposal(open=False, title="Brouillon")
    with scopes_disabled():
        membership = Membership.objects.get(user=bob)
    response = client.get(reverse("frontend:governance_calendar", kwargs={"token": calendar_token(membership)}))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    body = response.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert body.count("BEGIN:VEVENT") == 1
    assert f"UID:{proposal.code}@asso-hub" in body
    assert "Budget\\, 2027\\; vote" in body.replace("\r\n ", "")
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))


def test_a_forged_or_ended_calendar_address_is_404(client, bob, make_proposal):
    with scopes_disabled():
        membership = Membership.objects.get(user=bob)
    token = calendar_token(membership)
    assert client.get(reverse("frontend:governance_calendar", kwargs={"token": token + "x"})).status_code == 404
    with scopes_disabled():
        Membership.objects.filter(pk=membership.pk).update(is_active=False)
    assert client.get(reverse("frontend:governance_calendar", kwargs={"token": token})).status_code == 404


# charlie ------------------------------------------------------------------------------------------


def test_charlie_gets_404_everywhere_in_a_and_nothing_changes(as_user, alice, charlie, access_of, make_proposal):
    proposal = make_proposal()
    draft = make_proposal(open=False)
    decision = close(make_proposal(title="Close"), access_of(alice))
    client = as_user(charlie)
    before = snapshot()
    gets = [
        url("proposals"),
        url("proposal_create"),
        url("proposal_detail", code=proposal.code),
        url("proposal_edit", code=draft.code),
        url("proposal_tally", code=proposal.code),
        url("register"),
        url("register_csv"),
        url("register_minutes"),
        url("register_pdf"),
        url("decision_detail", code=decision.code),
        url("decision_minutes", code=decision.code),
        url("decision_pdf", code=decision.code),
    ]
    posts = [
        (url("proposal_create"), {"title": "x"}),
        (url("proposal_edit", code=draft.code), {"title": "x"}),
        (url("proposal_open", code=draft.code), {}),
        (url("proposal_withdraw", code=proposal.code), {}),
        (url("proposal_close", code=proposal.code), {}),
        (url("proposal_vote", code=proposal.code), {"choice": "for"}),
        (url("proposal_ballot_check", code=proposal.code), {"receipt": "x"}),
        (url("proposal_comment", code=proposal.code), {"body": "x"}),
        (url("decision_statement", code=decision.code), {"statement": "x"}),
    ]
    for address in gets:
        assert client.get(address).status_code == 404, address
    for address, data in posts:
        assert client.post(address, data).status_code == 404, address
    assert snapshot() == before


def test_a_withdrawn_proposal_is_shown_as_such(as_user, alice, make_proposal):
    proposal = make_proposal(closes_at=timezone.now() + timedelta(days=2))
    as_user(alice).post(url("proposal_withdraw", code=proposal.code))
    page = as_user(alice).get(url("proposals"))
    assert [p.title for p in page.context["sections"].closed] == [proposal.title]


def test_a_member_follows_a_proposal_from_its_page(as_user, bob, make_proposal):
    from notifications.models import Subscription

    proposal = make_proposal()
    client = as_user(bob)
    address = url("proposal_detail", code=proposal.code)
    assert 'name="target_kind" value="proposal"' in client.get(address).content.decode()
    client.post(
        url("notifications_follow"),
        {"target_kind": "proposal", "target_code": str(proposal.code), "state": "follow", "next": address},
    )
    with scopes_disabled():
        assert Subscription.objects.get(user=bob, target_code=proposal.code).state == "follow"


def test_a_conseiller_has_no_follow_button(as_user, conseiller, make_proposal):
    proposal = make_proposal()
    page = as_user(conseiller).get(url("proposal_detail", code=proposal.code)).content.decode()
    assert 'name="target_kind"' not in page
