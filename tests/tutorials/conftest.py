"""Tutorial helpers: media in a temporary folder, a tool, and a published tutorial of A."""

import io

import pytest
from django_scopes import scopes_disabled
from PIL import Image

from hub.permissions import access_for
from hub.tenancy import association_scope
from shared_tools import services
from shared_tools.models import TutorialVisibility
from shared_tools.services import StepInput
from tests.shared_tools.factories import ToolFactory


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def tool(db):
    return ToolFactory(name="Nextcloud", slug="nextcloud")


def png_bytes(size=(40, 30), color=(200, 30, 30), fmt="PNG", **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt, **save)
    return out.getvalue()


@pytest.fixture
def make_tutorial(association, alice):
    """make_tutorial(visibility=..., published=True, steps=[...], by=user, assoc=...) → Tutorial."""

    def _make(
        *,
        visibility=TutorialVisibility.ASSOCIATION,
        published=True,
        steps=None,
        by=None,
        assoc=None,
        tools=(),
        title="Partager un dossier",
        **fields,
    ):
        assoc = assoc or association
        with scopes_disabled():
            access = access_for(by or alice, assoc)
        with association_scope(assoc):
            tutorial = services.create_tutorial(
                access=access,
                title=title,
                steps=[StepInput(body=b) for b in (steps or ["Ouvrez **Nextcloud**.", "Cliquez sur Partager."])],
                tools=list(tools),
                visibility=visibility,
                **fields,
            )
            if published:
                tutorial = services.publish_tutorial(access=access, tutorial=tutorial)
        return tutorial

    return _make
