"""The national standard of digital-mediation places as a CSV codec: read and validate, write.

The vendored Table Schema (`data/mediation-num-schema.json`) drives the checks: column names and
order, `required`, `unique`, `pattern` (matched in full, as Table Schema says), `maxLength`, and the
types `string`, `number`, `date`. Multi-valued columns hold values separated by `|`; where the
schema restricts them, its pattern has the form `(?:(?:^|\\|)(A|B|C))+$` and the vocabulary is read
out of it, so that an error names the unknown value and the accepted ones. The schema cannot say
everything: e-mail and web addresses, latitude and longitude ranges, opening hours (parsed by a real
OpenStreetMap parser) and the lengths of the database columns are checked here.

Reading is pure (bytes in, records or errors out) and collects every error of the file, each with
the line a spreadsheet shows (the header is line 1), the column, the value and what is expected.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.validators import EmailValidator, URLValidator
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..models import Place
from .hours import syntax_error_position

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
SCHEMA_FILE = DATA_DIR / "mediation-num-schema.json"
EXAMPLE_FILE = DATA_DIR / "mediation-num-exemple.csv"

SEPARATOR = "|"
SERVICES = "services"


@dataclass(frozen=True)
class Limits:
    """How much one import may hold: bytes of the file, places (data lines)."""

    max_bytes: int
    max_rows: int


# A page upload is one request and one transaction: a département's places, not the whole country.
UPLOAD_LIMITS = Limits(max_bytes=2 * 1024 * 1024, max_rows=2000)
# The command line (an operator with the file at hand) takes the national file.
COMMAND_LIMITS = Limits(max_bytes=100 * 1024 * 1024, max_rows=200_000)


# What each column of the standard becomes: the model attribute, and how its text is read.
# Kinds: text, list (values separated by |), emails, urls (lists), url, number, date, hours.
COLUMNS: dict[str, tuple[str, str]] = {
    "id": ("local_id", "text"),
    "pivot": ("pivot", "text"),
    "nom": ("name", "text"),
    "commune": ("commune", "text"),
    "code_postal": ("postcode", "text"),
    "code_insee": ("insee_code", "text"),
    "adresse": ("address", "text"),
    "complement_adresse": ("address_complement", "text"),
    "latitude": ("latitude", "number"),
    "longitude": ("longitude", "number"),
    "typologie": ("typologies", "list"),
    "telephone": ("phone", "text"),
    "courriels": ("emails", "emails"),
    "site_web": ("websites", "urls"),
    "horaires": ("opening_hours", "hours"),
    "presentation_resume": ("summary", "text"),
    "presentation_detail": ("description", "text"),
    "source": ("source", "text"),
    "itinerance": ("itinerance", "list"),
    "structure_parente": ("parent_structure", "text"),
    "date_maj": ("updated_on", "date"),
    SERVICES: (SERVICES, "list"),
    "publics_specifiquement_adresses": ("publics", "list"),
    "prise_en_charge_specifique": ("specific_support", "list"),
    "frais_a_charge": ("fees", "list"),
    "dispositif_programmes_nationaux": ("national_programmes", "list"),
    "formations_labels": ("training_labels", "list"),
    "autres_formations_labels": ("other_training_labels", "text"),
    "modalites_acces": ("access_modes", "list"),
    "modalites_accompagnement": ("support_modes", "list"),
    "fiche_acces_libre": ("acces_libre_url", "url"),
    "prise_rdv": ("booking_url", "url"),
}
MULTI_VALUED = {"list", "emails", "urls"}
KNOWN_CONSTRAINTS = {"required", "unique", "pattern", "maxLength"}
KNOWN_TYPES = {"string", "number", "date"}
# The enum-like patterns of the schema: one or more of the alternatives, separated by `|`.
VOCABULARY_PATTERN = re.compile(r"^\(\?:\(\?:\^\|\\\|\)\((?P<alternatives>.+)\)\)\+\$$")
# 2024-04-02; Table Schema's default date format is ISO 8601's extended calendar date.
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
# Table Schema numbers: an optional sign, digits with a point, an optional exponent.
NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$", re.ASCII)


class SchemaError(Exception):
    """The vendored schema uses something this reader does not understand (a developer's error)."""


@dataclass(frozen=True)
class Column:
    """One field of the Table Schema, as this reader applies it."""

    name: str
    title: str
    type: str
    attribute: str
    kind: str
    required: bool
    unique: bool
    pattern: re.Pattern[str] | None
    max_length: int | None
    example: str
    vocabulary: tuple[str, ...] = ()

    @property
    def multi_valued(self) -> bool:
        return self.kind in MULTI_VALUED


@dataclass(frozen=True)
class Schema:
    version: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> list[str]:
        return [column.name for column in self.columns]

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)


def _vocabulary(pattern: str) -> tuple[str, ...]:
    match = VOCABULARY_PATTERN.match(pattern)
    if match is None:
        return ()
    # Alternatives are separated by unescaped `|`; `\(` and `\)` stand for parentheses.
    alternatives = re.split(r"(?<!\\)\|", match["alternatives"])
    return tuple(re.sub(r"\\(.)", r"\1", alternative) for alternative in alternatives)


def _database_limit(attribute: str) -> int | None:
    if attribute == SERVICES:
        return None
    return getattr(Place._meta.get_field(attribute), "max_length", None)


@cache
def load_schema(path: Path = SCHEMA_FILE) -> Schema:
    """The standard's columns, in order. Raises SchemaError on anything it cannot apply."""
    data = json.loads(path.read_text(encoding="utf-8"))
    columns = []
    for spec in data["fields"]:
        name = spec["name"]
        if name not in COLUMNS:
            raise SchemaError(f"{path.name}: no mapping for the column {name!r}")
        if spec.get("type", "string") not in KNOWN_TYPES:
            raise SchemaError(f"{path.name}: column {name!r} has the unsupported type {spec['type']!r}")
        constraints = spec.get("constraints", {})
        unknown = set(constraints) - KNOWN_CONSTRAINTS
        if unknown:
            raise SchemaError(f"{path.name}: column {name!r} has unsupported constraints {sorted(unknown)}")
        attribute, kind = COLUMNS[name]
        pattern = constraints.get("pattern")
        schema_limit = constraints.get("maxLength")
        database_limit = _database_limit(attribute) if kind in {"text", "url", "hours"} else None
        limits = [limit for limit in (schema_limit, database_limit) if limit is not None]
        columns.append(
            Column(
                name=name,
                title=spec.get("title", name),
                type=spec.get("type", "string"),
                attribute=attribute,
                kind=kind,
                required=bool(constraints.get("required", False)),
                unique=bool(constraints.get("unique", False)),
                pattern=re.compile(pattern, re.ASCII) if pattern else None,
                max_length=min(limits) if limits else None,
                example=str(spec.get("example", "")),
                vocabulary=_vocabulary(pattern) if pattern else (),
            )
        )
    missing = set(COLUMNS) - {column.name for column in columns}
    if missing:
        raise SchemaError(f"{path.name}: columns {sorted(missing)} are mapped but not in the schema")
    return Schema(version=data.get("version", ""), columns=tuple(columns))


# Errors ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlaceError:
    """One problem of a file: `line` as a spreadsheet numbers it (header = 1), None for the file."""

    line: int | None
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        if self.column:
            return _("Line %(line)d, column “%(column)s”: %(message)s") % {
                "line": self.line,
                "column": self.column,
                "message": self.message,
            }
        return _("Line %(line)d: %(message)s") % {"line": self.line, "message": self.message}

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "value": self.value, "message": self.message}


class PlaceFileError(Exception):
    """The file cannot be imported; `errors` lists every problem found, in file order."""

    def __init__(self, errors: list[PlaceError]) -> None:
        super().__init__(f"{len(errors)} error(s)")
        self.errors = errors


# Reading -----------------------------------------------------------------------------------------


@dataclass
class PlaceRecord:
    """One valid data line: the model's attribute values, and its services in the file's order."""

    line: int
    values: dict[str, Any] = field(default_factory=dict)
    services: list[str] = field(default_factory=list)

    @property
    def local_id(self) -> str:
        return str(self.values["local_id"])


def _size(n_bytes: int) -> str:
    megabytes = n_bytes / (1024 * 1024)
    return _("%(size)s MB") % {"size": number_format(megabytes, decimal_pos=0 if megabytes >= 10 else 1)}


def _too_large(size: int, limits: Limits) -> PlaceFileError:
    return PlaceFileError(
        [
            PlaceError(
                None,
                "",
                "",
                _("The file is too large (%(size)s); at most %(max)s at a time. Split it into smaller files.")
                % {"size": _size(size), "max": _size(limits.max_bytes)},
            )
        ]
    )


def read_upload(upload: File, limits: Limits) -> bytes:
    """The bytes of an uploaded file, refused from its size before anything is read into memory."""
    if upload.size is not None and upload.size > limits.max_bytes:
        raise _too_large(upload.size, limits)
    return upload.read(limits.max_bytes + 1)


def decode(content: bytes, limits: Limits) -> str:
    """The text of an upload: UTF-8 (a byte-order mark is allowed), within the size limit.

    Checked on the content, whatever the file is called. Raises PlaceFileError.
    """
    if len(content) > limits.max_bytes:
        raise _too_large(len(content), limits)
    if not content.strip():
        raise PlaceFileError([PlaceError(None, "", "", _("The file is empty."))])
    if content.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        # Zip (xlsx, ods) or OLE (xls) containers: a spreadsheet saved in its own format.
        raise PlaceFileError(
            [
                PlaceError(
                    None,
                    "",
                    "",
                    _(
                        "This is a spreadsheet file (xlsx, xls or ods), not a CSV file. In your spreadsheet, "
                        "use “Save as” and choose “CSV UTF-8”."
                    ),
                )
            ]
        )
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        raise PlaceFileError(
            [
                PlaceError(
                    line,
                    "",
                    "",
                    _(
                        "the file is not text encoded in UTF-8. In your spreadsheet, use “Save as” and choose "
                        "“CSV UTF-8”."
                    ),
                )
            ]
        ) from exc
    if "\x00" in text:
        raise PlaceFileError([PlaceError(None, "", "", _("This file is not a CSV text file."))])
    return text


def _delimiter(first_line: str, names: set[str]) -> str | None:
    """`,` as the standard says, or `;` (what French spreadsheets write) or tab: whichever splits the
    header into the standard's column names. The header is known, so the choice is never a guess."""
    best, best_score = None, 0
    for delimiter in (",", ";", "\t"):
        cells = next(csv.reader([first_line], delimiter=delimiter), [])
        score = sum(1 for cell in cells if cell.strip().lower() in names)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _suggestion(value: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(value, list(candidates), n=1, cutoff=0.6)
    return _(" Did you mean “%(suggestion)s”?") % {"suggestion": close[0]} if close else ""


def _split(value: str) -> list[str]:
    items: list[str] = []
    for item in value.split(SEPARATOR):
        item = item.strip()
        if item and item not in items:
            items.append(item)
    return items


_EMAIL = EmailValidator()
_URL = URLValidator(schemes=["http", "https"])


class _LineChecker:
    """Checks the cells of one line; `errors` collects what is wrong with them."""

    def __init__(self, line: int) -> None:
        self.line = line
        self.errors: list[PlaceError] = []

    def error(self, column: Column, value: str, message: str) -> None:
        self.errors.append(PlaceError(self.line, column.name, value, message))

    def cell(self, column: Column, raw: str) -> Any:
        value = raw.strip()
        if not value:
            if column.required:
                self.error(
                    column,
                    "",
                    _("a value is required (for example “%(example)s”).") % {"example": column.example},
                )
            return [] if column.multi_valued else (None if column.kind in {"number", "date"} else "")
        if not column.multi_valued and column.pattern is not None and not column.pattern.fullmatch(value):
            self.error(column, value, self._pattern_message(column, value))
            return None
        if column.max_length is not None and len(value) > column.max_length:
            self.error(
                column,
                value,
                ngettext(
                    "at most %(max)d character (this value has %(length)d).",
                    "at most %(max)d characters (this value has %(length)d).",
                    column.max_length,
                )
                % {"max": column.max_length, "length": len(value)},
            )
            return None
        if column.multi_valued:
            return self._values(column, value)
        if column.type == "number":
            return self._number(column, value)
        if column.type == "date":
            return self._date(column, value)
        if column.kind == "url":
            return value if self._url(column, value) else None
        if column.kind == "hours":
            return self._hours(column, value)
        return value

    def _values(self, column: Column, value: str) -> list[str] | None:
        items = _split(value)
        valid = True
        for item in items:
            if column.vocabulary and item not in column.vocabulary:
                valid = False
                self.error(
                    column,
                    item,
                    _("“%(value)s” is not a value of the standard. Accepted values: %(values)s.")
                    % {"value": item, "values": "; ".join(column.vocabulary)}
                    + _suggestion(item, column.vocabulary),
                )
            elif column.kind == "emails":
                valid = self._email(column, item) and valid
            elif column.kind == "urls":
                valid = self._url(column, item) and valid
        if valid and column.pattern is not None and not column.pattern.fullmatch(SEPARATOR.join(items)):
            # A pattern that is not a plain vocabulary: apply it to the whole cell, as the schema says.
            self.error(column, value, self._pattern_message(column, value))
            return None
        return items if valid else None

    def _pattern_message(self, column: Column, value: str) -> str:
        hints = {
            "code_postal": _("a postcode has 5 digits, for example “%(example)s”."),
            "code_insee": _("an INSEE code has 5 characters, for example “%(example)s” or “2A004” in Corsica."),
            "telephone": _(
                "a phone number is written in international form, without spaces or the first 0, "
                "for example “%(example)s”."
            ),
            "pivot": _(
                "give the SIRET (14 digits) or the RNA number (W and 9 digits), or the RIDET, without spaces, "
                "for example “%(example)s”."
            ),
        }
        hint = hints.get(column.name, _("“%(value)s” does not have the expected form, for example “%(example)s”."))
        return hint % {"value": value, "example": column.example}

    def _number(self, column: Column, value: str) -> float | None:
        if not NUMBER.match(value):
            self.error(
                column,
                value,
                _("“%(value)s” is not a number; write decimals with a point, for example “%(example)s”.")
                % {"value": value, "example": column.example},
            )
            return None
        number = float(value)
        bound = 90 if column.name == "latitude" else 180
        if not -bound <= number <= bound:
            self.error(
                column,
                value,
                _("a %(column)s is between -%(bound)d and %(bound)d.") % {"column": column.name, "bound": bound},
            )
            return None
        return number

    def _date(self, column: Column, value: str) -> date | None:
        try:
            if not ISO_DATE.match(value):
                raise ValueError(value)
            return date.fromisoformat(value)
        except ValueError:
            self.error(
                column,
                value,
                _("“%(value)s” is not a valid date written YYYY-MM-DD (year-month-day), for example “%(example)s”.")
                % {"value": value, "example": column.example},
            )
            return None

    def _email(self, column: Column, value: str) -> bool:
        try:
            _EMAIL(value)
        except ValidationError:
            self.error(column, value, _("“%(value)s” is not a valid e-mail address.") % {"value": value})
            return False
        return True

    def _url(self, column: Column, value: str) -> bool:
        try:
            _URL(value)
        except ValidationError:
            self.error(
                column,
                value,
                _("“%(value)s” is not a web address starting with http:// or https://.") % {"value": value},
            )
            return False
        return True

    def _hours(self, column: Column, value: str) -> str | None:
        position = syntax_error_position(value)
        if position is not None:
            self.error(
                column,
                value,
                _(
                    "these opening hours are not in the OpenStreetMap format (problem at character %(position)d). "
                    "Write for example “%(example)s”."
                )
                % {"position": position, "example": column.example},
            )
            return None
        return value


def _header(cells: list[str], schema: Schema) -> tuple[list[Column | None], list[PlaceError]]:
    """The column of each header cell (None for an empty trailing cell), and the header's errors."""
    by_name = {column.name: column for column in schema.columns}
    errors: list[PlaceError] = []
    columns: list[Column | None] = []
    seen: set[str] = set()
    for cell in cells:
        name = cell.strip().lower()
        if not name:
            columns.append(None)
            continue
        if name not in by_name:
            errors.append(
                PlaceError(
                    1,
                    cell.strip(),
                    cell.strip(),
                    _("this column is not in the standard.") + _suggestion(name, by_name),
                )
            )
            columns.append(None)
            continue
        if name in seen:
            errors.append(PlaceError(1, name, name, _("this column appears twice.")))
        seen.add(name)
        columns.append(by_name[name])
    for column in schema.columns:
        if column.required and column.name not in seen:
            errors.append(
                PlaceError(
                    1, column.name, "", _("the required column “%(column)s” is missing.") % {"column": column.name}
                )
            )
    return columns, errors


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(line, cells) for each record: a quoted cell may hold line breaks, and a spreadsheet still
    shows it as one line, so lines are counted in records, not in newline characters."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    number = 0
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise PlaceFileError(
                [
                    PlaceError(
                        number,
                        "",
                        "",
                        _(
                            "a cell is badly quoted (a quotation mark is not closed, or text follows it) "
                            "or is far too long."
                        ),
                    )
                ]
            ) from exc
        yield number, cells


def read_places(content: bytes, *, limits: Limits, schema: Schema | None = None) -> list[PlaceRecord]:
    """Every valid line of a standard CSV file, or PlaceFileError with every error of the file."""
    schema = schema or load_schema()
    text = decode(content, limits)
    first_line = text.split("\n", 1)[0].rstrip("\r")
    delimiter = _delimiter(first_line, set(schema.names))
    if delimiter is None:
        raise PlaceFileError(
            [
                PlaceError(
                    1,
                    "",
                    first_line[:80],
                    _("the first line must name the columns of the standard (%(columns)s...).")
                    % {"columns": ", ".join(schema.names[:5])},
                )
            ]
        )
    records = _records(text, delimiter)
    _header_line, header_cells = next(records)
    columns, errors = _header(header_cells, schema)
    if errors:
        # Values cannot be read against a header that is wrong: report the header alone.
        raise PlaceFileError(errors)
    present = [column for column in columns if column is not None]
    absent = [column for column in schema.columns if column not in present]
    result: list[PlaceRecord] = []
    first_line_of: dict[str, int] = {}
    rows = 0
    try:
        for line, cells in records:
            read = _read_line(line, cells, columns, absent, schema, errors)
            if read is None:
                continue
            record, valid = read
            rows += 1
            if rows > limits.max_rows:
                raise PlaceFileError(
                    [
                        PlaceError(
                            None,
                            "",
                            "",
                            _("The file has more than %(max)s places; import at most %(max)s at a time.")
                            % {"max": number_format(limits.max_rows, force_grouping=True)},
                        )
                    ]
                )
            local_id = str(record.values.get("local_id") or "")
            if local_id and local_id in first_line_of:
                errors.append(
                    PlaceError(
                        line,
                        "id",
                        local_id,
                        _("the identifier “%(value)s” is already used on line %(other)d.")
                        % {"value": local_id, "other": first_line_of[local_id]},
                    )
                )
                continue
            if local_id:
                first_line_of[local_id] = line
            if valid:
                result.append(record)
    except PlaceFileError as exc:
        if rows > limits.max_rows:
            raise
        # A quoting error stops the reading: report it after what was found before it.
        raise PlaceFileError(errors + exc.errors) from exc
    if errors:
        raise PlaceFileError(errors)
    return result


def _read_line(
    line: int,
    cells: list[str],
    columns: list[Column | None],
    absent: list[Column],
    schema: Schema,
    errors: list[PlaceError],
) -> tuple[PlaceRecord, bool] | None:
    """The record of a data line and whether it is valid (its errors go to `errors`); None when
    the line is empty."""
    if not any(cell.strip() for cell in cells):
        return None  # spreadsheets leave empty lines at the end
    if len(cells) != len(columns):
        errors.append(
            PlaceError(
                line,
                "",
                "",
                _("this line has %(found)d cells where the header has %(expected)d columns.")
                % {"found": len(cells), "expected": len(columns)},
            )
        )
        return PlaceRecord(line=line), False
    checker = _LineChecker(line)
    record = PlaceRecord(line=line)
    given: set[str] = set()
    for column, raw in zip(columns, cells, strict=True):
        if column is not None:
            record.values[column.attribute] = checker.cell(column, raw)
            if raw.strip():
                given.add(column.name)
    for column in absent:
        record.values[column.attribute] = checker.cell(column, "")
    if ("latitude" in given) != ("longitude" in given):
        missing = schema.column("latitude" if "longitude" in given else "longitude")
        checker.error(missing, "", _("give both the latitude and the longitude, or neither."))
    record.services = record.values.pop(SERVICES) or []
    errors.extend(checker.errors)
    return record, not checker.errors


# Writing -----------------------------------------------------------------------------------------


class Writable(Protocol):
    def write(self, text: str, /) -> object: ...


def _cell(column: Column, value: Any) -> str:
    if value is None or value == "":
        return ""
    if column.multi_valued:
        return SEPARATOR.join(value)
    if column.type == "number":
        return repr(float(value))
    if column.type == "date":
        return value.isoformat()
    return str(value)


def place_row(place: Place, schema: Schema | None = None) -> list[str]:
    """One place as the standard's cells, in the schema's order. `place.service_offers` is read
    through `.all()`, so prefetch it for a list."""
    schema = schema or load_schema()
    services = [offer.service for offer in place.service_offers.all()]
    return [
        _cell(column, services if column.attribute == SERVICES else getattr(place, column.attribute))
        for column in schema.columns
    ]


def write_places(places: Iterable[Place], out: Writable) -> None:
    """The standard's CSV: UTF-8 without byte-order mark, `,`, its column order, `|` in lists.

    Values are written as they are (no apostrophe before `+33...`): this is a data exchange file
    that must import elsewhere unchanged, not a spreadsheet report.
    """
    schema = load_schema()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(schema.names)
    for place in places:
        writer.writerow(place_row(place, schema))
