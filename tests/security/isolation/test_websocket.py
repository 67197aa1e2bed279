"""The websocket routes of the ASGI application (notifications/routing.py), through the real stack:
anonymous handshakes are refused, and when something happens in association A only A's recipients
hear about it — a member of B, the conseillers and platform staff, connected, receive nothing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.db import connections
from django.test import Client
from django.utils import timezone
from django_scopes import scopes_disabled

from governance import services as governance_services
from hub.asgi import application
from hub.permissions import access_for
from hub.tenancy import association_scope
from tests.factories import UserFactory

from .conftest import COUNT_PROPERTY
from .registry import WEBSOCKET_ROUTES
from .routes import websocket_routes
from .world import PREFIX

# The consumer reads the session and the memberships from another thread: real commits needed.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

SAME_ORIGIN = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
MARKER = f"{PREFIX}WebsocketProposal"


@pytest.fixture(autouse=True)
def fresh_in_memory_layer(settings):
    # A cached layer would outlive the event loop of the test that created it.
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest_asyncio.fixture(autouse=True)
async def close_connections_of_the_sync_thread():
    yield
    await sync_to_async(connections.close_all)()


def session_cookie(user) -> tuple[bytes, bytes]:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    return (b"cookie", f"{django_settings.SESSION_COOKIE_NAME}={key}".encode())


def socket(route: str, *headers: tuple[bytes, bytes]) -> WebsocketCommunicator:
    return WebsocketCommunicator(application, f"/{route}", headers=[*SAME_ORIGIN, *headers])


def open_a_vote_in_a(association, alice) -> None:  # type: ignore[no-untyped-def]
    """alice opens a vote in A through the services; the fan-out and pushes follow the commit."""
    with scopes_disabled():
        access = access_for(alice, association)
    with association_scope(association):
        proposal = governance_services.create_proposal(
            access=access, title=MARKER, electorate="members", quorum_percent=0
        )
        governance_services.open_proposal(
            access=access, proposal=proposal, closes_at=timezone.now() + timedelta(days=7)
        )


@pytest.mark.parametrize("route", websocket_routes())
async def test_anonymous_handshake_is_refused(route):
    assert route in WEBSOCKET_ROUTES
    for headers in ([], [(b"cookie", b"sessionid=not-a-session")]):
        communicator = socket(route, *headers)
        connected, _ = await communicator.connect()
        assert not connected


@pytest.mark.parametrize("route", websocket_routes())
async def test_only_a_recipients_hear_of_an_event_of_a(route, cast, association, eager_celery, record_property):
    staff = await sync_to_async(UserFactory)(email="staff@asso-hub.fr", is_staff=True, is_superuser=True)
    listeners = {**cast, "staff": staff}
    sockets = {}
    for name, user in listeners.items():
        sockets[name] = socket(route, await sync_to_async(session_cookie)(user))
        connected, _ = await sockets[name].connect()
        assert connected, name
        # Whatever the consumer says on connecting (the user's own unread count) is not A's event.
        while not await sockets[name].receive_nothing(timeout=0.2):
            await sockets[name].receive_json_from(timeout=1)

    await sync_to_async(open_a_vote_in_a)(association, cast["alice"])

    # A's members are told (bob and berenice; alice acted). The push carries the event's title, so
    # a push routed to anyone else would leak A's content.
    for name in ("bob", "berenice"):
        received = [await sockets[name].receive_json_from(timeout=3)]
        while not await sockets[name].receive_nothing(timeout=0.3):
            received.append(await sockets[name].receive_json_from(timeout=1))
        assert MARKER.lower() in json.dumps(received).lower(), (name, received)
    # Nobody outside A receives anything; neither do the conseiller (A's recipients are its
    # members) nor platform staff.
    for name in ("charlie", "other_conseiller", "conseiller", "staff", "alice"):
        if not await sockets[name].receive_nothing(timeout=0.3):
            raise AssertionError((name, await sockets[name].receive_json_from(timeout=1)))
    for communicator in sockets.values():
        await communicator.disconnect()
    record_property(COUNT_PROPERTY, len(listeners))
