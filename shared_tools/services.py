"""Writes on the global tool catalogue: the imports of the open data sets.

An import is parsed and validated whole (`importers.parse_*`) before `apply_catalogue_plan` writes
it in one transaction. A re-import only touches a tool when one of its source records is new or
has changed since the last import (compared with `Provenance.data`): running the same file twice
changes nothing, and edits made by moderators in the admin survive re-imports of the same file.

Merge rights: a SILL record owns the tool's name, kind, description, licence, free-software flag
and SILL status (refreshed when the record changes); Dégooglisons only fills empty fields. Both
add categories, list values (platforms, hosting options) and relations, never remove them; tools
are never deleted by an import.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from .importers import (
    DEGOOGLISONS_FILE,
    SILL_FILE,
    CataloguePlan,
    ToolSpec,
    parse_degooglisons,
    parse_sill,
)
from .models import Category, DataLocation, EaseOfUse, FreeSoftware, Pricing, Provenance, Tool, ToolRelation

# Fields a SILL record owns: refreshed when the record changes.
_AUTHORITATIVE_FIELDS = ("name", "kind", "short_description", "licence", "licence_raw", "free_software", "sill_status")
# Fields any source may fill while they are empty (or unknown).
_FILLABLE_FIELDS = {
    "free_software": FreeSoftware.UNKNOWN,
    "short_description": "",
    "website": "",
    "data_location": DataLocation.UNKNOWN,
    "pricing": Pricing.UNKNOWN,
    "ease_of_use": EaseOfUse.UNKNOWN,
}
_LIST_FIELDS = ("platforms", "hosting_options")
_TOOL_UPDATE_FIELDS = [
    *_AUTHORITATIVE_FIELDS,
    "website",
    "data_location",
    "pricing",
    "ease_of_use",
    *_LIST_FIELDS,
    "updated_at",
]


@dataclass
class ImportReport:
    """What an import did, for the command's output and for tests."""

    source: str
    path: Path
    records: int
    tools_created: int = 0
    tools_updated: int = 0
    tools_unchanged: int = 0
    relations_created: int = 0
    relations_updated: int = 0
    relations_unchanged: int = 0
    provenance_created: int = 0
    provenance_updated: int = 0
    # (raw text, SPDX expression or "" when unknown, number of records)
    licences: list[tuple[str, str, int]] = field(default_factory=list)
    unknown_licences: list[tuple[str, str]] = field(default_factory=list)  # (raw text, tool name)
    remarks: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.tools_created
            or self.tools_updated
            or self.relations_created
            or self.relations_updated
            or self.provenance_created
            or self.provenance_updated
        )

    def render(self) -> str:
        lines = [
            f"Import of {self.path} ({self.source}): {self.records} records read.",
            f"  tools: {self.tools_created} created, {self.tools_updated} updated, {self.tools_unchanged} unchanged",
            f"  relations: {self.relations_created} created, {self.relations_updated} updated, "
            f"{self.relations_unchanged} unchanged",
            f"  provenance records: {self.provenance_created} created, {self.provenance_updated} updated",
        ]
        if self.licences:
            lines.append("  licences normalised (raw text → SPDX expression, records):")
            lines += [f"    {raw!r} → {expression} ({count})" for raw, expression, count in self.licences if expression]
            lines.append(f"  unknown licences ({len(self.unknown_licences)}, raw text kept):")
            lines += [f"    {name}: {raw!r}" for raw, name in self.unknown_licences]
        else:
            lines.append("  no licence data in this source")
        if self.remarks:
            lines.append("  remarks:")
            lines += [f"    {remark}" for remark in self.remarks]
        return "\n".join(lines) + "\n"


def import_sill(*, path: Path = SILL_FILE) -> ImportReport:
    """Import a SILL CSV file into the catalogue. Raises CatalogueDataError, writing nothing."""
    return apply_catalogue_plan(plan=parse_sill(path))


def import_degooglisons(*, path: Path = DEGOOGLISONS_FILE) -> ImportReport:
    """Import a Dégooglisons services.yml into the catalogue. Raises CatalogueDataError, writing nothing."""
    return apply_catalogue_plan(plan=parse_degooglisons(path))


@transaction.atomic
class Writer(Protocol):
    def write(self, text: str, /) -> Any: ...


def load_catalogue(*, stdout: Writer | None = None) -> None:
    """Import the vendored SILL then Dégooglisons files (all or nothing); report to `stdout` if given."""
    for report in (import_sill(), import_degooglisons()):
        if stdout is not None:
            stdout.write(report.render())


@transaction.atomic
def apply_catalogue_plan(*, plan: CataloguePlan) -> ImportReport:
    """Write a validated plan in one transaction. Raises ValueError if a category is not seeded."""
    now = timezone.now()
    report = _report_for(plan)
    specs = plan.tools
    categories = {category.slug: category for category in Category.objects.all()}
    missing = {slug for spec in specs.values() for slug in spec.categories} - categories.keys()
    if missing:
        raise ValueError(f"categories missing from the database (run the migrations): {sorted(missing)}")

    existing = {
        tool.match_key: tool
        for tool in Tool.objects.filter(match_key__in=list(specs)).prefetch_related("categories", "provenance")
    }
    # A tool is "fresh" when this file says something new about it: a record never imported, or
    # one whose content changed. Only fresh tools (and relations touching them) are written.
    fresh: set[str] = set()
    for key, spec in specs.items():
        tool = existing.get(key)
        if tool is None or _has_new_records(tool, spec):
            fresh.add(key)

    to_create: list[Tool] = []
    to_update: list[Tool] = []
    new_category_links: list[tuple[str, str]] = []
    taken_slugs = set(Tool.objects.values_list("slug", flat=True))
    for key, spec in specs.items():
        tool = existing.get(key)
        if tool is None:
            to_create.append(_new_tool(spec, slug=_free_slug(spec.name, key, taken_slugs), now=now))
            new_category_links += [(key, slug) for slug in sorted(spec.categories)]
            continue
        if key not in fresh:
            report.tools_unchanged += 1
            continue
        changed = _merge_into(tool, spec)
        linked = {category.slug for category in tool.categories.all()}
        added = sorted(spec.categories - linked)
        new_category_links += [(key, slug) for slug in added]
        if changed or added:
            tool.updated_at = now
            to_update.append(tool)
        else:
            report.tools_unchanged += 1
    Tool.objects.bulk_create(to_create)
    Tool.objects.bulk_update(to_update, _TOOL_UPDATE_FIELDS)
    report.tools_created, report.tools_updated = len(to_create), len(to_update)

    tools = Tool.objects.in_bulk(list(specs), field_name="match_key")
    Tool.categories.through.objects.bulk_create(
        [
            Tool.categories.through(tool_id=tools[key].pk, category_id=categories[slug].pk)
            for key, slug in new_category_links
        ]
    )
    _write_provenance(plan, tools, existing, fresh, now, report)
    _write_relations(plan, tools, fresh, now, report)
    return report


def _report_for(plan: CataloguePlan) -> ImportReport:
    counts = Counter((reading.raw.strip(), reading.expression) for reading, _name in plan.licences)
    return ImportReport(
        source=plan.source,
        path=plan.path,
        records=plan.records,
        licences=sorted(((raw, expression, count) for (raw, expression), count in counts.items()), key=str),
        unknown_licences=[(reading.raw.strip(), name) for reading, name in plan.licences if not reading.is_known],
        remarks=list(plan.remarks),
    )


def _has_new_records(tool: Tool, spec: ToolSpec) -> bool:
    known = {(p.source, p.record_id, p.role): p.data for p in tool.provenance.all()}
    return any(known.get((p.source, p.record_id, p.role)) != p.data for p in spec.provenance)


def _free_slug(name: str, key: str, taken: set[str]) -> str:
    base = (slugify(name) or slugify(key) or "outil")[:200].strip("-")
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    taken.add(slug)
    return slug


def _new_tool(spec: ToolSpec, *, slug: str, now: datetime) -> Tool:
    return Tool(
        name=spec.name[:200],
        slug=slug,
        match_key=spec.key,
        kind=spec.kind,
        short_description=spec.short_description,
        website=spec.website,
        licence=spec.licence,
        licence_raw=spec.licence_raw[:300],
        free_software=spec.free_software,
        platforms=list(spec.platforms),
        hosting_options=list(spec.hosting_options),
        data_location=spec.data_location,
        pricing=spec.pricing,
        sill_status=spec.sill_status,
        created_at=now,
        updated_at=now,
    )


def _merge_into(tool: Tool, spec: ToolSpec) -> bool:
    """Apply a fresh spec to an existing tool following the source's rights; True if anything changed."""
    wanted: dict[str, object] = {}
    if spec.authoritative:
        wanted.update({name: getattr(spec, name) for name in _AUTHORITATIVE_FIELDS})
        wanted["name"] = spec.name[:200]
        wanted["licence_raw"] = spec.licence_raw[:300]
    for name, empty in _FILLABLE_FIELDS.items():
        value = getattr(spec, name, empty)
        if name not in wanted and getattr(tool, name) == empty and value != empty:
            wanted[name] = value
    for name in _LIST_FIELDS:
        current = list(getattr(tool, name) or [])
        joined = list(dict.fromkeys([*current, *getattr(spec, name)]))
        if joined != current:
            wanted[name] = joined
    changed = False
    for name, value in wanted.items():
        if getattr(tool, name) != value:
            setattr(tool, name, value)
            changed = True
    return changed


def _write_provenance(
    plan: CataloguePlan,
    tools: dict[str, Tool],
    existing: dict[str, Tool],
    fresh: set[str],
    now: datetime,
    report: ImportReport,
) -> None:
    to_create: list[Provenance] = []
    to_update: list[Provenance] = []
    for key in fresh:
        tool = tools[key]
        known = {(p.source, p.record_id, p.role): p for p in existing[key].provenance.all()} if key in existing else {}
        seen = set()
        for spec in plan.tools[key].provenance:
            identity = (spec.source, spec.record_id, spec.role)
            if identity in seen:
                continue
            seen.add(identity)
            record = known.get(identity)
            if record is None:
                to_create.append(
                    Provenance(
                        tool=tool,
                        source=spec.source,
                        record_id=spec.record_id,
                        role=spec.role,
                        data=spec.data,
                        imported_at=now,
                    )
                )
            elif record.data != spec.data:
                record.data, record.imported_at = spec.data, now
                to_update.append(record)
    Provenance.objects.bulk_create(to_create)
    Provenance.objects.bulk_update(to_update, ["data", "imported_at"])
    report.provenance_created, report.provenance_updated = len(to_create), len(to_update)


def _write_relations(
    plan: CataloguePlan, tools: dict[str, Tool], fresh: set[str], now: datetime, report: ImportReport
) -> None:
    relevant = [
        relation for relation in plan.relations.values() if relation.from_key in fresh or relation.to_key in fresh
    ]
    report.relations_unchanged = len(plan.relations) - len(relevant)
    ids = {tools[relation.from_key].pk for relation in relevant}
    existing = {
        (relation.from_tool_id, relation.to_tool_id, relation.kind): relation
        for relation in ToolRelation.objects.filter(from_tool_id__in=ids)
    }
    to_create: list[ToolRelation] = []
    to_update: list[ToolRelation] = []
    for spec in relevant:
        from_id, to_id = tools[spec.from_key].pk, tools[spec.to_key].pk
        relation = existing.get((from_id, to_id, spec.kind))
        if relation is None:
            to_create.append(
                ToolRelation(
                    from_tool_id=from_id,
                    to_tool_id=to_id,
                    kind=spec.kind,
                    note=spec.note,
                    source=spec.source,
                    created_at=now,
                )
            )
        elif relation.note != spec.note:
            relation.note = spec.note
            to_update.append(relation)
        else:
            report.relations_unchanged += 1
    ToolRelation.objects.bulk_create(to_create)
    ToolRelation.objects.bulk_update(to_update, ["note"])
    report.relations_created, report.relations_updated = len(to_create), len(to_update)
