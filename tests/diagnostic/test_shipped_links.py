"""The shipped questionnaire points at tools that the imported catalogue really has."""

import re
from pathlib import Path

import pytest

from shared_tools.models import Tool
from shared_tools.services import load_catalogue

QUESTIONNAIRES = Path(__file__).resolve().parents[2] / "shared_tools" / "diagnostic" / "questionnaires"


def referenced_slugs() -> set[str]:
    slugs: set[str] = set()
    for path in QUESTIONNAIRES.glob("*.yml"):
        text = path.read_text(encoding="utf-8")
        slugs |= set(re.findall(r"\btool: ([\w-]+)", text))
        for group in re.findall(r"\btools: \[([^\]]*)\]", text):
            slugs |= {slug.strip() for slug in group.split(",") if slug.strip()}
    return slugs - {"alternative"}  # `tool: alternative` means "a free alternative to a tool in use"


@pytest.mark.django_db
def test_every_tool_named_by_the_questionnaire_is_in_the_catalogue():
    load_catalogue()
    slugs = referenced_slugs()
    assert slugs, "the questionnaire names no tool: the regular expressions are out of date"
    assert slugs - set(Tool.objects.values_list("slug", flat=True)) == set()


def test_every_place_service_named_by_the_questionnaire_is_in_the_national_standard():
    from shared_tools.diagnostic.questionnaire import load_questionnaire
    from shared_tools.models import PlaceService

    named = {
        service
        for dimension in load_questionnaire().dimensions
        for step in dimension.steps
        if step.link["kind"] == "place"
        for service in step.link.get("services", [])
    }
    assert named, "the shipped questionnaire proposes no mediation place"
    assert named - set(PlaceService.values) == set()
