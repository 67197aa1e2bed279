"""Readers for the open data sets behind the catalogue (see data/README.md).

Each `parse_*` function reads a whole file, validates every record and returns a `CataloguePlan`
(tools, relations, provenance) without touching the database; `services.apply_catalogue_plan`
writes it. Malformed input raises `CatalogueDataError` naming the file, the line and the field,
before anything is written.

Cleaning happens here, never in the data files: HTML is stripped, lists are split, licences are
read as SPDX expressions (see `licences.py`), names are matched with `naming.match_key`.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import nh3
import yaml
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from .licences import LicenceReading, normalise_licence
from .models import (
    DataLocation,
    FreeSoftware,
    HostingOption,
    Platform,
    Pricing,
    RelationKind,
    SillStatus,
    Source,
    ToolKind,
)
from .naming import match_key

DATA_DIR = Path(__file__).resolve().parent / "data"
SILL_FILE = DATA_DIR / "sill-2020.csv"
DEGOOGLISONS_FILE = DATA_DIR / "degooglisons-services.yml"


class CatalogueDataError(Exception):
    """Malformed input. The message names the file, the line (when known) and the field."""

    def __init__(self, *, path: Path, line: int | None, field: str, message: str) -> None:
        self.path, self.line, self.field, self.message = path, line, field, message
        where = f"{path}, line {line}" if line else str(path)
        super().__init__(f"{where}, field {field!r}: {message}" if field else f"{where}: {message}")


# The plan --------------------------------------------------------------------------------


@dataclass
class ProvenanceSpec:
    source: str
    record_id: str
    role: str
    line: int
    data: dict[str, Any]


@dataclass
class ToolSpec:
    """What one source says about one tool. `authoritative` specs (SILL) refresh the fields they
    carry on re-import; the others (Dégooglisons) only fill what is still empty."""

    key: str
    name: str
    kind: str
    free_software: str
    authoritative: bool = False
    short_description: str = ""
    website: str = ""
    licence: str = ""
    licence_raw: str = ""
    sill_status: str = ""
    categories: set[str] = field(default_factory=set)
    platforms: list[str] = field(default_factory=list)
    hosting_options: list[str] = field(default_factory=list)
    data_location: str = DataLocation.UNKNOWN
    pricing: str = Pricing.UNKNOWN
    provenance: list[ProvenanceSpec] = field(default_factory=list)

    def absorb(self, other: ToolSpec) -> None:
        """Merge another mention of the same tool from the same file: first values win, lists join."""
        if other.kind == ToolKind.SOFTWARE:
            self.kind = ToolKind.SOFTWARE  # a name listed as installable software is software
        if self.free_software == FreeSoftware.UNKNOWN:
            self.free_software = other.free_software
        self.short_description = self.short_description or other.short_description
        self.website = self.website or other.website
        if not self.licence and not self.licence_raw:
            self.licence, self.licence_raw = other.licence, other.licence_raw
        if other.sill_status and (not self.sill_status or _SILL_RANK[other.sill_status] < _SILL_RANK[self.sill_status]):
            self.sill_status = other.sill_status
        if self.data_location == DataLocation.UNKNOWN:
            self.data_location = other.data_location
        if self.pricing == Pricing.UNKNOWN:
            self.pricing = other.pricing
        self.categories |= other.categories
        self.platforms = _joined(self.platforms, other.platforms)
        self.hosting_options = _joined(self.hosting_options, other.hosting_options)
        self.provenance.extend(other.provenance)


@dataclass
class RelationSpec:
    from_key: str
    to_key: str
    kind: str
    source: str
    notes: list[str] = field(default_factory=list)

    @property
    def note(self) -> str:
        return " ; ".join(dict.fromkeys(note for note in self.notes if note))


@dataclass
class CataloguePlan:
    """Everything one file says, validated and cleaned, ready for `services.apply_catalogue_plan`."""

    source: str
    path: Path
    records: int = 0
    tools: dict[str, ToolSpec] = field(default_factory=dict)
    relations: dict[tuple[str, str, str], RelationSpec] = field(default_factory=dict)
    # (reading, tool name) for every record that carries a licence column.
    licences: list[tuple[LicenceReading, str]] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)

    def add_tool(self, spec: ToolSpec) -> ToolSpec:
        known = self.tools.get(spec.key)
        if known is None:
            self.tools[spec.key] = spec
            return spec
        known.absorb(spec)
        return known

    def add_relation(self, *, from_key: str, to_key: str, kind: str, note: str = "") -> None:
        if from_key == to_key:
            return
        relation = self.relations.setdefault(
            (from_key, to_key, kind), RelationSpec(from_key=from_key, to_key=to_key, kind=kind, source=self.source)
        )
        relation.notes.append(note)


_SILL_RANK: dict[str, int] = {SillStatus.RECOMMENDED: 0, SillStatus.OBSERVATION: 1, SillStatus.NO_LONGER_RECOMMENDED: 2}


def _joined(first: list[str], second: Iterable[str]) -> list[str]:
    return list(dict.fromkeys([*first, *second]))


# Text helpers ----------------------------------------------------------------------------


def clean_text(value: str) -> str:
    """Plain text of an HTML fragment: tags dropped, entities decoded, whitespace collapsed."""
    return " ".join(html.unescape(nh3.clean(value, tags=set())).split())


@dataclass(frozen=True)
class Link:
    name: str
    url: str


class _AnchorParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: list[tuple[str, list[str]]] = []
        self._open: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._open = []
            self.anchors.append((dict(attrs).get("href") or "", self._open))

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open.append(data)


_URL = URLValidator(schemes=["http", "https"])


def links_in(value: str, *, path: Path, line: int, field: str) -> list[Link]:
    """The `<a href>` links of an HTML fragment, or its plain text as one link without address."""
    parser = _AnchorParser()
    parser.feed(value)
    parser.close()
    if not parser.anchors:
        text = clean_text(value)
        return [Link(name=text, url="")] if text else []
    links = []
    for href, parts in parser.anchors:
        name = clean_text("".join(parts))
        if not name:
            raise CatalogueDataError(path=path, line=line, field=field, message=f"link to {href!r} has no text")
        url = href.strip()
        if url:
            try:
                _URL(url)
            except ValidationError:
                raise CatalogueDataError(
                    path=path, line=line, field=field, message=f"{url!r} is not a web address"
                ) from None
        links.append(Link(name=name, url=url))
    return links


def _read_text(path: Path, field_at: Callable[[str, str], str]) -> str:
    """The file decoded as UTF-8; a decoding error names the line and the field it falls in."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CatalogueDataError(path=path, line=None, field="", message=f"cannot read the file ({exc})") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        above = data[:line_start].decode("utf-8", errors="replace")
        before = data[line_start : exc.start].decode("utf-8", errors="replace")
        raise CatalogueDataError(
            path=path,
            line=line,
            field=field_at(above, before),
            message=f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); the file must be saved as UTF-8",
        ) from None


# SILL ------------------------------------------------------------------------------------

SILL_COLUMNS = ("ID", "nom", "fonction", "statut", "parent", "similaire-a", "licence", "composant")
_SILL_LIST_SEPARATOR = re.compile(r"[\s;,]+")

# SILL "composant" → catalogue categories (slugs of the seeded tree). Keys are lower-cased.
SILL_COMPONENT_CATEGORIES: dict[str, tuple[str, ...]] = {
    "consultation et édition de documents": ("bureautique",),
    "outil de productivité": ("bureautique",),
    "gestion de contenu web": ("site-web",),
    "outil collaboratif": ("organisation",),
    "messagerie agenda contacts": ("courriel",),
    "navigateur web": ("navigation-web",),
    "visiophonie": ("visioconference",),
    "partage de fichiers": ("partage-de-fichiers",),
    "antivirus": ("securite",),
    "chiffrement": ("securite",),
    "moteur sig": ("cartographie",),
    "compression décompression": ("poste-de-travail",),
    "accessibilité": ("poste-de-travail",),
    "test & intégration": ("developpement",),
    "qualité et sécurité du code source": ("developpement",),
    "qualité et sécurité de code source": ("developpement",),
    "installation, packaging, diffusion et distribution": ("developpement",),
    "serveur d'application": ("developpement",),
    "environnement de développement intégré (ide)": ("developpement",),
    "environnement de développement": ("developpement",),
    "gestionnaire de cycle applicatif": ("developpement",),
    "gestion du code source": ("developpement",),
    "modeleur": ("developpement",),
    "gestion des anomalies": ("developpement",),
    "environnement d'exécution": ("developpement",),
    "outils d'analyse, de modélisation et de gestion de patrimoine": ("developpement",),
    "aide au développement": ("developpement",),
    "déploiement gestion d'actif et de configuration": ("informatique",),
    "outils système & virtualisation": ("informatique",),
    "supervision / hypervision": ("informatique",),
    "authentification": ("informatique",),
    "serveur web & reverse proxy": ("informatique",),
    "sauvegarde serveur": ("informatique",),
    "système d'exploitation": ("informatique",),
    "gestion des logs": ("informatique",),
    "virtualisation serveur et jusqu'à plateforme": ("informatique",),
    "bases de données relationnelles": ("informatique",),
    "bd relationnelles": ("informatique",),
    "gestionnaire de données non relationnelles": ("informatique",),
    "moteur de recherche": ("informatique",),
    "gestion des accès aux données": ("informatique",),
    "haute disponibilité (os)": ("informatique",),
    "service level management": ("informatique",),
    "load balancer": ("informatique",),
    "pare-feu - réseau": ("informatique",),
    "synchronisation réplication déduplication": ("informatique",),
    "serveur d'impression": ("informatique",),
    "serveur smtp": ("informatique",),
}

# Tools whose SILL component says little to an association ("collaborative tool", "productivity
# tool"); the categories here replace the component's. Keys are match keys.
SILL_TOOL_CATEGORIES: dict[str, tuple[str, ...]] = {
    "bigbluebutton": ("visioconference",),
    "jitsi": ("visioconference",),
    "mastodon": ("reseaux-sociaux",),
    "discourse": ("communication",),
    "phpbb": ("communication",),
    "rocketchat": ("messagerie-instantanee",),
    "sympa": ("lettres-d-information",),
    "thunderbird": ("courriel",),
    "k9mail": ("courriel",),
    "roundcube": ("courriel",),
    "sogo": ("courriel",),
    "zimbra": ("courriel",),
    "nextcloud": ("partage-de-fichiers",),
    "libreofficeonline": ("edition-collaborative",),
    "codimd": ("edition-collaborative",),
    "hedgedoc": ("edition-collaborative",),
    "mediawiki": ("edition-collaborative",),
    "xwiki": ("edition-collaborative",),
    "limesurvey": ("formulaires-et-enquetes",),
    "framadate": ("planification-et-sondages",),
    "wekan": ("gestion-de-projet",),
    "redmine": ("gestion-de-projet",),
    "projeqtor": ("gestion-de-projet",),
    "projectlibre": ("gestion-de-projet",),
    "matomo": ("mesure-d-audience",),
    "peertube": ("medias",),
    "gimp": ("medias",),
    "inkscape": ("medias",),
    "scribus": ("medias",),
    "audacity": ("medias",),
    "vlc": ("medias",),
    "obsstudio": ("medias",),
    "openshot": ("medias",),
    "avidemux": ("medias",),
    "dvdstyler": ("medias",),
    "greenshot": ("medias",),
    "umap": ("cartographie",),
    "qgis": ("cartographie",),
    "josm": ("cartographie",),
    "moodle": ("formation",),
    "chamilo": ("formation",),
    "openedx": ("formation",),
    "esuppod": ("formation",),
    "keepass": ("securite",),
    "veracrypt": ("securite",),
    "ublockorigin": ("securite",),
    "exodusprivacy": ("securite",),
    "mozillafirefox": ("navigation-web",),
    "chromium": ("navigation-web",),
    "yunohost": ("informatique",),
}


def _csv_field_at(above: str, before: str) -> str:
    if not above:
        return "(header)"
    header = next(csv.reader([above.splitlines()[0]]), [])
    count = len(next(csv.reader([before]), [])) or 1
    return header[count - 1].strip() if count <= len(header) else "(extra field)"


def _read_csv(path: Path, text: str, required: Iterable[str]) -> list[tuple[int, dict[str, str]]]:
    """Rows of a CSV file as (first line number, {column: value}); any defect raises."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [column.strip() for column in next(reader)]
    except StopIteration:
        raise CatalogueDataError(path=path, line=1, field="(header)", message="the file is empty") from None
    except csv.Error as exc:
        raise CatalogueDataError(path=path, line=1, field="(header)", message=f"malformed CSV ({exc})") from None
    for column in required:
        if column not in header:
            raise CatalogueDataError(
                path=path, line=1, field=column, message=f"missing column (the header has: {', '.join(header)})"
            )
    duplicated = sorted({column for column in header if header.count(column) > 1})
    if duplicated:
        raise CatalogueDataError(path=path, line=1, field=duplicated[0], message="the column appears twice")

    rows = []
    lines = text.splitlines()
    last_line = reader.line_num
    while True:
        start = last_line + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            # Typically a quote left open by a cut-off line: name the field that was open.
            partial = next(csv.reader([lines[start - 1] if start <= len(lines) else ""]), [])
            column = header[min(max(len(partial), 1), len(header)) - 1]
            raise CatalogueDataError(path=path, line=start, field=column, message=f"malformed CSV ({exc})") from None
        last_line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(header):
            raise CatalogueDataError(
                path=path,
                line=start,
                field=header[len(row)],
                message=f"the line is truncated: {len(row)} fields where the header has {len(header)}",
            )
        if len(row) > len(header):
            raise CatalogueDataError(
                path=path,
                line=start,
                field="(extra field)",
                message=f"{len(row)} fields where the header has {len(header)}",
            )
        rows.append((start, dict(zip(header, row, strict=True))))
    return rows


def parse_sill(path: Path = SILL_FILE) -> CataloguePlan:
    """Read a SILL CSV file (2020 columns). Raises CatalogueDataError on malformed input."""
    text = _read_text(path, _csv_field_at)
    rows = _read_csv(path, text, SILL_COLUMNS)
    plan = CataloguePlan(source=Source.SILL, path=path, records=len(rows))

    def fail(line: int, column: str, message: str) -> CatalogueDataError:
        return CatalogueDataError(path=path, line=line, field=column, message=message)

    first_line_of_id: dict[str, int] = {}
    key_of_id: dict[str, str] = {}
    line_of_key: dict[str, int] = {}
    for line, row in rows:
        record_id = row["ID"].strip()
        if not record_id:
            raise fail(line, "ID", "the ID is empty")
        if record_id in first_line_of_id:
            raise fail(line, "ID", f"ID {record_id} is already used on line {first_line_of_id[record_id]}")
        first_line_of_id[record_id] = line
        name = clean_text(row["nom"])
        if not match_key(name):
            raise fail(line, "nom", "the name is empty")
        if row["statut"].strip() not in SillStatus.values:
            raise fail(line, "statut", f"{row['statut']!r} is not one of R, O, FR")
        key_of_id[record_id] = match_key(name)
        if key_of_id[record_id] in line_of_key:
            plan.remarks.append(
                f"lines {line_of_key[key_of_id[record_id]]} and {line}: {name!r} twice, kept as one tool"
            )
        line_of_key.setdefault(key_of_id[record_id], line)

    for line, row in rows:
        record_id = row["ID"].strip()
        key = key_of_id[record_id]
        parent = clean_text(row["parent"])
        if parent and match_key(parent) not in line_of_key:
            raise fail(line, "parent", f"{parent!r} names no software of this file")
        similar_ids = [token for token in _SILL_LIST_SEPARATOR.split(row["similaire-a"].strip()) if token]
        for similar_id in similar_ids:
            if similar_id not in key_of_id:
                raise fail(line, "similaire-a", f"{similar_id!r} is not the ID of a row of this file")

        reading = normalise_licence(row["licence"])
        name = clean_text(row["nom"])
        plan.licences.append((reading, name))
        composant = " ".join(row["composant"].split()).lower()
        spec = ToolSpec(
            key=key,
            name=name,
            kind=ToolKind.SOFTWARE,
            free_software=FreeSoftware.YES,
            authoritative=True,
            short_description=clean_text(row["fonction"])[:300],
            licence=reading.expression,
            licence_raw=row["licence"].strip(),
            sill_status=row["statut"].strip(),
            categories=set(SILL_TOOL_CATEGORIES.get(key) or SILL_COMPONENT_CATEGORIES.get(composant, ())),
            provenance=[ProvenanceSpec(source=Source.SILL, record_id=record_id, role="", line=line, data=row)],
        )
        plan.add_tool(spec)
        if parent:
            plan.add_relation(from_key=key, to_key=match_key(parent), kind=RelationKind.PLUGIN_OF)
        for similar_id in similar_ids:
            # similar_to is symmetric: store both directions (see ToolRelation).
            plan.add_relation(from_key=key, to_key=key_of_id[similar_id], kind=RelationKind.SIMILAR_TO)
            plan.add_relation(from_key=key_of_id[similar_id], to_key=key, kind=RelationKind.SIMILAR_TO)
    return plan


# Dégooglisons Internet -------------------------------------------------------------------

# Service key → categories. The file's own c1/c2 themes are broad ("office", "social"), so each
# known service is placed by hand; `DEGOOGLISONS_THEME_CATEGORIES` covers services added later.
DEGOOGLISONS_CATEGORIES: dict[str, tuple[str, ...]] = {
    "bitly": ("communication",),
    "blogger": ("site-web",),
    "bubblus": ("bureautique",),
    "change": ("communication",),
    "delicious": ("navigation-web",),
    "doodle": ("planification-et-sondages",),
    "dropbox": ("partage-de-fichiers",),
    "evernote": ("bureautique",),
    "facebook": ("reseaux-sociaux",),
    "github": ("developpement",),
    "gmail": ("courriel",),
    "gagenda": ("planification-et-sondages",),
    "gbooks": ("loisirs",),
    "gdocs": ("edition-collaborative",),
    "gforms": ("formulaires-et-enquetes",),
    "ggroups": ("lettres-d-information",),
    "gmaps": ("cartographie",),
    "greader": ("navigation-web",),
    "gsearch": ("navigation-web",),
    "gslides": ("bureautique",),
    "gspreadsheet": ("edition-collaborative",),
    "imgur": ("medias",),
    "meetup": ("organisation",),
    "minecraft": ("loisirs",),
    "padlet": ("edition-collaborative",),
    "pastebin": ("partage-de-fichiers",),
    "pocket": ("navigation-web",),
    "scribd": ("partage-de-fichiers",),
    "loomio": ("decision-collective",),
    "skype": ("visioconference",),
    "slack": ("messagerie-instantanee",),
    "trello": ("gestion-de-projet",),
    "wetransfer": ("partage-de-fichiers",),
    "youtube": ("medias",),
    "jsfiddle": ("developpement",),
    "kongregate": ("loisirs",),
    "maestro": ("organisation",),
    "pixlr": ("medias",),
    "twitter": ("reseaux-sociaux",),
    "transifex": ("developpement",),
    "ganalytics": ("mesure-d-audience",),
    "airbnb": ("loisirs",),
    "aweber": ("lettres-d-information",),
    "blablacar": ("loisirs",),
    "routard": ("loisirs",),
    "gchrome": ("navigation-web",),
    "deezer": ("medias",),
    "flickr": ("medias",),
    "orange": ("informatique",),
    "outlook": ("courriel",),
    "ovh": ("site-web",),
    "patreon": ("dons-et-billetterie",),
    "paypal": ("dons-et-billetterie",),
    "universalis": ("navigation-web",),
    "whatsapp": ("messagerie-instantanee",),
}
DEGOOGLISONS_THEME_CATEGORIES: dict[str, tuple[str, ...]] = {
    "web": ("navigation-web",),
    "site": ("site-web",),
    "office": ("bureautique",),
    "social": ("communication",),
    "files": ("partage-de-fichiers",),
    "dev": ("developpement",),
    "media": ("medias",),
    "geo": ("cartographie",),
    "hobbies": ("loisirs",),
    "orga": ("organisation",),
    "collab": ("edition-collaborative",),
    "share": ("partage-de-fichiers",),
    "search": ("navigation-web",),
    "games": ("loisirs",),
}
# Values that stand for "nothing" or "various" rather than a tool.
DEGOOGLISONS_PLACEHOLDERS = frozenset({"", "divers"})
# Framasoft's placeholder address for services announced but never opened.
FRAMASOFT_NOT_OPENED_HOST = "wip.framasoft.org"

_NULL_TAG = "tag:yaml.org,2002:null"
_YAML_KEY = re.compile(r"^(?P<indent>\s*)(?P<key>[A-Za-z0-9_-]+)\s*:(?:\s|$)")


def _yaml_field_at(above: str, before: str) -> str:
    """`service.field` for a position in the file, found from the keys written above it."""
    field_name = ""
    for line in [before, *reversed(above.splitlines())]:
        found = _YAML_KEY.match(line)
        if not found:
            continue
        if not found["indent"]:
            return f"{found['key']}.{field_name}" if field_name else found["key"]
        field_name = field_name or found["key"]
    return field_name or "(document)"


def _plain(node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return {_plain(key): _plain(value) for key, value in node.value}
    if isinstance(node, yaml.SequenceNode):
        return [_plain(item) for item in node.value]
    return None if node.tag == _NULL_TAG else node.value


@dataclass
class _Entry:
    """One service of the Dégooglisons file, with the line of each of its fields."""

    path: Path
    record_id: str
    line: int
    fields: dict[str, tuple[yaml.Node, int]]

    def fail(self, field_name: str, message: str, line: int | None = None) -> CatalogueDataError:
        where = line or self.fields.get(field_name, (None, self.line))[1]
        return CatalogueDataError(path=self.path, line=where, field=f"{self.record_id}.{field_name}", message=message)

    def text(self, field_name: str, *, required: bool = False) -> str:
        node, line = self.fields.get(field_name, (None, self.line))
        if node is None or (isinstance(node, yaml.ScalarNode) and node.tag == _NULL_TAG):
            if required:
                raise self.fail(field_name, "missing value")
            return ""
        if not isinstance(node, yaml.ScalarNode):
            raise self.fail(field_name, "expected a single value, not a list or mapping")
        return node.value

    def items(self, field_name: str, *, required: bool = False) -> list[tuple[str, int]]:
        node, line = self.fields.get(field_name, (None, self.line))
        if node is None or (isinstance(node, yaml.ScalarNode) and node.tag == _NULL_TAG):
            if required:
                raise self.fail(field_name, "missing list")
            return []
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(field_name, "expected a list")
        items = []
        for item in node.value:
            item_line = item.start_mark.line + 1
            if not isinstance(item, yaml.ScalarNode) or item.tag == _NULL_TAG:
                raise self.fail(field_name, "expected a text in each list item", item_line)
            items.append((item.value, item_line))
        return items


def _degooglisons_entries(path: Path, text: str) -> list[_Entry]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        above = "\n".join(text.splitlines()[: line - 1]) if line else ""
        current = text.splitlines()[line - 1] if line and line <= len(text.splitlines()) else ""
        raise CatalogueDataError(
            path=path, line=line, field=_yaml_field_at(above, current), message=f"invalid YAML: {exc.problem}"
        ) from None
    except yaml.YAMLError as exc:
        raise CatalogueDataError(path=path, line=None, field="", message=f"invalid YAML: {exc}") from None
    if root is None:
        raise CatalogueDataError(path=path, line=1, field="(document)", message="the file is empty")
    if not isinstance(root, yaml.MappingNode):
        raise CatalogueDataError(
            path=path, line=root.start_mark.line + 1, field="(document)", message="expected a mapping of services"
        )
    entries: list[_Entry] = []
    first_line: dict[str, int] = {}
    for key_node, value_node in root.value:
        line = key_node.start_mark.line + 1
        if not isinstance(key_node, yaml.ScalarNode) or not key_node.value:
            raise CatalogueDataError(path=path, line=line, field="(service)", message="expected a service name")
        record_id = key_node.value
        if record_id in first_line:
            raise CatalogueDataError(
                path=path,
                line=line,
                field=record_id,
                message=f"service already defined on line {first_line[record_id]}",
            )
        first_line[record_id] = line
        if not isinstance(value_node, yaml.MappingNode):
            raise CatalogueDataError(path=path, line=line, field=record_id, message="expected the fields of a service")
        fields: dict[str, tuple[yaml.Node, int]] = {}
        for field_key, field_value in value_node.value:
            field_line = field_key.start_mark.line + 1
            if field_key.value in fields:
                raise CatalogueDataError(
                    path=path, line=field_line, field=f"{record_id}.{field_key.value}", message="field given twice"
                )
            fields[field_key.value] = (field_value, field_line)
        entries.append(_Entry(path=path, record_id=record_id, line=line, fields=fields))
    return entries


def parse_degooglisons(path: Path = DEGOOGLISONS_FILE) -> CataloguePlan:
    """Read a Dégooglisons `services.yml`. Raises CatalogueDataError on malformed input.

    Per service: each `gafam` name becomes a proprietary online service; `S` (the software behind
    Framasoft's service) and `altOff` become free software; Framasoft's instance (`F` named, at
    `FL`) and `altOn` hosts become online services; outside Framasoft's own services (no `FL`),
    `F` is the free alternative itself. Every free tool gets an `alternative_to` link to every
    proprietary one of the service, and Framasoft's instance an `instance_of` link to `S`.
    """
    text = _read_text(path, _yaml_field_at)
    entries = _degooglisons_entries(path, text)
    plan = CataloguePlan(source=Source.DEGOOGLISONS, path=path, records=len(entries))
    # Validate every entry before building anything, so the plan never reflects half a file.
    parsed = [_parse_degooglisons_entry(entry) for entry in entries]
    for entry, values in zip(entries, parsed, strict=True):
        _plan_degooglisons_entry(plan, entry, values)
    return plan


@dataclass
class _EntryValues:
    gafam: list[tuple[str, int]]
    theme: tuple[str, str]
    software: list[Link]
    framasoft_name: str
    framasoft_url: str
    alternatives: list[Link]  # F outside Framasoft's own services
    online: list[Link]
    offline: list[Link]
    data: dict[str, Any]


def _parse_degooglisons_entry(entry: _Entry) -> _EntryValues:
    path = entry.path
    gafam = entry.items("gafam", required=True)
    theme = (entry.text("c1", required=True), entry.text("c2"))

    def links(field_name: str) -> list[Link]:
        line = entry.fields.get(field_name, (None, entry.line))[1]
        return links_in(entry.text(field_name), path=path, line=line, field=f"{entry.record_id}.{field_name}")

    def link_items(field_name: str) -> list[Link]:
        found = []
        for value, line in entry.items(field_name):
            found.extend(links_in(value, path=path, line=line, field=f"{entry.record_id}.{field_name}"))
        return found

    framasoft_url = entry.text("FL").strip()
    framasoft_name = ""
    alternatives: list[Link] = []
    if framasoft_url:
        try:
            _URL(framasoft_url)
        except ValidationError:
            raise entry.fail("FL", f"{framasoft_url!r} is not a web address") from None
        framasoft_name = clean_text(entry.text("F"))
    else:
        alternatives = links("F")
    return _EntryValues(
        gafam=gafam,
        theme=theme,
        software=links("S"),
        framasoft_name=framasoft_name,
        framasoft_url=framasoft_url,
        alternatives=alternatives,
        online=link_items("altOn"),
        offline=link_items("altOff"),
        data={key: _plain(node) for key, (node, _line) in entry.fields.items()},
    )


def _plan_degooglisons_entry(plan: CataloguePlan, entry: _Entry, values: _EntryValues) -> None:
    record_id = entry.record_id
    if record_id in DEGOOGLISONS_CATEGORIES:
        categories = set(DEGOOGLISONS_CATEGORIES[record_id])
    else:
        categories = {slug for theme in values.theme for slug in DEGOOGLISONS_THEME_CATEGORIES.get(theme, ())}

    def add(name: str, role: str, **fields: Any) -> ToolSpec | None:
        key = match_key(name)
        if name.casefold() in DEGOOGLISONS_PLACEHOLDERS or not key:
            plan.remarks.append(f"{record_id}.{role}: {name!r} is a placeholder, not a tool; skipped")
            return None
        line = entry.fields.get(role, (None, entry.line))[1]
        provenance = ProvenanceSpec(
            source=Source.DEGOOGLISONS, record_id=record_id, role=role, line=line, data=values.data
        )
        spec = ToolSpec(key=key, name=name, categories=set(categories), provenance=[provenance], **fields)
        return plan.add_tool(spec)

    proprietary = []
    for name, _line in values.gafam:
        spec = add(
            clean_text(name),
            "gafam",
            kind=ToolKind.SERVICE,
            free_software=FreeSoftware.NO,
            hosting_options=[HostingOption.ONLINE],
        )
        if spec:
            proprietary.append(spec)
    opened = bool(values.framasoft_url) and urlsplit(values.framasoft_url).hostname != FRAMASOFT_NOT_OPENED_HOST
    if values.framasoft_url and not opened:
        plan.remarks.append(f"{record_id}.FL: Framasoft service announced but never opened; no instance recorded")

    free: list[tuple[ToolSpec, str]] = []
    software = []
    for link in values.software:
        spec = add(
            link.name,
            "S",
            kind=ToolKind.SOFTWARE,
            free_software=FreeSoftware.YES,
            website=link.url,
            hosting_options=[HostingOption.SELF_HOSTED, *([HostingOption.ONLINE] if opened else [])],
            data_location=DataLocation.SELF_HOSTED,
        )
        if spec:
            software.append(spec)
            note = (
                f"Logiciel libre du service {values.framasoft_name} de Framasoft"
                if opened
                else "Logiciel libre retenu par Framasoft"
            )
            free.append((spec, note))

    if opened and match_key(values.framasoft_name) not in {spec.key for spec in software}:
        based_on = ", ".join(spec.name for spec in software)
        instance = add(
            values.framasoft_name,
            "F",
            kind=ToolKind.SERVICE,
            free_software=FreeSoftware.YES,
            website=values.framasoft_url,
            short_description=f"Service en ligne de Framasoft, basé sur {based_on}"
            if based_on
            else "Service en ligne de Framasoft",
            platforms=[Platform.WEB],
            hosting_options=[HostingOption.ONLINE],
            data_location=DataLocation.FRANCE,
            pricing=Pricing.FREE_OF_CHARGE,
        )
        if instance:
            free.append((instance, "Service en ligne de Framasoft"))
            for spec in software:
                plan.add_relation(from_key=instance.key, to_key=spec.key, kind=RelationKind.INSTANCE_OF)

    for link in values.alternatives:
        if spec := add(link.name, "F", kind=ToolKind.SERVICE, free_software=FreeSoftware.YES, website=link.url):
            free.append((spec, "Alternative libre citée par Dégooglisons Internet"))
    # Self-hostable software before hosts: when both name the same tool, its website is the
    # project's, not a host's sign-up page.
    for link in values.offline:
        spec = add(
            link.name,
            "altOff",
            kind=ToolKind.SOFTWARE,
            free_software=FreeSoftware.YES,
            website=link.url,
            hosting_options=[HostingOption.SELF_HOSTED],
            data_location=DataLocation.SELF_HOSTED,
        )
        if spec:
            free.append((spec, "Logiciel libre à installer sur son serveur, cité par Dégooglisons Internet"))
    for link in values.online:
        spec = add(
            link.name,
            "altOn",
            kind=ToolKind.SERVICE,
            free_software=FreeSoftware.UNKNOWN,
            website=link.url,
            platforms=[Platform.WEB],
            hosting_options=[HostingOption.ONLINE],
        )
        if spec:
            free.append((spec, "Hébergement en ligne cité par Dégooglisons Internet"))

    for spec, note in free:
        for target in proprietary:
            plan.add_relation(from_key=spec.key, to_key=target.key, kind=RelationKind.ALTERNATIVE_TO, note=note)
