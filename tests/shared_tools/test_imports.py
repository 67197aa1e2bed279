"""The import commands and services against the database, with the real files and broken copies."""

import csv
import hashlib
import io
import re

import pytest
from django.core.management import CommandError, call_command

from shared_tools.importers import DEGOOGLISONS_FILE, SILL_FILE
from shared_tools.models import FreeSoftware, Provenance, RelationKind, SillStatus, Source, Tool, ToolKind, ToolRelation
from shared_tools.services import import_degooglisons, import_sill, load_catalogue
from tests.shared_tools.conftest import catalogue_state

pytestmark = pytest.mark.django_db


def run(command: str, *args: str) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def tool(name: str) -> Tool:
    return Tool.objects.get(name=name)


def relation_kinds(from_name: str, to_name: str) -> set[str]:
    return set(
        ToolRelation.objects.filter(from_tool__name=from_name, to_tool__name=to_name).values_list("kind", flat=True)
    )


# Whole files -----------------------------------------------------------------------------


def test_all_225_sill_rows_import_as_224_tools_with_225_provenance_records():
    out = run("import_sill")

    assert "225 records read" in out
    assert "tools: 224 created, 0 updated, 0 unchanged" in out
    assert Tool.objects.count() == 224
    assert Provenance.objects.filter(source=Source.SILL).count() == 225
    assert set(Tool.objects.values_list("free_software", flat=True)) == {FreeSoftware.YES}
    grammalecte = tool("Grammalecte")
    assert sorted(grammalecte.provenance.values_list("record_id", flat=True)) == ["56", "57"]


def test_sill_status_and_raw_row_are_kept():
    import_sill()

    framadate = tool("Framadate (logiciel)")
    assert framadate.sill_status == SillStatus.OBSERVATION
    record = framadate.provenance.get()
    assert (record.source, record.record_id, record.role) == (Source.SILL, "45", "")
    assert record.data["licence"] == "CECILL-B"
    assert record.data["comptoir-du-libre"] == "284"
    assert tool("7zip").sill_status == SillStatus.RECOMMENDED
    assert Tool.objects.filter(sill_status=SillStatus.NO_LONGER_RECOMMENDED).count() == 10


def test_licences_are_stored_as_spdx_or_unknown_with_the_raw_text():
    import_sill()

    keefox = tool("KeeFox")
    assert (keefox.licence, keefox.licence_raw) == ("GPL-2.0-only", "GPL V2.0")
    projectlibre = tool("ProjectLibre")
    assert (projectlibre.licence, projectlibre.licence_raw, projectlibre.licence_is_known) == ("", "CPA", False)
    for imported in Tool.objects.exclude(licence=""):
        imported.full_clean()  # runs the SPDX validator on every stored expression


def test_all_55_degooglisons_services_import_on_an_empty_catalogue():
    out = run("import_degooglisons")

    assert "55 records read" in out
    assert "tools: 328 created, 0 updated, 0 unchanged" in out
    assert Tool.objects.count() == 328
    assert Tool.objects.filter(free_software=FreeSoftware.NO).count() == 117


def test_degooglisons_matches_sill_tools_by_name_instead_of_duplicating_them():
    import_sill()

    report = import_degooglisons()

    assert (report.tools_created, report.tools_updated) == (308, 20)
    assert Tool.objects.count() == 224 + 308
    nextcloud = Tool.objects.get(match_key="nextcloud")
    assert nextcloud.name == "NextCloud"  # the SILL's fields win
    assert nextcloud.website == "https://nextcloud.com/"  # Dégooglisons fills what SILL left empty
    assert set(nextcloud.provenance.values_list("source", flat=True)) == {Source.SILL, Source.DEGOOGLISONS}
    assert Tool.objects.filter(match_key="mozillafirefox").count() == 1


def test_importing_degooglisons_first_gives_the_same_catalogue():
    import_degooglisons()
    report = import_sill()

    assert (report.tools_created, report.tools_updated) == (204, 20)
    assert Tool.objects.count() == 224 + 308
    assert Tool.objects.get(match_key="nextcloud").name == "NextCloud"


# Idempotency -----------------------------------------------------------------------------


@pytest.mark.parametrize(("command", "tools"), [("import_sill", 224), ("import_degooglisons", 328)])
def test_a_second_run_of_an_import_changes_nothing(command, tools):
    run(command)
    before = catalogue_state()

    out = run(command)

    assert catalogue_state() == before
    assert f"tools: 0 created, 0 updated, {tools} unchanged" in out
    assert "relations: 0 created, 0 updated" in out
    assert "provenance records: 0 created, 0 updated" in out


def test_rerunning_both_imports_in_any_order_changes_nothing():
    import_sill()
    import_degooglisons()
    before = catalogue_state()

    assert not import_degooglisons().changed
    assert not import_sill().changed
    assert not import_degooglisons().changed
    assert catalogue_state() == before


def test_moderator_corrections_survive_a_reimport_of_the_same_file():
    import_sill()
    Tool.objects.filter(name="ProjectLibre").update(licence="CPAL-1.0")

    import_sill()

    assert tool("ProjectLibre").licence == "CPAL-1.0"


def test_a_changed_record_in_a_new_copy_updates_its_tool(tmp_path, sill_text):
    import_sill()
    copy = tmp_path / "sill.csv"
    copy.write_text(sill_text.replace("1,7zip,Compression,", "1,7zip,Compression de fichiers,"), encoding="utf-8")

    out = run("import_sill", "--file", str(copy))

    assert "tools: 0 created, 1 updated, 223 unchanged" in out
    assert "provenance records: 0 created, 1 updated" in out
    assert tool("7zip").short_description == "Compression de fichiers"


def test_load_catalogue_runs_both_imports_and_reports():
    out = io.StringIO()

    load_catalogue(stdout=out)

    assert Tool.objects.count() == 224 + 308
    assert "sill-2020.csv" in out.getvalue()
    assert "degooglisons-services.yml" in out.getvalue()


# Relations -------------------------------------------------------------------------------


def test_a_sill_parent_becomes_plugin_of():
    import_sill()

    assert relation_kinds("Additional Alerts", "GLPI") == {RelationKind.PLUGIN_OF}
    assert relation_kinds("Grammalecte", "LibreOffice") == {RelationKind.PLUGIN_OF}
    # The row says "Firefox": matched to the SILL's "Mozilla Firefox (Extended Support Release)".
    assert relation_kinds("Grammalecte", "Mozilla Firefox (Extended Support Release)") == {RelationKind.PLUGIN_OF}


def test_sill_similaire_a_becomes_similar_to_in_both_directions():
    import_sill()

    assert relation_kinds("Avidemux", "OpenShot") == {RelationKind.SIMILAR_TO}
    assert relation_kinds("OpenShot", "Avidemux") == {RelationKind.SIMILAR_TO}
    # "209, 216" and "208 ; 209": both separators read.
    assert relation_kinds("Moodle", "Chamilo") == {RelationKind.SIMILAR_TO}
    assert relation_kinds("Chamilo", "Open EDX") == {RelationKind.SIMILAR_TO}
    assert ToolRelation.objects.filter(kind=RelationKind.SIMILAR_TO).count() % 2 == 0


def test_a_proprietary_service_gets_alternative_to_links_from_the_free_tools():
    import_sill()
    import_degooglisons()

    doodle = tool("Doodle")
    assert (doodle.free_software, doodle.kind) == (FreeSoftware.NO, ToolKind.SERVICE)
    alternatives = {
        relation.from_tool.name: relation.note
        for relation in doodle.relations_to.filter(kind=RelationKind.ALTERNATIVE_TO).select_related("from_tool")
    }
    assert set(alternatives) == {"Framadate (logiciel)", "Kyélà", "Dudle"}
    assert alternatives["Framadate (logiciel)"] == "Logiciel libre du service Framadate de Framasoft"
    assert all(alternatives.values())
    assert relation_kinds("Etherpad", "Google Docs") == {RelationKind.ALTERNATIVE_TO}
    assert relation_kinds("LibreOffice (Collabora) online", "Google Docs") == {RelationKind.ALTERNATIVE_TO}


def test_framasoft_instances_are_online_services_in_france_linked_to_their_software():
    import_degooglisons()

    framapad = tool("Framapad")
    assert (framapad.kind, framapad.website, framapad.data_location) == (
        ToolKind.SERVICE,
        "https://framapad.org",
        "france",
    )
    assert relation_kinds("Framapad", "Etherpad") == {RelationKind.INSTANCE_OF}
    assert not Tool.objects.filter(name__startswith="Framaxxx").exists()  # never opened


def test_html_is_stripped_from_imported_texts():
    import_degooglisons()

    for name, description, website in Tool.objects.values_list("name", "short_description", "website"):
        for text in (name, description, website):
            assert not re.search(r"[<>]|&[a-z]+;", text), text
    assert not ToolRelation.objects.filter(note__contains="<").exists()
    assert Tool.objects.filter(name="CHATONS", website="http://chatons.org").exists()
    assert Tool.objects.filter(name="Framasphère", website="https://framasphere.org").exists()
    assert Tool.objects.filter(name="Frama.link").exists()


# Broken copies ---------------------------------------------------------------------------


def without_column(text: str, column: str) -> str:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    index = rows[0].index(column)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([row[:index] + row[index + 1 :] for row in rows])
    return out.getvalue()


def latin1(text: str) -> bytes:
    return text.encode("latin-1", errors="replace")


def first_non_ascii_line(text: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), start=1) if not line.isascii())


SILL_CORRUPTIONS = {
    "bad encoding": (latin1, "line 2, field 'secteur': not valid UTF-8"),
    "missing column": (
        lambda text: without_column(text, "licence").encode(),
        "line 1, field 'licence': missing column",
    ),
    "truncated line": (
        lambda text: "".join(text.splitlines(keepends=True)[:101]).encode() + b"101,Opale,Cha\xc3\xaene",
        "line 102, field 'annees': the line is truncated: 3 fields where the header has 18",
    ),
    "truncated inside quotes": (
        lambda text: "".join(text.splitlines(keepends=True)[:4]).encode() + b'4,Agent OCS,"Inventaire, t\xc3\xa9l',
        "line 5, field 'fonction': malformed CSV",
    ),
    "unknown statut": (
        lambda text: text.replace(
            "1,7zip,Compression,2018 ; 2019 ; 2020 ; 2021,R,", "1,7zip,Compression,2018,X,"
        ).encode(),
        "line 2, field 'statut'",
    ),
    "dangling similaire-a": (
        lambda text: re.sub(r"^(15,Avidemux,.*?),193,", r"\1,999,", text, count=1, flags=re.MULTILINE).encode(),
        "line 16, field 'similaire-a': '999' is not the ID of a row",
    ),
}


@pytest.mark.parametrize("corruption", SILL_CORRUPTIONS)
def test_a_broken_sill_copy_is_refused_with_its_line_and_field_and_nothing_changes(tmp_path, sill_text, corruption):
    import_degooglisons()
    before = catalogue_state()
    corrupt, expected = SILL_CORRUPTIONS[corruption]
    broken = tmp_path / "sill-broken.csv"
    broken.write_bytes(corrupt(sill_text))

    with pytest.raises(CommandError) as error:
        run("import_sill", "--file", str(broken))

    assert str(broken) in str(error.value)
    assert expected in str(error.value)
    assert catalogue_state() == before


def test_the_bad_encoding_line_is_the_first_line_with_an_accent(sill_text):
    assert first_non_ascii_line(sill_text) == 2


DEGOOGLISONS_CORRUPTIONS = {
    "bad encoding": (latin1, "line 70, field 'change.F': not valid UTF-8"),
    "missing field": (
        lambda text: text.replace("  gafam:\n  - Doodle\n", "").encode(),
        "line 101, field 'doodle.gafam': missing list",
    ),
    "truncated file": (
        lambda text: text[: text.index("silence.im") + 5].encode(),
        "line 972, field 'whatsapp.c1': missing value",
    ),
    "invalid YAML": (
        lambda text: text.replace(
            "  FL: https://framadate.org\n", "  FL: https://framadate.org\n   CL: [oops\n"
        ).encode(),
        "line 104, field 'doodle.CL': invalid YAML",
    ),
    "wrong type": (
        lambda text: text.replace("  gafam:\n  - Doodle\n", "  gafam: Doodle\n").encode(),
        "line 108, field 'doodle.gafam': expected a list",
    ),
    "duplicate service": (
        lambda text: text + "\ndoodle:\n  gafam:\n  - Doodle\n  c1: social\n",
        "field 'doodle': service already defined on line 101",
    ),
}


@pytest.mark.parametrize("corruption", DEGOOGLISONS_CORRUPTIONS)
def test_a_broken_degooglisons_copy_is_refused_with_its_line_and_field_and_nothing_changes(
    tmp_path, degooglisons_text, corruption
):
    import_sill()
    before = catalogue_state()
    corrupt, expected = DEGOOGLISONS_CORRUPTIONS[corruption]
    broken = tmp_path / "services-broken.yml"
    data = corrupt(degooglisons_text)
    broken.write_bytes(data if isinstance(data, bytes) else data.encode())

    with pytest.raises(CommandError) as error:
        run("import_degooglisons", "--file", str(broken))

    assert str(broken) in str(error.value)
    assert expected in str(error.value)
    assert catalogue_state() == before


def test_the_degooglisons_bad_encoding_line_is_the_first_line_with_an_accent(degooglisons_text):
    assert first_non_ascii_line(degooglisons_text) == 70


def test_a_missing_file_is_refused():
    with pytest.raises(CommandError, match="cannot read the file"):
        run("import_sill", "--file", "/nonexistent/sill.csv")


def test_a_failure_while_writing_rolls_the_whole_import_back(monkeypatch):
    import_sill()
    before = catalogue_state()

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ToolRelation.objects, "bulk_create", fail)
    with pytest.raises(RuntimeError):
        import_degooglisons()

    assert catalogue_state() == before


def test_the_report_lists_licence_readings_and_unknowns():
    out = run("import_sill")

    assert "'MPL 2.0 et EPL 1.0' → MPL-2.0 AND EPL-1.0 (1)" in out
    assert "'LGPL-2.1, LGPL-2.0,  LGPL-3.0' → LGPL-2.1-only OR LGPL-2.0-only OR LGPL-3.0-only (3)" in out
    assert "unknown licences (20, raw text kept):" in out
    assert "ProjectLibre: 'CPA'" in out


def test_the_vendored_files_are_the_ones_documented():
    readme = (SILL_FILE.parent / "README.md").read_text(encoding="utf-8")

    for path in (SILL_FILE, DEGOOGLISONS_FILE):
        assert f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}" in readme
