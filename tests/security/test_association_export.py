"""An association's administrators export its data (ZIP of CSV + JSON); nobody else can."""

import csv
import io
import json
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from hub.models import Role
from tests.factories import MembershipFactory, UserFactory

PAGE = "/a/amis-du-velo/settings/export/"
ZIP = "/a/amis-du-velo/settings/export.zip"
API = "/api/v1/associations/amis-du-velo/export/"


def archive(response) -> zipfile.ZipFile:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response.streaming  # a file streamed from disk, not a body built in memory
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def rows(zf, name):
    text = zf.read(f"amis-du-velo/{name}").decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def test_the_admin_page_explains_and_links_the_download(login, alice):
    response = login(alice).get(PAGE)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Exporter les données de l'association" in text.replace("&#x27;", "'")
    assert ZIP in text


def test_the_archive_holds_every_part(login, alice, bob, association, activity, vote_on):
    activity(bob, 2)
    vote_on({bob: "for", alice: "against"})
    vote_on({bob: "for"}, close=False, title="Encore ouvert")
    zf = archive(login(alice).get(ZIP))
    names = {name.split("/", 1)[1] for name in zf.namelist()}
    assert {
        "association.json",
        "members.csv",
        "invitations.csv",
        "networks.csv",
        "help_requests.csv",
        "help_messages.csv",
        "conseiller_reads.csv",
        "stack.csv",
        "stack_history.csv",
        "referents.csv",
        "tutorials.json",
        "diagnostics.csv",
        "roadmap.csv",
        "proposals.csv",
        "comments.csv",
        "register.csv",
        "ballots.csv",
        "README.json",
    } <= names
    assert json.loads(zf.read("amis-du-velo/association.json"))["name"] == "Les Amis du Vélo"
    members = rows(zf, "members.csv")
    assert members[0][:3] == ["Nom", "Adresse e-mail", "Rôle"]
    assert ["Bob Durand", "bob@exemple.fr", "Membre"] in [row[:3] for row in members]
    assert len(rows(zf, "referents.csv")) == 3  # header + two
    assert len(json.loads(zf.read("amis-du-velo/tutorials.json"))) == 2
    register_text = zf.read("amis-du-velo/register.csv").decode()
    assert "Adopter un agenda partagé" in register_text
    # The ballots of the closed vote are there; those of the open one (results hidden) are not.
    ballots = rows(zf, "ballots.csv")
    assert len(ballots) == 3
    assert "Encore ouvert" not in zf.read("amis-du-velo/ballots.csv").decode()


def test_spreadsheet_formulas_are_defused(login, alice, bob, association):
    bob.display_name = '=HYPERLINK("http://x")'
    bob.save()
    zf = archive(login(alice).get(ZIP))
    assert any(row[0].startswith("'=") for row in rows(zf, "members.csv"))


@pytest.mark.parametrize(("who", "status"), [("bob", 403), ("berenice", 403), ("conseiller", 403), ("charlie", 404)])
def test_only_administrators_export(login, cast, who, status):
    client = login(cast[who])
    assert client.get(PAGE).status_code == status
    assert client.get(ZIP).status_code == status


def test_the_api_export(client, alice, cast):
    token = Token.objects.create(user=alice)
    response = client.get(API, HTTP_AUTHORIZATION=f"Token {token.key}")
    assert "members.csv" in " ".join(archive(response).namelist())
    conseiller_token = Token.objects.create(user=cast["conseiller"])
    assert client.get(API, HTTP_AUTHORIZATION=f"Token {conseiller_token.key}").status_code == 403
    assert client.get(API).status_code == 401


def _export_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        b"".join(client.get(ZIP).streaming_content)
    return len(ctx.captured_queries)


def test_the_export_query_count_does_not_grow_with_the_members(login, alice, association, activity, bob):
    client = login(alice)
    activity(bob, 1)
    few = _export_queries(client)
    for _n in range(40):
        MembershipFactory(association=association, user=UserFactory(), role=Role.MEMBER)
    activity(alice, 20)
    assert _export_queries(client) == few
