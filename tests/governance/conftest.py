"""Governance fixtures: proposals made through the services, as the board would."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from governance import services
from governance.models import Method, ProposalKind
from governance.services import OptionSpec
from hub.tenancy import association_scope
from shared_tools.models import Tool


@pytest.fixture
def scoped(association):
    """Run the test body inside association A's scope, like a request or a task."""
    with association_scope(association):
        yield


@pytest.fixture
def tools(db):
    def tool(name):
        slug = name.lower().replace(" ", "-")
        return Tool.objects.create(name=name, slug=slug, match_key=slug)

    return {name: tool(name) for name in ("Nextcloud", "Framadate", "Doodle", "Google Drive")}


@pytest.fixture
def make_proposal(association, alice, access_of):
    """`make_proposal(open=True, **fields)` → a proposal of A drafted (and opened) by alice."""

    def _make(open=True, access=None, opens_at=None, closes_at=None, **fields):
        access = access or access_of(alice)
        fields.setdefault("title", "Adopter un agenda partagé")
        fields.setdefault("kind", ProposalKind.OTHER)
        fields.setdefault("electorate", "members")
        fields.setdefault("quorum_percent", 0)
        fields.setdefault("threshold", "simple")
        if fields.get("method") in (Method.SINGLE, Method.APPROVAL) and "options" not in fields:
            fields["options"] = [OptionSpec(label="Option A"), OptionSpec(label="Option B"), OptionSpec(label="C")]
        with association_scope(association):
            proposal = services.create_proposal(access=access, **fields)
            if open:
                proposal = services.open_proposal(
                    access=access,
                    proposal=proposal,
                    opens_at=opens_at,
                    closes_at=closes_at or timezone.now() + timedelta(days=7),
                )
        return proposal

    return _make


@pytest.fixture
def unscoped():
    with scopes_disabled():
        yield
