"""Fixtures shared by tests/advisor and tests/frontend/test_advisor_pages.py."""

import pytest

from hub import services
from hub.tenancy import association_scope


@pytest.fixture
def open_help(association, berenice, network, conseiller, access_of):
    """`open_help(title=...)` → a help request of A to `network`, opened by berenice (board)."""

    def _open(title="Sauvegarder nos fichiers", message="Comment faire une sauvegarde ?", user=None):
        user = user or berenice
        with association_scope(association):
            return services.open_help_request(
                access=access_of(user), user=user, network=network, title=title, message=message
            )

    return _open
