"""The import service and the commands: all or nothing, idempotent on the standard's id, the round
trip export(import(file)) == file, who may import, and the demo load."""

import csv
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.utils import translation

from shared_tools.models import Place, PlaceServiceOffer
from shared_tools.places.demo import DEMO_FILE, seed_demo_places
from shared_tools.places.selectors import places_list
from shared_tools.places.services import import_places
from shared_tools.places.standard import EXAMPLE_FILE, Limits, PlaceFileError, load_schema, write_places
from tests.factories import UserFactory
from tests.places.conftest import csv_bytes, place_row, places_state

pytestmark = pytest.mark.django_db


def exported() -> str:
    out = io.StringIO()
    write_places(places_list(), out)
    return out.getvalue()


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_the_standards_example_imports_cleanly(example_bytes):
    report = import_places(user=None, content=example_bytes)
    assert (report.created, report.updated, report.unchanged) == (1, 0, 0)
    place = Place.objects.get(local_id="structure-1")
    assert (place.name, place.commune, place.postcode, place.department) == ("Anonymal", "Reims", "51100", "51")
    assert place.typologies == ["TIERS_LIEUX", "ASSO"]
    assert place.fees == ["Gratuit sous condition", "Payant"]
    assert place.acces_libre_url.startswith("https://acceslibre.beta.gouv.fr/")
    assert list(place.service_offers.values_list("service", flat=True)) == [
        "Maîtrise des outils numériques du quotidien",
        "Insertion professionnelle via le numérique",
        "Loisirs et créations numériques",
    ]


def test_export_of_the_imported_example_gives_its_values_back(example_bytes):
    import_places(user=None, content=example_bytes)
    text = exported()
    assert text.splitlines()[0].split(",") == load_schema().names
    [original] = rows_of(EXAMPLE_FILE.read_text(encoding="utf-8"))
    [again] = rows_of(text)
    assert again == original


def test_the_demo_file_round_trips_too():
    import_places(user=None, content=DEMO_FILE.read_bytes())
    original = {row["id"]: row for row in rows_of(DEMO_FILE.read_text(encoding="utf-8"))}
    again = {row["id"]: row for row in rows_of(exported())}
    for row in original.values():  # numbers are compared as numbers ("47.3350" is written 47.335)
        for column in ("latitude", "longitude"):
            row[column] = str(float(row[column])) if row[column] else ""
    assert again == original


def test_importing_the_same_file_twice_changes_nothing(example_bytes):
    import_places(user=None, content=example_bytes)
    before = places_state()
    report = import_places(user=None, content=example_bytes)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)
    assert places_state() == before


def test_reimport_updates_the_place_with_the_same_id_and_replaces_its_services_in_order(example_bytes):
    import_places(user=None, content=example_bytes)
    place = Place.objects.get(local_id="structure-1")
    changed = place_row(
        "structure-1",
        nom="Anonymal — nouvel espace",
        services="Aide aux démarches administratives|Maîtrise des outils numériques du quotidien",
        horaires="",
    )
    report = import_places(user=None, content=csv_bytes([changed, place_row("structure-2")]))
    assert (report.created, report.updated, report.unchanged) == (1, 1, 0)
    place.refresh_from_db()
    assert place.name == "Anonymal — nouvel espace"
    assert place.opening_hours == ""
    assert list(place.service_offers.values_list("service", flat=True)) == [
        "Aide aux démarches administratives",
        "Maîtrise des outils numériques du quotidien",
    ]
    assert Place.objects.count() == 2


def test_a_wrong_file_changes_nothing_among_existing_places(example_bytes):
    import_places(user=None, content=example_bytes)
    before = places_state()
    content = csv_bytes([place_row("structure-1", nom="Renommé"), place_row("new", code_postal="ABC")])
    with pytest.raises(PlaceFileError) as caught:
        import_places(user=None, content=content)
    assert [(e.line, e.column) for e in caught.value.errors] == [(3, "code_postal")]
    assert places_state() == before


def test_places_absent_from_a_file_are_kept(example_bytes):
    import_places(user=None, content=example_bytes)
    import_places(user=None, content=csv_bytes([place_row("other")]))
    assert set(Place.objects.values_list("local_id", flat=True)) == {"structure-1", "other"}


def test_derived_columns_follow_the_insee_code_and_the_postcode():
    rows = [
        place_row("ajaccio", commune="Ajaccio", code_postal="20000", code_insee="2A004"),
        place_row("bastia-sans-insee", commune="Bastia", code_postal="20200", code_insee=""),
        place_row("pointe-a-pitre", commune="Pointe-à-Pitre", code_postal="97110", code_insee="97120"),
        place_row("chambray", commune="Chambray-lès-Tours", code_postal="37170", code_insee="37050"),
    ]
    import_places(user=None, content=csv_bytes(rows))
    derived = dict(Place.objects.values_list("local_id", "department"))
    assert derived == {"ajaccio": "2A", "bastia-sans-insee": "2B", "pointe-a-pitre": "971", "chambray": "37"}
    assert Place.objects.get(local_id="chambray").commune_key == "chambray-les-tours"


def test_an_upload_too_large_or_with_too_many_places_imports_nothing(example_bytes):
    with pytest.raises(PlaceFileError):
        import_places(user=None, content=example_bytes, limits=Limits(max_bytes=100, max_rows=10))
    with pytest.raises(PlaceFileError):
        import_places(
            user=None, content=csv_bytes([place_row("a"), place_row("b")]), limits=Limits(max_bytes=10**6, max_rows=1)
        )
    assert not Place.objects.exists()


def test_only_staff_and_conseillers_may_import(example_bytes, bob, conseiller):
    with pytest.raises(PermissionDenied):
        import_places(user=bob, content=example_bytes)
    assert not Place.objects.exists()
    assert import_places(user=conseiller, content=example_bytes).created == 1
    staff = UserFactory(email="staff@asso-hub.fr", is_staff=True)
    assert import_places(user=staff, content=example_bytes).unchanged == 1


# Commands and the demo -------------------------------------------------------------------------


def test_the_import_command_reports_what_it_did(tmp_path):
    out = io.StringIO()
    call_command("import_places", str(EXAMPLE_FILE), stdout=out)
    assert out.getvalue().strip() == "mediation-num-exemple.csv: 1 created, 0 updated, 0 unchanged."


def test_the_import_command_lists_every_error_and_imports_nothing(tmp_path):
    bad = tmp_path / "lieux.csv"
    bad.write_bytes(csv_bytes([place_row("a", code_postal="1"), place_row("b", horaires="demain")]))
    err = io.StringIO()
    with translation.override("fr"), pytest.raises(CommandError, match="Nothing imported: 2 error"):
        call_command("import_places", str(bad), stderr=err)
    assert err.getvalue().splitlines() == [
        "lieux.csv: Ligne 2, colonne « code_postal » : un code postal a 5 chiffres, par exemple « 51100 ».",
        "lieux.csv: Ligne 3, colonne « horaires » : ces horaires ne sont pas au format OpenStreetMap (problème au "
        "caractère 1). Écrivez par exemple « Mo-Fr 09:00-12:00,14:00-18:30; Sa 08:30-12:00 ».",
    ]
    assert not Place.objects.exists()


def test_the_export_command_writes_the_standards_file(tmp_path, example_bytes):
    import_places(user=None, content=example_bytes)
    target = tmp_path / "lieux.csv"
    call_command("export_places", "--output", str(target), stdout=io.StringIO())
    assert rows_of(target.read_text(encoding="utf-8")) == rows_of(EXAMPLE_FILE.read_text(encoding="utf-8"))
    out = io.StringIO()
    call_command("export_places", "--department", "37", stdout=out)
    assert out.getvalue().splitlines() == [",".join(load_schema().names)]


def test_the_demo_load_imports_the_example_and_the_places_of_indre_et_loire_once():
    assert seed_demo_places() == 6
    before = places_state()
    assert seed_demo_places() == 0
    assert places_state() == before
    assert Place.objects.filter(department="37").count() == 5
    assert PlaceServiceOffer.objects.filter(place__department="37").exists()
