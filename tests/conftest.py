"""The cast: `association` (A) with alice (admin), berenice (board) and bob (member);
`other_association` (B) with charlie (member of B only); `conseiller` follows A through
`network` with A's consent; `other_conseiller` works for a network A never accepted."""

import os
import socket
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_scopes import scopes_disabled

from hub.models import Role
from hub.permissions import Access, access_for
from tests.factories import (
    AdvisorFactory,
    AssociationFactory,
    MembershipFactory,
    NetworkFactory,
    NetworkMembershipFactory,
    UserFactory,
)

PASSWORD = "motdepasse-de-test"


def _service_missing(item: pytest.Item, reason: str) -> None:
    if settings.REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def _redis_reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=2):
            return True
    except OSError:
        return False


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgres") and not settings.DATABASE_IS_POSTGRES:
        _service_missing(item, "this test needs PostgreSQL (set DATABASE_URL=postgres://...)")
    if item.get_closest_marker("redis"):
        url = os.environ.get("REDIS_URL", "")
        if not url:
            _service_missing(item, "this test needs Redis (set REDIS_URL=redis://...)")
        elif not _redis_reachable(url):
            _service_missing(item, f"Redis at {url} cannot be reached")


@pytest.fixture(autouse=True, scope="session")
def _test_settings():
    # The real hasher is slow on purpose; tests hash hundreds of passwords.
    from django.test.utils import override_settings

    # Static files are served from the app folders, not from a collected manifest.
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        STORAGES=storages,
        WHITENOISE_USE_FINDERS=True,
    ):
        yield


@pytest.fixture(autouse=True)
def _empty_cache():
    # Throttles and rate limits count in the cache; each test starts from zero.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def eager_celery():
    """Run enqueued tasks in-process, at once (the Celery app reads its settings only once)."""
    from hub.celery import app as celery_app

    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def association(db):
    return AssociationFactory(name="Les Amis du Vélo", slug="amis-du-velo", commune="Tours", departement="37")


@pytest.fixture
def other_association(db):
    return AssociationFactory(name="Club Échecs de Loches", slug="echecs-loches", commune="Loches", departement="37")


def _member(association, email, name, role):
    user = UserFactory(email=email, display_name=name)
    MembershipFactory(association=association, user=user, role=role)
    return user


@pytest.fixture
def alice(association):
    return _member(association, "alice@exemple.fr", "Alice Martin", Role.ADMIN)


@pytest.fixture
def berenice(association):
    return _member(association, "berenice@exemple.fr", "Bérénice Petit", Role.BOARD)


@pytest.fixture
def bob(association):
    return _member(association, "bob@exemple.fr", "Bob Durand", Role.MEMBER)


@pytest.fixture
def charlie(other_association):
    return _member(other_association, "charlie@exemple.fr", "Charlie Bernard", Role.MEMBER)


@pytest.fixture
def network(db):
    return NetworkFactory(name="Réseau Asso 37", slug="asso-37")


@pytest.fixture
def conseiller(network, association, alice):
    user = UserFactory(email="conseillere@asso37.fr", display_name="Claire Moreau")
    AdvisorFactory(network=network, user=user)
    NetworkMembershipFactory(
        association=association, network=network, requested_by=user, consented_at=timezone.now(), consented_by=alice
    )
    return user


@pytest.fixture
def other_conseiller(db, other_association):
    other_network = NetworkFactory(name="Fédération du Cher", slug="federation-cher")
    user = UserFactory(email="conseiller@cher.fr", display_name="Denis Roux")
    AdvisorFactory(network=other_network, user=user)
    return user


@pytest.fixture
def cast(alice, berenice, bob, charlie, conseiller, other_conseiller):
    """The whole cast by name, for role matrices."""
    return {
        "alice": alice,
        "berenice": berenice,
        "bob": bob,
        "charlie": charlie,
        "conseiller": conseiller,
        "other_conseiller": other_conseiller,
    }


@pytest.fixture
def access_of(association):
    """`access_of(user)` → the user's Access to association A (or None)."""

    def _access(user, assoc=None) -> Access | None:
        with scopes_disabled():
            return access_for(user, assoc or association)

    return _access


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def is_postgres():
    return connection.vendor == "postgresql"
