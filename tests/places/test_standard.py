"""The standard's CSV reader: the vendored schema drives it, each wrong field is reported with its
line (header = line 1), its column, its value and what is expected, in French; and a wrong file
imports nothing."""

import json

import pytest
from django.utils import translation

from shared_tools.models import Place, PlaceService
from shared_tools.places.services import import_places
from shared_tools.places.standard import (
    EXAMPLE_FILE,
    SCHEMA_FILE,
    UPLOAD_LIMITS,
    Limits,
    PlaceFileError,
    SchemaError,
    load_schema,
    read_places,
)
from tests.places.conftest import csv_bytes, example_row, place_row


def errors_of(content: bytes, limits: Limits = UPLOAD_LIMITS) -> list:
    with translation.override("fr"), pytest.raises(PlaceFileError) as caught:
        read_places(content, limits=limits)
    return caught.value.errors


def french(error) -> str:
    with translation.override("fr"):
        return str(error)


# The schema ---------------------------------------------------------------------------------------


def test_the_columns_are_the_schemas_in_its_order():
    schema = load_schema()
    header = EXAMPLE_FILE.read_text(encoding="utf-8").splitlines()[0].replace('"', "").split(",")
    assert schema.names == header
    assert len(schema.names) == 32
    assert schema.version == "v1.0.2"


def test_the_services_vocabulary_is_read_from_the_schemas_pattern_and_matches_the_model():
    services = load_schema().column("services")
    assert set(services.vocabulary) == set(PlaceService.values)
    # The description's "Comprehension" is not the vocabulary: the pattern wins.
    assert "Compréhension du monde numérique" in services.vocabulary
    for value in services.vocabulary:
        assert services.pattern.fullmatch(value)


def test_every_restricted_list_gets_its_vocabulary_with_parentheses_unescaped():
    schema = load_schema()
    assert "Langues étrangères (anglais)" in schema.column("prise_en_charge_specifique").vocabulary
    assert "Relais numérique (Emmaüs Connect)" in schema.column("dispositif_programmes_nationaux").vocabulary
    assert schema.column("itinerance").vocabulary == ("Itinérant", "Fixe")
    assert schema.column("typologie").vocabulary == ()  # the schema leaves it open


def test_a_schema_constraint_the_reader_does_not_apply_stops_it(tmp_path):
    data = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    data["fields"][0]["constraints"]["minLength"] = 3
    changed = tmp_path / "schema.json"
    changed.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(SchemaError, match="minLength"):
        load_schema(changed)


def test_a_new_column_in_the_schema_stops_the_reader(tmp_path):
    data = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    data["fields"].append({"name": "horaires_ete", "type": "string"})
    changed = tmp_path / "schema.json"
    changed.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(SchemaError, match="horaires_ete"):
        load_schema(changed)


# The example ---------------------------------------------------------------------------------------


def test_the_standards_example_reads_cleanly_with_its_lists_split():
    [record] = read_places(EXAMPLE_FILE.read_bytes(), limits=UPLOAD_LIMITS)
    assert record.line == 2
    assert record.values["local_id"] == "structure-1"
    assert record.values["latitude"] == pytest.approx(43.52609)
    assert record.values["emails"] == ["contact@laquincaillerie.tl", "responsable@laquincaillerie.tl"]
    assert record.values["opening_hours"] == "Mo-Fr 09:00-12:00,14:00-18:30; Sa 08:30-12:00"
    assert record.services == [
        "Maîtrise des outils numériques du quotidien",
        "Insertion professionnelle via le numérique",
        "Loisirs et créations numériques",
    ]


# One wrong field, on line 3 (a valid line 2 before it): the error names line, column and value --

FIELD_CASES = [
    ("code_postal", "3700", "3700", "un code postal a 5 chiffres, par exemple « 51100 »"),
    ("code_postal", "37 000", "37 000", "un code postal a 5 chiffres"),
    ("code_postal", "３７０００", "３７０００", "un code postal a 5 chiffres"),
    (
        "services",
        "Aide aux démarches|Maîtrise des outils numériques du quotidien",
        "Aide aux démarches",
        "« Aide aux démarches » n'est pas une valeur du standard. "
        "Valeurs acceptées : Aide aux démarches administratives;",
    ),
    (
        "services",
        "Comprehension du monde numérique",
        "Comprehension du monde numérique",
        "Vouliez-vous dire « Compréhension du monde numérique » ?",
    ),
    ("horaires", "lundi 9h-12h", "lundi 9h-12h", "ne sont pas au format OpenStreetMap (problème au caractère 1)"),
    ("horaires", "Mo-Fr 9h-12h", "Mo-Fr 9h-12h", "(problème au caractère 7). Écrivez par exemple « Mo-Fr 09:00"),
    ("date_maj", "02/04/2024", "02/04/2024", "n'est pas une date valide écrite AAAA-MM-JJ (année-mois-jour)"),
    ("date_maj", "2024-02-30", "2024-02-30", "n'est pas une date valide"),
    ("courriels", "contact@|accueil@exemple.fr", "contact@", "« contact@ » n'est pas une adresse e-mail valide."),
    ("site_web", "www.exemple.fr", "www.exemple.fr", "n'est pas une adresse web commençant par http:// ou https://"),
    ("fiche_acces_libre", "javascript:alert(1)", "javascript:alert(1)", "n'est pas une adresse web"),
    ("prise_rdv", "rdv-solidarites.fr", "rdv-solidarites.fr", "n'est pas une adresse web"),
    ("latitude", "43,52609", "43,52609", "n'est pas un nombre ; écrivez les décimales avec un point"),
    ("latitude", "123.4", "123.4", "une latitude est comprise entre -90 et 90."),
    ("longitude", "-190", "-190", "une longitude est comprise entre -180 et 180."),
    ("telephone", "02 47 00 00 00", "02 47 00 00 00", "un numéro de téléphone s'écrit au format international"),
    ("pivot", "123", "123", "indiquez le SIRET (14 chiffres)"),
    ("code_insee", "3726", "3726", "un code INSEE a 5 caractères"),
    ("nom", "", "", "une valeur est obligatoire (par exemple « Anonymal »)."),
    ("date_maj", "  ", "", "une valeur est obligatoire"),
    ("presentation_resume", "é" * 281, "é" * 281, "au plus 280 caractères (cette valeur en a 281)."),
    ("nom", "N" * 301, "N" * 301, "au plus 300 caractères"),
    ("frais_a_charge", "Gratuit|Libre", "Libre", "« Libre » n'est pas une valeur du standard"),
    ("itinerance", "Mobile", "Mobile", "Valeurs acceptées : Itinérant; Fixe."),
    ("publics_specifiquement_adresses", "Seniors|seniors", "seniors", "Vouliez-vous dire « Seniors » ?"),
    (
        "formations_labels",
        "Étapes numériques (La Poste)",
        "Étapes numériques (La Poste)",
        "Vouliez-vous dire « Étapes numériques(La Poste) » ?",
    ),
]


@pytest.mark.parametrize(("column", "bad", "value", "message"), FIELD_CASES)
def test_a_wrong_field_is_reported_with_its_line_column_value_and_what_is_expected(column, bad, value, message):
    content = csv_bytes([place_row("ok-1"), place_row("bad-1", **{column: bad})])
    errors = errors_of(content)
    assert [(error.line, error.column, error.value) for error in errors] == [(3, column, value)]
    assert message in errors[0].message
    assert french(errors[0]).startswith(f"Ligne 3, colonne « {column} » : ")


@pytest.mark.django_db
@pytest.mark.parametrize(("column", "bad", "value", "message"), FIELD_CASES[:12])
def test_a_file_with_a_wrong_field_imports_nothing(column, bad, value, message):
    content = csv_bytes([place_row("ok-1"), place_row("bad-1", **{column: bad})])
    with pytest.raises(PlaceFileError):
        import_places(user=None, content=content)
    assert not Place.objects.exists()


def test_latitude_without_longitude_is_refused():
    errors = errors_of(csv_bytes([place_row("p-1", longitude="")]))
    assert [(e.line, e.column) for e in errors] == [(2, "longitude")]
    assert "indiquez la latitude et la longitude, ou aucune des deux" in errors[0].message


def test_a_place_without_coordinates_or_optional_values_is_valid():
    required = {"id": "p-1", "pivot": "W372000001", "nom": "EPN", "commune": "Tours", "code_postal": "37000"}
    row = {**required, "adresse": "1 rue Nationale", "date_maj": "2026-01-15"}
    [record] = read_places(csv_bytes([row]), limits=UPLOAD_LIMITS)
    assert record.values["latitude"] is None
    assert record.values["opening_hours"] == ""
    assert record.services == []


def test_every_error_of_every_line_is_reported_not_only_the_first():
    rows = [
        place_row("a", code_postal="ABCDE", horaires="tous les jours"),
        place_row("b"),
        place_row("c", services="Jardinage"),
        place_row("a"),
    ]
    errors = errors_of(csv_bytes(rows))
    assert [(e.line, e.column) for e in errors] == [
        (2, "code_postal"),
        (2, "horaires"),
        (4, "services"),
        (5, "id"),
    ]
    assert "l'identifiant « a » est déjà utilisé ligne 2." in errors[3].message


def test_lines_are_counted_as_a_spreadsheet_shows_them_even_with_line_breaks_in_a_cell():
    rows = [
        place_row("a", presentation_detail="Première ligne\nDeuxième ligne\nTroisième"),
        place_row("b", code_postal="1"),
    ]
    errors = errors_of(csv_bytes(rows))
    assert [(e.line, e.column) for e in errors] == [(3, "code_postal")]


def test_spaces_around_values_and_separators_are_ignored_and_repeated_values_kept_once():
    row = place_row("a", services=" Loisirs et créations numériques | Loisirs et créations numériques ", nom=" EPN ")
    [record] = read_places(csv_bytes([row]), limits=UPLOAD_LIMITS)
    assert record.services == ["Loisirs et créations numériques"]
    assert record.values["name"] == "EPN"


# The header ----------------------------------------------------------------------------------------


def test_a_missing_required_column_is_reported_on_line_1():
    columns = [name for name in load_schema().names if name != "code_postal"]
    errors = errors_of(csv_bytes([example_row()], columns=columns))
    assert [(e.line, e.column) for e in errors] == [(1, "code_postal")]
    assert errors[0].message == "la colonne obligatoire « code_postal » manque."


def test_an_optional_column_may_be_left_out():
    columns = [name for name in load_schema().names if name not in {"prise_rdv", "horaires"}]
    [record] = read_places(csv_bytes([example_row()], columns=columns), limits=UPLOAD_LIMITS)
    assert record.values["booking_url"] == ""
    assert record.values["opening_hours"] == ""


def test_an_unknown_column_is_named_with_the_closest_one():
    columns = [("code postal" if name == "code_postal" else name) for name in load_schema().names]
    errors = errors_of(csv_bytes([example_row()], columns=columns))
    messages = {(e.line, e.column): e.message for e in errors}
    assert (
        messages[(1, "code postal")]
        == "cette colonne n'existe pas dans le standard. Vouliez-vous dire « code_postal » ?"
    )
    assert (1, "code_postal") in messages  # and the required one is missing


def test_a_column_given_twice_is_refused():
    columns = [*load_schema().names, "nom"]
    errors = errors_of(csv_bytes([example_row()], columns=columns))
    assert [(e.line, e.column, e.message) for e in errors] == [(1, "nom", "cette colonne apparaît deux fois.")]


def test_a_file_without_the_standards_header_says_what_the_first_line_must_be():
    errors = errors_of(b"Name;Town\nEPN;Tours\n")
    assert errors[0].line == 1
    assert "la première ligne doit donner les noms des colonnes du standard (id, pivot, nom" in errors[0].message


def test_a_line_with_too_few_cells_is_reported():
    content = csv_bytes([place_row("a")]) + b'"b","W372000001","EPN"\r\n'
    errors = errors_of(content)
    assert [(e.line, e.column) for e in errors] == [(3, "")]
    assert errors[0].message == "cette ligne a 3 cellules alors que l'en-tête a 32 colonnes."


# The file ------------------------------------------------------------------------------------------


def test_semicolon_separated_files_from_french_spreadsheets_are_read():
    [record] = read_places(csv_bytes([example_row()], delimiter=";"), limits=UPLOAD_LIMITS)
    assert record.values["emails"] == ["contact@laquincaillerie.tl", "responsable@laquincaillerie.tl"]


def test_a_byte_order_mark_is_tolerated():
    [record] = read_places("\ufeff".encode() + EXAMPLE_FILE.read_bytes(), limits=UPLOAD_LIMITS)
    assert record.local_id == "structure-1"


def test_empty_lines_at_the_end_are_ignored():
    [record] = read_places(EXAMPLE_FILE.read_bytes() + b"\r\n,,,\r\n\r\n", limits=UPLOAD_LIMITS)
    assert record.local_id == "structure-1"


def test_a_file_that_is_not_utf8_is_refused_with_the_line_of_the_first_bad_byte():
    content = csv_bytes([place_row("a"), place_row("b", nom="Médiathèque")]).decode().encode("latin-1")
    errors = errors_of(content)
    assert [(e.line, e.column) for e in errors] == [(2, "")]
    assert "n'est pas du texte encodé en UTF-8" in errors[0].message
    assert "« CSV UTF-8 »" in errors[0].message


def test_a_spreadsheet_file_is_recognised_by_its_content_not_its_name():
    errors = errors_of(b"PK\x03\x04" + b"\x00" * 100)
    assert "C'est un fichier de tableur (xlsx, xls ou ods), pas un fichier CSV." in errors[0].message


def test_binary_content_is_refused():
    errors = errors_of(b"id,nom\x00\x00\n")
    assert errors[0].message == "Ce fichier n'est pas un fichier texte CSV."


def test_an_empty_file_is_refused():
    assert errors_of(b"  \r\n")[0].message == "Le fichier est vide."


def test_a_badly_quoted_cell_is_reported_after_the_errors_found_before_it():
    content = csv_bytes([place_row("a", code_postal="1")]) + b'"b","x"y",\r\n'
    errors = errors_of(content)
    assert [(e.line, e.column) for e in errors] == [(2, "code_postal"), (3, "")]
    assert "une cellule est mal entourée de guillemets" in errors[1].message


def test_a_file_over_the_size_limit_is_refused_before_reading():
    errors = errors_of(EXAMPLE_FILE.read_bytes(), Limits(max_bytes=1000, max_rows=10))
    assert [e.line for e in errors] == [None]
    assert "Le fichier est trop gros" in errors[0].message


def test_a_file_over_the_row_limit_is_refused():
    rows = [place_row(f"p-{n}") for n in range(4)]
    errors = errors_of(csv_bytes(rows), Limits(max_bytes=10**6, max_rows=3))
    assert [e.message for e in errors] == ["Le fichier contient plus de 3 lieux ; importez-en au plus 3 à la fois."]
