"""Writes: the imports of the open data sets into the global catalogue, tool proposals and their
moderation, stacks (tools, stages, history) and know-how (referents).

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
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID, uuid4

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import Truncator, slugify
from django.utils.translation import gettext as _

from hub.tenancy import association_scope
from notifications.events import publish

from . import selectors
from .diagnostic.links import next_workshop_for, place_for
from .diagnostic.questionnaire import (
    Dimension,
    Questionnaire,
    QuestionnaireNotFound,
    StepCandidate,
    check_answers,
    load_questionnaire,
)
from .diagnostic.questionnaire import score as score_answers
from .events import HELP_REQUESTED, TOOL_STAGE_CHANGED, TUTORIAL_PUBLISHED
from .images import CleanImage
from .importers import (
    DEGOOGLISONS_FILE,
    SILL_FILE,
    CataloguePlan,
    ToolSpec,
    parse_degooglisons,
    parse_sill,
)
from .models import (
    STAGES_IN_USE,
    Assessment,
    AssessmentSource,
    Category,
    ContentLicence,
    DataLocation,
    DiagnosticAnswer,
    EaseOfUse,
    FreeSoftware,
    KnowHowLevel,
    Place,
    Pricing,
    ProposalStatus,
    Provenance,
    Referent,
    RoadmapStep,
    Stage,
    StepLink,
    StepStatus,
    Tool,
    ToolProposal,
    ToolRelation,
    ToolUsage,
    ToolUsageChange,
    Tutorial,
    TutorialAnswer,
    TutorialAudience,
    TutorialHelped,
    TutorialLevel,
    TutorialQuestion,
    TutorialRevision,
    TutorialStatus,
    TutorialStep,
    TutorialVisibility,
    Visibility,
    Workshop,
)
from .naming import match_key
from .permissions import (
    can_act_on_step,
    can_change_stack,
    can_change_usage,
    can_declare_know_how,
    can_edit_referent,
    can_edit_tutorial,
    can_moderate_proposals,
    can_propose_tool,
    can_react_to_tutorial,
    can_request_help,
    can_take_diagnostic,
    can_write_tutorial,
)

if TYPE_CHECKING:
    from hub.models import Membership, User
    from hub.permissions import Access

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


# Proposals: members suggest tools, staff and conseillers decide ---------------------------------


@transaction.atomic
def propose_tool(
    *,
    access: Access,
    name: str,
    description: str,
    website: str = "",
    category: Category | None = None,
    free_software: str = FreeSoftware.UNKNOWN,
) -> ToolProposal:
    """Record a member's proposal of a missing tool, with the catalogue tools it may duplicate.

    Raises PermissionDenied (not a member who may propose), ValidationError.
    """
    if not can_propose_tool(access) or access.user is None:
        raise PermissionDenied
    proposal = ToolProposal(
        name=" ".join(name.split()),
        description=description.strip(),
        website=website.strip(),
        category=category,
        free_software=free_software,
        proposed_by=access.user,
        association=access.association,
    )
    proposal.full_clean(exclude=["proposed_by", "association", "reviewed_by", "tool"])
    if not match_key(proposal.name):
        raise ValidationError({"name": _("Give the tool's name with letters or digits.")})
    proposal.save()
    proposal.possible_duplicates.set(selectors.likely_duplicates(name=proposal.name))
    return proposal


def _lock_pending(proposal: ToolProposal) -> ToolProposal:
    # The lock makes two moderators reviewing the same proposal take turns: the second one is told
    # it has been reviewed instead of creating the tool twice.
    locked = ToolProposal.objects.select_for_update(of=("self",)).get(pk=proposal.pk)
    if locked.status != ProposalStatus.PENDING:
        raise ValidationError(_("This proposal has already been reviewed."), code="reviewed")
    return locked


@transaction.atomic
def approve_proposal(*, user: User, proposal: ToolProposal) -> Tool:
    """Add the proposed tool to the catalogue (platform staff and conseillers).

    Raises PermissionDenied, ValidationError (already reviewed, or the catalogue already has a
    tool of that name: the proposal is then to be declined as a duplicate).
    """
    if not can_moderate_proposals(user):
        raise PermissionDenied
    proposal = _lock_pending(proposal)
    key = match_key(proposal.name)
    existing = Tool.objects.filter(match_key=key).first()
    if existing is not None:
        raise ValidationError(
            _("The catalogue already has “%(name)s”: decline the proposal as a duplicate."),
            code="duplicate",
            params={"name": existing.name},
        )
    base = slugify(proposal.name)[:200] or key
    taken = set(Tool.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    tool = Tool(
        name=proposal.name,
        slug=_free_slug(proposal.name, key, taken),
        match_key=key,
        short_description=Truncator(proposal.description).chars(300),
        website=proposal.website,
        free_software=proposal.free_software,
    )
    tool.full_clean(validate_unique=False, validate_constraints=False)
    tool.save()
    if proposal.category is not None:
        tool.categories.add(proposal.category)
    proposal.status, proposal.tool = ProposalStatus.APPROVED, tool
    proposal.reviewed_by, proposal.reviewed_at = user, timezone.now()
    proposal.save(update_fields=["status", "tool", "reviewed_by", "reviewed_at"])
    return tool


@transaction.atomic
def reject_proposal(*, user: User, proposal: ToolProposal, reason: str) -> ToolProposal:
    """Decline a proposal with a reason its author will read. Raises PermissionDenied, ValidationError."""
    if not can_moderate_proposals(user):
        raise PermissionDenied
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Tell the member why the tool is not added.")})
    proposal = _lock_pending(proposal)
    proposal.status, proposal.rejection_reason = ProposalStatus.REJECTED, reason
    proposal.reviewed_by, proposal.reviewed_at = user, timezone.now()
    proposal.full_clean(exclude=["proposed_by", "association", "reviewed_by", "tool", "category"])
    proposal.save(update_fields=["status", "rejection_reason", "reviewed_by", "reviewed_at"])
    return proposal


# Stacks -----------------------------------------------------------------------------------------
#
# Every service below runs inside the association's scope (the request's, or the task's) and
# re-checks the predicate of `shared_tools.permissions` that the pages use to show the buttons.

USAGE_EDITABLE_FIELDS = (
    "purpose",
    "since",
    "until",
    "yearly_cost",
    "paid_by",
    "satisfaction",
    "review_on",
    "visibility",
)


def _log_change(
    usage: ToolUsage, *, from_stage: str, user: User | None, reason: str, decision_code: UUID | None = None
) -> ToolUsageChange:
    return ToolUsageChange.objects.create(
        association_id=usage.association_id,
        usage=usage,
        from_stage=from_stage,
        to_stage=usage.stage,
        changed_by=user,
        reason=reason,
        decision_code=decision_code,
    )


@transaction.atomic
def add_tool_to_stack(
    *,
    access: Access,
    tool: Tool,
    stage: str = Stage.CONSIDERED,
    purpose: str = "",
    since: date | None = None,
    until: date | None = None,
    yearly_cost: Decimal | None = None,
    paid_by: str = "",
    satisfaction: int | None = None,
    review_on: date | None = None,
    visibility: str = Visibility.MEMBERS,
    reason: str = "",
    decision_code: UUID | None = None,
) -> ToolUsage:
    """Add a catalogue tool to the stack, at any stage (stacks are often recorded after the fact),
    and open its history (with the decision that caused it, if any).

    Raises PermissionDenied (not board), ValidationError (already there).
    """
    if not can_change_stack(access):
        raise PermissionDenied
    usage = ToolUsage(
        association=access.association,
        tool=tool,
        stage=stage,
        purpose=purpose.strip(),
        since=since,
        until=until,
        yearly_cost=yearly_cost,
        paid_by=paid_by.strip(),
        satisfaction=satisfaction,
        review_on=review_on,
        visibility=visibility,
    )
    usage.full_clean(exclude=["association", "tool"], validate_unique=False, validate_constraints=False)
    already = _("“%(tool)s” is already in the stack.") % {"tool": tool.name}
    if access.association.tool_usages.filter(tool=tool).exists():
        raise ValidationError({"tool": already}, code="duplicate")
    try:
        # A savepoint, so that the unique constraint can settle two concurrent adds cleanly.
        with transaction.atomic():
            usage.save()
    except IntegrityError as exc:
        raise ValidationError({"tool": already}, code="duplicate") from exc
    _log_change(usage, from_stage="", user=access.user, reason=reason.strip(), decision_code=decision_code)
    return usage


def _lock_usage(access: Access, usage: ToolUsage) -> ToolUsage:
    # of=("self",): lock the usage row only, not the rows of joined tables.
    return ToolUsage.objects.select_for_update(of=("self",)).get(pk=usage.pk, association_id=access.association.pk)


@transaction.atomic
def update_usage(*, access: Access, usage: ToolUsage, **fields: object) -> ToolUsage:
    """Change what the association says of a tool (not its stage: see `change_stage`).

    Raises PermissionDenied, ValidationError; ValueError for a field that is not editable.
    """
    if not can_change_usage(access, usage):
        raise PermissionDenied
    unknown = set(fields) - set(USAGE_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not editable: {sorted(unknown)}")
    usage = _lock_usage(access, usage)
    for name, value in fields.items():
        setattr(usage, name, value.strip() if isinstance(value, str) else value)
    usage.full_clean(exclude=["association", "tool"], validate_unique=False, validate_constraints=False)
    usage.save(update_fields=[*fields, "updated_at"])
    return usage


@transaction.atomic
def change_stage(
    *, access: Access, usage: ToolUsage, to_stage: str, reason: str, decision_code: UUID | None = None
) -> ToolUsage:
    """Move a tool along the lifecycle (`models.STAGE_TRANSITIONS`) and record who, when and why.

    `decision_code` names the decision that caused the change (governance passes it). Entering
    "on trial" or "adopted" sets `since` if it was empty, entering "abandoned" sets `until`.
    Raises PermissionDenied (not board), ValidationError (transition not allowed, no reason);
    a refused change writes nothing.
    """
    if to_stage not in Stage.values:
        raise ValidationError({"to_stage": _("Unknown stage.")}, code="invalid")
    if not can_change_usage(access, usage):
        raise PermissionDenied
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why, for the history of the stack.")}, code="required")
    # The lock serialises two board members moving the same tool: the second one is checked
    # against the stage the first one left, not the one it read before.
    usage = _lock_usage(access, usage)
    from_stage = usage.stage
    if not usage.can_move_to(to_stage):
        raise ValidationError(
            {
                "to_stage": _("A tool cannot go from “%(from)s” to “%(to)s”.")
                % {"from": Stage(from_stage).label, "to": Stage(to_stage).label}
            },
            code="invalid_transition",
        )
    usage.stage = to_stage
    today = timezone.localdate()
    changed = ["stage", "updated_at"]
    if to_stage in (Stage.TRIAL, Stage.ADOPTED) and usage.since is None:
        usage.since = today
        changed.append("since")
    if to_stage == Stage.ABANDONED and usage.until is None:
        usage.until = max(today, usage.since) if usage.since else today
        changed.append("until")
    usage.save(update_fields=changed)
    _log_change(usage, from_stage=from_stage, user=access.user, reason=reason, decision_code=decision_code)
    publish(
        kind=TOOL_STAGE_CHANGED,
        association_id=usage.association_id,
        actor_id=access.user.pk if access.user else None,
        target_kind="tool_usage",
        target_code=usage.code,
        title=usage.tool.name,
        data={"stage": str(Stage(to_stage).label), "reason": reason},
    )
    return usage


@transaction.atomic
def remove_from_stack(*, access: Access, usage: ToolUsage) -> None:
    """Delete a tool added by mistake. Once its stage has changed it is history: abandon it instead.

    Raises PermissionDenied, ValidationError.
    """
    if not can_change_usage(access, usage):
        raise PermissionDenied
    usage = _lock_usage(access, usage)
    if usage.changes.exclude(from_stage="").exists():
        raise ValidationError(
            _("This tool already has a history in the stack: move it to “Abandoned” instead."), code="has_history"
        )
    # Know-how can only be declared on tools of the stack: what was declared on a mistake goes too.
    access.association.referents.filter(tool_id=usage.tool_id).delete()
    usage.delete()


# Know-how ---------------------------------------------------------------------------------------


def _check_referent_people(access: Access, membership: Membership, backup: Membership | None) -> None:
    if backup is None:
        return
    if backup.association_id != access.association.pk or not backup.is_active:
        raise ValidationError({"backup": _("The backup person must be a member of the association.")})
    if backup.pk == membership.pk:
        raise ValidationError({"backup": _("The backup person must be someone else.")})


@transaction.atomic
def declare_referent(
    *,
    access: Access,
    tool: Tool,
    level: str,
    membership: Membership | None = None,
    backup: Membership | None = None,
    note: str = "",
) -> Referent:
    """Record what a member knows of a tool of the stack: their own (`membership` None), or anyone's
    for the board. Raises PermissionDenied, ValidationError (not in the stack, already recorded)."""
    membership = membership or access.membership
    if membership is None or not can_declare_know_how(access, membership):
        raise PermissionDenied
    if level not in KnowHowLevel.values:
        raise ValidationError({"level": _("Unknown level.")})
    if not access.association.tool_usages.filter(tool=tool).exists():
        raise ValidationError({"tool": _("Add this tool to the stack first.")})
    _check_referent_people(access, membership, backup)
    already = _("This person's know-how of “%(tool)s” is already recorded: change it instead.") % {"tool": tool.name}
    if access.association.referents.filter(membership=membership, tool=tool).exists():
        raise ValidationError({"tool": already}, code="duplicate")
    referent = Referent(
        association=access.association, membership=membership, tool=tool, level=level, backup=backup, note=note.strip()
    )
    referent.full_clean(
        exclude=["association", "membership", "tool", "backup"], validate_unique=False, validate_constraints=False
    )
    try:
        with transaction.atomic():
            referent.save()
    except IntegrityError as exc:
        raise ValidationError({"tool": already}, code="duplicate") from exc
    return referent


@transaction.atomic
def update_referent(
    *, access: Access, referent: Referent, level: str, backup: Membership | None = None, note: str = ""
) -> Referent:
    """Change a member's level, backup person and note on a tool. Raises PermissionDenied, ValidationError."""
    if not can_edit_referent(access, referent):
        raise PermissionDenied
    if level not in KnowHowLevel.values:
        raise ValidationError({"level": _("Unknown level.")})
    referent = (
        Referent.objects.select_for_update(of=("self",))
        .select_related("membership")
        .get(pk=referent.pk, association_id=access.association.pk)
    )
    _check_referent_people(access, referent.membership, backup)
    referent.level, referent.backup, referent.note = level, backup, note.strip()
    referent.full_clean(
        exclude=["association", "membership", "tool", "backup"], validate_unique=False, validate_constraints=False
    )
    referent.save(update_fields=["level", "backup", "note", "updated_at"])
    return referent


@transaction.atomic
def remove_referent(*, access: Access, referent: Referent) -> None:
    """Forget a member's know-how of a tool. Raises PermissionDenied."""
    if not can_edit_referent(access, referent):
        raise PermissionDenied
    access.association.referents.filter(pk=referent.pk).delete()


# Tutorials --------------------------------------------------------------------------------------
#
# Steps are replaced as a whole on each save (deleted, then bulk-created in their new order, the
# kept steps with their code and image), which keeps positions unique without a renumbering dance.
# Every save writes a revision: the text as it now is, who saved it and when.

MAX_STEPS = 50


@dataclass
class StepInput:
    """One step as an editor sends it: `code` names an existing step whose image is kept."""

    body: str
    code: UUID | None = None
    image: CleanImage | None = None
    remove_image: bool = False
    image_alt: str = ""


def _check_tutorial_fields(title: str, fields: dict[str, Any], steps: list[StepInput]) -> None:
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = _("Give the tutorial a title.")
    checks = {
        "level": TutorialLevel.values,
        "audience": TutorialAudience.values,
        "licence": ContentLicence.values,
        "visibility": TutorialVisibility.values,
    }
    for name, allowed in checks.items():
        if name in fields and fields[name] not in allowed:
            errors[name] = _("Unknown value.")
    minutes = fields.get("estimated_minutes")
    if minutes is not None and not 1 <= minutes <= 600:
        errors["estimated_minutes"] = _("Between 1 and 600 minutes.")
    bodies = [step for step in steps if step.body.strip()]
    if not bodies:
        errors["steps"] = _("Write at least one step.")
    elif len(bodies) > MAX_STEPS:
        errors["steps"] = _("At most %(n)s steps.") % {"n": MAX_STEPS}
    if errors:
        raise ValidationError(errors)


def _save_image(association_id: int, content: Any) -> str:
    # The stored name is random; the extension is the one of the format Pillow read.
    from .models import tutorial_image_path

    holder = TutorialStep(association_id=association_id)
    return default_storage.save(tutorial_image_path(holder, content.name), content)


def _delete_files(names: list[str]) -> None:
    for name in names:
        if name:
            default_storage.delete(name)


def _write_steps(tutorial: Tutorial, steps: list[StepInput]) -> None:
    kept = {step.code: step for step in TutorialStep.objects.filter(tutorial=tutorial)}
    new_rows: list[TutorialStep] = []
    orphans: list[str] = []
    for step in steps:
        if not step.body.strip():
            continue
        old = kept.pop(step.code, None) if step.code else None
        image, image_print = (old.image.name, old.image_print.name) if old else ("", "")
        if old and (step.remove_image or step.image is not None):
            orphans += [name for name in (image, image_print) if name]
            image, image_print = "", ""
        if step.image is not None:
            image = _save_image(tutorial.association_id, step.image.web)
            image_print = _save_image(tutorial.association_id, step.image.print)
        new_rows.append(
            TutorialStep(
                code=old.code if old else uuid4(),
                association_id=tutorial.association_id,
                tutorial=tutorial,
                position=len(new_rows) + 1,
                body=step.body.strip(),
                image=image,
                image_print=image_print,
                image_alt=step.image_alt.strip()[:300],
            )
        )
    for old in kept.values():
        orphans += [name for name in (old.image.name, old.image_print.name) if name]
    TutorialStep.objects.filter(tutorial=tutorial).delete()
    TutorialStep.objects.bulk_create(new_rows)
    # Files are removed only once the rows that named them are gone for good.
    transaction.on_commit(lambda: _delete_files(orphans))
    tutorial.search_text = "\n".join([tutorial.title, tutorial.summary, *(row.body for row in new_rows)])
    tutorial.save(update_fields=["search_text"])


def _record_revision(tutorial: Tutorial, user: User | None) -> TutorialRevision:
    last = TutorialRevision.objects.filter(tutorial=tutorial).order_by("-number").values_list("number", flat=True)
    snapshot = {
        "title": tutorial.title,
        "summary": tutorial.summary,
        "steps": [
            {"body": step.body, "image": step.image.name, "image_alt": step.image_alt}
            for step in TutorialStep.objects.filter(tutorial=tutorial).order_by("position")
        ],
    }
    return TutorialRevision.objects.create(
        association_id=tutorial.association_id,
        tutorial=tutorial,
        number=(last.first() or 0) + 1,
        snapshot=snapshot,
        created_by=user,
    )


@transaction.atomic
def create_tutorial(
    *,
    access: Access,
    title: str,
    steps: list[StepInput],
    summary: str = "",
    tools: list[Tool] | None = None,
    level: str = TutorialLevel.BEGINNER,
    audience: str = TutorialAudience.EVERYONE,
    estimated_minutes: int | None = None,
    licence: str = ContentLicence.CC_BY_SA,
    visibility: str = TutorialVisibility.ASSOCIATION,
) -> Tutorial:
    """Write a draft tutorial in the association and its first revision.

    Raises PermissionDenied (cannot write tutorials), ValidationError.
    """
    if not can_write_tutorial(access):
        raise PermissionDenied
    fields = {
        "level": level,
        "audience": audience,
        "licence": licence,
        "visibility": visibility,
        "estimated_minutes": estimated_minutes,
    }
    _check_tutorial_fields(title, fields, steps)
    tutorial = Tutorial.objects.create(
        association=access.association, title=title.strip(), summary=summary.strip(), author=access.user, **fields
    )
    tutorial.tools.set(tools or [])
    _write_steps(tutorial, steps)
    _record_revision(tutorial, access.user)
    return tutorial


def _lock_tutorial(access: Access, tutorial: Tutorial) -> Tutorial:
    return Tutorial.objects.select_for_update(of=("self",)).get(pk=tutorial.pk, association_id=access.association.pk)


@transaction.atomic
def update_tutorial(
    *,
    access: Access,
    tutorial: Tutorial,
    title: str,
    steps: list[StepInput],
    summary: str = "",
    tools: list[Tool] | None = None,
    level: str = TutorialLevel.BEGINNER,
    audience: str = TutorialAudience.EVERYONE,
    estimated_minutes: int | None = None,
    licence: str = ContentLicence.CC_BY_SA,
    visibility: str = TutorialVisibility.ASSOCIATION,
) -> Tutorial:
    """Replace a tutorial's content and record a revision. Raises PermissionDenied, ValidationError."""
    if not can_edit_tutorial(access, tutorial):
        raise PermissionDenied
    fields = {
        "level": level,
        "audience": audience,
        "licence": licence,
        "visibility": visibility,
        "estimated_minutes": estimated_minutes,
    }
    _check_tutorial_fields(title, fields, steps)
    # The lock orders two editors: each save is a whole revision, the later one wins.
    tutorial = _lock_tutorial(access, tutorial)
    tutorial.title, tutorial.summary = title.strip(), summary.strip()
    for name, value in fields.items():
        setattr(tutorial, name, value)
    tutorial.save()
    tutorial.tools.set(tools or [])
    _write_steps(tutorial, steps)
    _record_revision(tutorial, access.user)
    return tutorial


@transaction.atomic
def publish_tutorial(*, access: Access, tutorial: Tutorial) -> Tutorial:
    """Make a draft readable as far as its visibility says, and tell the members. Publishing twice
    changes nothing. Raises PermissionDenied."""
    if not can_edit_tutorial(access, tutorial):
        raise PermissionDenied
    now = timezone.now()
    # Conditional update: of two concurrent clicks, one publishes and notifies.
    won = Tutorial.objects.filter(pk=tutorial.pk, status=TutorialStatus.DRAFT).update(
        status=TutorialStatus.PUBLISHED, published_at=now, updated_at=now
    )
    tutorial.refresh_from_db()
    if won:
        publish(
            kind=TUTORIAL_PUBLISHED,
            association_id=tutorial.association_id,
            actor_id=access.user.pk if access.user else None,
            target_kind="tutorial",
            target_code=tutorial.code,
            title=tutorial.title,
        )
    return tutorial


@transaction.atomic
def unpublish_tutorial(*, access: Access, tutorial: Tutorial) -> Tutorial:
    """Take a tutorial back to draft (only the association reads it). Raises PermissionDenied."""
    if not can_edit_tutorial(access, tutorial):
        raise PermissionDenied
    Tutorial.objects.filter(pk=tutorial.pk).update(status=TutorialStatus.DRAFT, updated_at=timezone.now())
    tutorial.refresh_from_db()
    return tutorial


@transaction.atomic
def delete_tutorial(*, access: Access, tutorial: Tutorial) -> None:
    """Delete a tutorial, its steps, images, revisions and questions. Raises PermissionDenied."""
    if not can_edit_tutorial(access, tutorial):
        raise PermissionDenied
    names = [
        name
        for pair in TutorialStep.objects.filter(tutorial=tutorial).values_list("image", "image_print")
        for name in pair
        if name
    ]
    access.association.tutorials.filter(pk=tutorial.pk).delete()
    transaction.on_commit(lambda: _delete_files(names))


@transaction.atomic
def copy_tutorial(*, access: Access, source: Tutorial) -> Tutorial:
    """Copy a tutorial the caller may read into their association as an editable draft that names
    the original (its code, title and association). The caller must have checked that `source` is
    visible to them (`selectors.visible_tutorial`). Raises PermissionDenied."""
    if not can_write_tutorial(access):
        raise PermissionDenied
    steps = list(TutorialStep.objects.with_scopes_disabled().filter(tutorial=source).order_by("position"))
    copy = Tutorial.objects.create(
        association=access.association,
        title=source.title,
        summary=source.summary,
        level=source.level,
        audience=source.audience,
        estimated_minutes=source.estimated_minutes,
        licence=source.licence,
        author=access.user,
        copied_from_code=source.code,
        copied_from_title=source.title,
        copied_from_association=source.association.name,
    )
    copy.tools.set(source.tools.all())
    rows = []
    for position, step in enumerate(steps, start=1):
        # The copy owns its own files: the original's may be changed or deleted.
        images = [
            _save_image(access.association.pk, ContentFile(field.read(), name=field.name)) if field else ""
            for field in (step.image, step.image_print)
        ]
        rows.append(
            TutorialStep(
                association=access.association,
                tutorial=copy,
                position=position,
                body=step.body,
                image=images[0],
                image_print=images[1],
                image_alt=step.image_alt,
            )
        )
    TutorialStep.objects.bulk_create(rows)
    copy.search_text = "\n".join([copy.title, copy.summary, *(row.body for row in rows)])
    copy.save(update_fields=["search_text"])
    _record_revision(copy, access.user)
    return copy


def mark_helped(*, user: User, tutorial: Tutorial) -> int:
    """Record that a published tutorial helped a signed-in reader (once per person) and return the
    count. Raises PermissionDenied (a draft, or a reader who may only look)."""
    if tutorial.status != TutorialStatus.PUBLISHED or not can_react_to_tutorial(user, tutorial):
        raise PermissionDenied
    with association_scope(tutorial.association_id), transaction.atomic():
        try:
            # A savepoint: the unique constraint settles a double click.
            with transaction.atomic():
                TutorialHelped.objects.create(association_id=tutorial.association_id, tutorial=tutorial, user=user)
        except IntegrityError:
            pass
        else:
            Tutorial.objects.filter(pk=tutorial.pk).update(helped_count=F("helped_count") + 1)
        return Tutorial.objects.filter(pk=tutorial.pk).values_list("helped_count", flat=True).get()


def ask_question(*, user: User, tutorial: Tutorial, body: str) -> TutorialQuestion:
    """A signed-in reader asks a question under a tutorial they may read and react to.
    Raises PermissionDenied (a reader who may only look), ValidationError (empty)."""
    if not can_react_to_tutorial(user, tutorial):
        raise PermissionDenied
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("Write your question.")})
    with association_scope(tutorial.association_id):
        return TutorialQuestion.objects.create(
            association_id=tutorial.association_id, tutorial=tutorial, author=user, body=body[:4000]
        )


def answer_question(*, user: User, question: TutorialQuestion, body: str) -> TutorialAnswer:
    """The tutorial's author or a member who masters (or can help with) one of its tools answers.
    Raises PermissionDenied, ValidationError."""
    if user.pk not in selectors.answerer_ids(question.tutorial):
        raise PermissionDenied
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("Write your answer.")})
    with association_scope(question.association_id):
        return TutorialAnswer.objects.create(
            association_id=question.association_id, question=question, author=user, body=body[:4000]
        )


@transaction.atomic
def request_help(*, access: Access, tool: Tool, message: str = "") -> list[int]:
    """Ask the members who master a tool or can help with it for help; returns who was asked.

    Raises PermissionDenied, ValidationError (nobody can help with it).
    """
    if not can_request_help(access):
        raise PermissionDenied
    me = access.user.pk if access.user else 0
    recipients = sorted(
        set(
            access.association.referents.filter(
                tool=tool, level__in=(KnowHowLevel.MASTERS, KnowHowLevel.CAN_HELP), membership__is_active=True
            )
            .exclude(membership__user_id=me)
            .values_list("membership__user_id", flat=True)
        )
    )
    if not recipients:
        raise ValidationError(_("Nobody in the association has said they can help with this tool yet."), code="nobody")
    publish(
        kind=HELP_REQUESTED,
        association_id=access.association.pk,
        actor_id=me or None,
        target_kind="tool",
        target_code=tool.code,
        title=tool.name,
        data={"message": message.strip()[:500], "tool_slug": tool.slug},
        recipients=recipients,
    )
    return recipients


# Diagnostic and roadmap -------------------------------------------------------------------------

ROADMAP_SIZE = 3


@transaction.atomic
def take_assessment(
    *,
    access: Access,
    answers: dict[str, str],
    with_advisor: bool = False,
    source: str = AssessmentSource.ONLINE,
) -> Assessment:
    """Record a diagnostic on the current questionnaire and refresh the roadmap.

    Raises PermissionDenied (not board/admin), ValidationError keyed by the question id (an unknown
    question or answer, a missing answer): then nothing is stored.
    """
    if not can_take_diagnostic(access):
        raise PermissionDenied
    if source not in AssessmentSource.values:
        raise ValidationError({"source": _("Unknown way of taking the diagnostic.")})
    questionnaire = load_questionnaire()
    check_answers(questionnaire, answers)
    scores = score_answers(questionnaire, answers)
    assessment = Assessment.objects.create(
        association=access.association,
        version=questionnaire.version,
        taken_by=access.user,
        with_advisor=with_advisor,
        source=source,
        score=scores.overall,
        scores=scores.dimensions,
    )
    rows = []
    for question_id, answer_id in answers.items():
        answer = questionnaire.questions_by_id[question_id][1].answer(answer_id)
        rows.append(
            DiagnosticAnswer(
                association=access.association,
                assessment=assessment,
                question_id=question_id,
                answer_id=answer_id,
                points=answer.points if answer else 0,
            )
        )
    DiagnosticAnswer.objects.bulk_create(rows)
    refresh_roadmap(access=access, questionnaire=questionnaire, assessment=assessment)
    return assessment


@dataclass
class _StepSpec:
    key: str
    title: str
    detail: str
    link_kind: str
    tool: Tool | None = None
    tutorial: Tutorial | None = None
    workshop: Workshop | None = None
    place: Place | None = None
    search: str = ""


class _Candidates:
    """Resolves a questionnaire's step candidates into concrete steps for one association."""

    def __init__(self, access: Access, taken: set[str]) -> None:
        self.access = access
        self.taken = taken
        association = access.association
        self.in_use = set(
            ToolUsage.objects.filter(association=association, stage__in=STAGES_IN_USE).values_list("tool_id", flat=True)
        )
        self.alternatives = list(selectors.free_alternatives_for_stack(association))

    def _alternative(self, candidate: StepCandidate) -> _StepSpec | None:
        for relation in self.alternatives:
            key = f"{candidate.id}:{relation.from_tool.slug}"
            if key not in self.taken:
                title = f"{candidate.title} : {relation.from_tool.name} ({relation.to_tool.name})"
                return _StepSpec(key, title[:300], candidate.detail, StepLink.TOOL, tool=relation.from_tool)
        return None

    def resolve(self, candidate: StepCandidate) -> _StepSpec | None:
        link = candidate.link
        kind = link["kind"]
        if kind == "alternative":
            return self._alternative(candidate)
        if kind in ("workshop", "place"):
            # A concrete workshop or place, or no step at all: the next candidate takes its turn.
            if candidate.id in self.taken:
                return None
            association = self.access.association
            if kind == "workshop":
                workshop = next_workshop_for(association, link.get("tools") or [])
                if workshop is None:
                    return None
                return _StepSpec(candidate.id, candidate.title, candidate.detail, StepLink.WORKSHOP, workshop=workshop)
            place = place_for(association, link.get("services") or [])
            if place is None:
                return None
            return _StepSpec(candidate.id, candidate.title, candidate.detail, StepLink.PLACE, place=place)
        if kind in ("tool", "proposal"):
            if kind == "proposal" and link.get("tool") == "alternative":
                spec = self._alternative(candidate)
                if spec is not None:
                    spec.link_kind = StepLink.PROPOSAL
                return spec
            tool = Tool.objects.filter(slug=link.get("tool", ""), discontinued=False).first()
            key = f"{candidate.id}:{tool.slug}" if tool else ""
            if tool is None or tool.pk in self.in_use or key in self.taken:
                return None
            link_kind = StepLink.PROPOSAL if kind == "proposal" else StepLink.TOOL
            return _StepSpec(key, candidate.title, candidate.detail, link_kind, tool=tool)
        # A tutorial the proposing member may read, about one of the named tools or matching the words.
        if candidate.id in self.taken:
            return None
        words = str(link.get("words", ""))
        user = self.access.user
        tutorial = None
        if user is not None:
            readable = selectors.visible_tutorials(user=user).filter(status=TutorialStatus.PUBLISHED)
            slugs = link.get("tools") or []
            tutorial = (
                readable.filter(tools__slug__in=slugs).order_by("-helped_count", "-pk").first() if slugs else None
            )
            if tutorial is None and words:
                tutorial = selectors.search_tutorials(readable, words).order_by("-helped_count", "-pk").first()
        if tutorial is not None:
            return _StepSpec(candidate.id, candidate.title, candidate.detail, StepLink.TUTORIAL, tutorial=tutorial)
        return _StepSpec(candidate.id, candidate.title, candidate.detail, StepLink.LIBRARY, search=words[:200])


def _weakest_first(questionnaire: Questionnaire, assessment: Assessment) -> list[Dimension]:
    # Ties keep the questionnaire's order; a dimension at 100 needs no step.
    order = {d.id: i for i, d in enumerate(questionnaire.dimensions)}
    weak = [d for d in questionnaire.dimensions if assessment.scores.get(d.id, 100) < 100]
    return sorted(weak, key=lambda d: (assessment.scores[d.id], order[d.id]))


def refresh_roadmap(
    *, access: Access, questionnaire: Questionnaire | None = None, assessment: Assessment | None = None
) -> list[RoadmapStep]:
    """Propose steps until ROADMAP_SIZE are on the to-do list, one per dimension in turn, weakest first.

    Candidates come from the latest diagnostic's questionnaire version; a step already proposed,
    done or dismissed (same key) is never proposed again. Returns the steps it added.
    """
    association = access.association
    # Two refreshes at once (a step done while a diagnostic is recorded) must not both fill the list.
    type(association).objects.select_for_update().filter(pk=association.pk).first()
    assessment = assessment or selectors.assessments_of(association).first()
    if assessment is None:
        return []
    if questionnaire is None or questionnaire.version != assessment.version:
        try:
            questionnaire = load_questionnaire(assessment.version)
        except QuestionnaireNotFound:
            # The version's file is no longer shipped: nothing new to propose until the next diagnostic.
            return []
    missing = ROADMAP_SIZE - association.roadmap_steps.filter(selectors.active_step_filter()).count()
    if missing <= 0:
        return []
    taken = set(association.roadmap_steps.values_list("key", flat=True))
    candidates = _Candidates(access, taken)
    queues = [list(d.steps) for d in _weakest_first(questionnaire, assessment)]
    dimensions = _weakest_first(questionnaire, assessment)
    added: list[RoadmapStep] = []
    while missing > 0 and any(queues):
        for dimension, queue in zip(dimensions, queues, strict=True):
            while queue and missing > 0:
                spec = candidates.resolve(queue.pop(0))
                if spec is None:
                    continue
                step = RoadmapStep.objects.create(
                    association=association,
                    key=spec.key,
                    version=questionnaire.version,
                    dimension=dimension.id,
                    title=spec.title,
                    detail=spec.detail,
                    link_kind=spec.link_kind,
                    tool=spec.tool,
                    tutorial=spec.tutorial,
                    workshop=spec.workshop,
                    place=spec.place,
                    search=spec.search,
                )
                taken.add(spec.key)
                added.append(step)
                missing -= 1
                break
    return added


def _act_on_step(*, access: Access, step: RoadmapStep, **changes: Any) -> RoadmapStep:
    if not can_act_on_step(access, step):
        raise PermissionDenied
    # Conditional update: of two clicks on the same step, one acts; a closed step stays closed.
    updated = RoadmapStep.objects.filter(pk=step.pk, status__in=[StepStatus.PROPOSED, StepStatus.POSTPONED]).update(
        acted_at=timezone.now(), acted_by=access.user, **changes
    )
    if updated != 1:
        raise ValidationError(_("This step is already done or dismissed."), code="closed")
    refresh_roadmap(access=access)
    return selectors.step_in(access.association, code=str(step.code))


@transaction.atomic
def complete_step(*, access: Access, step: RoadmapStep) -> RoadmapStep:
    """Mark a step done; the next one is proposed. Raises PermissionDenied, ValidationError."""
    return _act_on_step(access=access, step=step, status=StepStatus.DONE)


@transaction.atomic
def postpone_step(*, access: Access, step: RoadmapStep, until: date, reason: str = "") -> RoadmapStep:
    """Put a step aside until a later date (it comes back then). Raises PermissionDenied, ValidationError."""
    if until <= timezone.localdate():
        raise ValidationError({"until": _("Choose a date after today.")})
    return _act_on_step(
        access=access, step=step, status=StepStatus.POSTPONED, postponed_until=until, reason=reason.strip()
    )


@transaction.atomic
def dismiss_step(*, access: Access, step: RoadmapStep, reason: str) -> RoadmapStep:
    """Drop a step for good, saying why; another is proposed. Raises PermissionDenied, ValidationError."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why this step does not suit you.")})
    return _act_on_step(access=access, step=step, status=StepStatus.DISMISSED, reason=reason.strip())
