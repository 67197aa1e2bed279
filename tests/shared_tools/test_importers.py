"""The parsing and cleaning functions, without the database."""

from pathlib import Path

import pytest

from shared_tools.importers import (
    CatalogueDataError,
    Link,
    clean_text,
    links_in,
    parse_degooglisons,
    parse_sill,
)
from shared_tools.models import FreeSoftware, RelationKind, Source, ToolKind
from shared_tools.naming import match_key


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Framadate (logiciel)", "Framadate"),
        ("NextCloud", "Nextcloud"),
        ("Rocket.chat", "Rocketchat"),
        ("GitLab Community Edition", "Gitlab"),
        ("Matomo (Piwik)", "Matomo"),
        ("Mozilla Firefox (Extended Support Release)", "Firefox"),
        ("LibreOffice (Collabora) online", "Collabora Online"),
        ("Jitsi Meet", "Jitsi"),
        ("Kyélà", "kyela"),
        ("Pods Diaspora*", "Diaspora*"),
    ],
)
def test_two_spellings_of_the_same_tool_share_a_match_key(first, second):
    assert match_key(first) == match_key(second)


def test_different_tools_keep_different_match_keys():
    assert match_key("OCS Inventory") != match_key("OCS Inventory ng")
    assert match_key("Google+") != match_key("Google")
    assert match_key("—") == ""


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ('<b class="violet">Frama</b><b class="vert">date</b></a>', "Framadate"),
        ('<a href="http://chatons.org"><abbr title="Collectif des Hébergeurs">CHATONS</abbr></a>', "CHATONS"),
        ("R&amp;D <i>libre</i>\n  et   ouverte", "R&D libre et ouverte"),
        ("<script>alert(1)</script>Texte", "Texte"),
        ("a < b", "a < b"),
    ],
)
def test_html_is_stripped_to_plain_text(html, text):
    assert clean_text(html) == text


def test_links_are_read_from_html_with_their_addresses():
    value = '<a href="http://webodf.org/">WebODF</a> ou <a href="https://github.com/joepie91/pdfy">PDFy</a>'

    links = links_in(value, path=Path("x.yml"), line=3, field="scribd.S")

    assert links == [Link("WebODF", "http://webodf.org/"), Link("PDFy", "https://github.com/joepie91/pdfy")]


def test_a_link_with_a_misspelt_href_keeps_its_name_without_address():
    assert links_in('<a herf="https://weblate.org">Weblate</a>', path=Path("x"), line=1, field="f") == [
        Link("Weblate", "")
    ]


def test_text_without_link_is_one_name():
    assert links_in("divers", path=Path("x"), line=1, field="f") == [Link("divers", "")]


def test_a_link_to_something_that_is_not_a_web_address_is_refused():
    with pytest.raises(CatalogueDataError) as error:
        links_in('<a href="javascript:alert(1)">Piège</a>', path=Path("s.yml"), line=12, field="x.altOn")

    assert (error.value.line, error.value.field) == (12, "x.altOn")
    assert "s.yml, line 12" in str(error.value)


def test_sill_plan_has_225_records_and_224_tools_because_grammalecte_is_listed_twice():
    plan = parse_sill()

    assert plan.records == 225
    assert len(plan.tools) == 224
    grammalecte = plan.tools["grammalecte"]
    assert [p.record_id for p in grammalecte.provenance] == ["56", "57"]
    assert any("Grammalecte" in remark for remark in plan.remarks)
    assert all(
        spec.free_software == FreeSoftware.YES and spec.kind == ToolKind.SOFTWARE for spec in plan.tools.values()
    )


def test_sill_plan_reads_both_list_separators_of_similaire_a():
    plan = parse_sill()
    similar = {(f, t) for (f, t, kind) in plan.relations if kind == RelationKind.SIMILAR_TO}

    # Row 208 (Moodle) says "209, 216", row 216 (Chamilo) says "208 ; 209".
    assert {("moodle", "openedx"), ("moodle", "chamilo"), ("chamilo", "moodle"), ("chamilo", "openedx")} <= similar


def test_degooglisons_plan_reads_the_55_services_and_reports_what_it_skipped():
    plan = parse_degooglisons()

    assert plan.records == 55
    assert plan.source == Source.DEGOOGLISONS
    assert "kongregate.S: 'divers' is a placeholder, not a tool; skipped" in plan.remarks
    assert "maestro.gafam: '—' is a placeholder, not a tool; skipped" in plan.remarks
    assert sum("never opened" in remark for remark in plan.remarks) == 5
    assert plan.tools["doodle"].free_software == FreeSoftware.NO
    assert plan.tools["framapad"].kind == ToolKind.SERVICE
    assert plan.tools["etherpad"].kind == ToolKind.SOFTWARE
