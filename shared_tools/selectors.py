"""Reads on the catalogue (global) and on stacks and know-how (association data, read inside the
association's scope). Each selector owns its joins and prefetching; none of them writes."""

from __future__ import annotations

import difflib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import Case, Count, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from hub.models import Advisor, Membership, NetworkMembership

from .models import (
    STAGES_IN_USE,
    Assessment,
    Category,
    DataLocation,
    FreeSoftware,
    KnowHowLevel,
    Provenance,
    Referent,
    RelationKind,
    RoadmapStep,
    Stage,
    StepStatus,
    Tool,
    ToolProposal,
    ToolRelation,
    ToolUsage,
    ToolUsageChange,
    Tutorial,
    TutorialAnswer,
    TutorialQuestion,
    TutorialRevision,
    TutorialStatus,
    TutorialStep,
    TutorialVisibility,
    Visibility,
)
from .naming import match_key

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from hub.models import Association, User

# "Data in France or the EU": a self-hosted tool keeps its data wherever the association hosts it.
DATA_IN_EU = (DataLocation.FRANCE, DataLocation.EU, DataLocation.SELF_HOSTED)


# Catalogue --------------------------------------------------------------------------------------


def catalogue_tools(
    *,
    category: Category | None = None,
    free_only: bool = False,
    search: str = "",
    data_in_eu: bool = False,
    ease: str = "",
    include_discontinued: bool = False,
) -> QuerySet[Tool]:
    """Catalogue tools by name with their categories; `category` also matches its sub-categories."""
    return filter_catalogue(
        Tool.objects.prefetch_related("categories"),
        category=category,
        free_only=free_only,
        search=search,
        data_in_eu=data_in_eu,
        ease=ease,
        include_discontinued=include_discontinued,
    ).order_by("name")


def filter_catalogue(
    tools: QuerySet[Tool],
    *,
    category: Category | None = None,
    free_only: bool = False,
    search: str = "",
    data_in_eu: bool = False,
    ease: str = "",
    include_discontinued: bool = False,
) -> QuerySet[Tool]:
    """The catalogue's filters, shared by the page, the API's FilterSet and `catalogue_tools`."""
    if not include_discontinued:
        tools = tools.filter(discontinued=False)
    if category is not None:
        # A tool may sit in a category and in one of its children: distinct() keeps it once.
        tools = tools.filter(Q(categories=category) | Q(categories__parent=category)).distinct()
    if free_only:
        tools = tools.filter(free_software=FreeSoftware.YES)
    if data_in_eu:
        tools = tools.filter(data_location__in=DATA_IN_EU)
    if ease:
        tools = tools.filter(ease_of_use=ease)
    search = search.strip()
    if search:
        # The match key makes "etherpad", "Étherpad" and "ether-pad" find the same tool on every
        # database (SQLite's LIKE only folds ASCII case).
        found = Q(name__icontains=search) | Q(short_description__icontains=search)
        key = match_key(search)
        if key:
            found |= Q(match_key__contains=key)
        tools = tools.filter(found)
    return tools


def tool_by_slug(*, slug: str) -> Tool:
    """One tool with its categories (and their parents) and provenance. Raises Tool.DoesNotExist."""
    return Tool.objects.prefetch_related(
        Prefetch("categories", queryset=Category.objects.select_related("parent")), "provenance"
    ).get(slug=slug)


def tools_per_source() -> dict[str, int]:
    """How many catalogue tools each open data set contributed to (for the credits page)."""
    rows = Provenance.objects.order_by().values("source").annotate(n=Count("tool", distinct=True))
    return {row["source"]: row["n"] for row in rows}


def categories_for_filters() -> QuerySet[Category]:
    """Categories with their parent, parents first then their children, for a select."""
    return Category.objects.select_related("parent").order_by(
        Coalesce("parent__position", "position"), Coalesce("parent__name", "name"), "parent_id", "position", "name"
    )


@dataclass
class RelatedTool:
    tool: Tool
    note: str


@dataclass
class ToolRelations:
    """A tool's links to other tools, read in both directions."""

    alternatives: list[RelatedTool] = field(default_factory=list)  # tools that can replace this one
    replaces: list[RelatedTool] = field(default_factory=list)  # tools this one can replace
    similar: list[RelatedTool] = field(default_factory=list)
    plugins: list[RelatedTool] = field(default_factory=list)  # plugins of this tool
    plugin_of: list[RelatedTool] = field(default_factory=list)
    instances: list[RelatedTool] = field(default_factory=list)  # online services running this software
    instance_of: list[RelatedTool] = field(default_factory=list)

    SECTIONS = ("alternatives", "replaces", "similar", "plugins", "plugin_of", "instances", "instance_of")

    def __bool__(self) -> bool:
        return any(getattr(self, name) for name in self.SECTIONS)


_OUTGOING = {
    RelationKind.ALTERNATIVE_TO: "replaces",
    RelationKind.SIMILAR_TO: "similar",
    RelationKind.PLUGIN_OF: "plugin_of",
    RelationKind.INSTANCE_OF: "instance_of",
}
_INCOMING = {
    RelationKind.ALTERNATIVE_TO: "alternatives",
    RelationKind.PLUGIN_OF: "plugins",
    RelationKind.INSTANCE_OF: "instances",
    # similar_to is stored both ways: the outgoing row is enough.
}


def relations_of(*, tool: Tool) -> ToolRelations:
    """The tool's relations both ways (one query), free software first, then by name; discontinued
    tools are left out."""
    relations = ToolRelations()
    rows = (
        ToolRelation.objects.filter(Q(from_tool=tool) | Q(to_tool=tool))
        .select_related("from_tool", "to_tool")
        .order_by("pk")
    )
    for row in rows:
        if row.from_tool_id == tool.pk:
            section, other = _OUTGOING.get(RelationKind(row.kind)), row.to_tool
        else:
            section, other = _INCOMING.get(RelationKind(row.kind)), row.from_tool
        if section is None or other.discontinued:
            continue
        getattr(relations, section).append(RelatedTool(tool=other, note=row.note))
    for name in ToolRelations.SECTIONS:
        getattr(relations, name).sort(
            key=lambda related: (related.tool.free_software != FreeSoftware.YES, related.tool.name.casefold())
        )
    return relations


def alternatives_to(*, tool: Tool) -> QuerySet[Tool]:
    """Available tools recorded as alternatives to `tool`, free software first, with their categories."""
    free_first = Case(
        When(free_software=FreeSoftware.YES, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return (
        Tool.objects.filter(
            relations_from__to_tool=tool, relations_from__kind=RelationKind.ALTERNATIVE_TO, discontinued=False
        )
        .prefetch_related("categories")
        .order_by(free_first, "name")
    )


def tools_with_free_alternatives() -> QuerySet[Tool]:
    """Proprietary tools for which the catalogue knows at least one available free alternative."""
    return (
        Tool.objects.filter(
            free_software=FreeSoftware.NO,
            relations_to__kind=RelationKind.ALTERNATIVE_TO,
            relations_to__from_tool__free_software=FreeSoftware.YES,
            relations_to__from_tool__discontinued=False,
        )
        .distinct()
        .order_by("name")
    )


def free_alternatives_to(*, tool: Tool) -> QuerySet[ToolRelation]:
    """The relations from available free tools to `tool`, with the tool and its categories, by name."""
    return (
        ToolRelation.objects.filter(
            to_tool=tool,
            kind=RelationKind.ALTERNATIVE_TO,
            from_tool__free_software=FreeSoftware.YES,
            from_tool__discontinued=False,
        )
        .select_related("from_tool")
        .prefetch_related("from_tool__categories")
        .order_by("from_tool__name")
    )


def visible_usages(*, tool: Tool, user: User | AnonymousUser) -> QuerySet[ToolUsage]:
    """The usages of `tool` the viewer may see on the tool's page, by association name, in one query.

    Crosses tenants on purpose (a named scope bypass): public usages; network usages when the
    viewer is a conseiller of, or an active member of an association in, a network that follows the
    using association (with its consent standing); and every usage of the viewer's own associations.
    """
    usages = ToolUsage.objects.with_scopes_disabled().filter(tool=tool).select_related("association")
    visible = Q(visibility=Visibility.PUBLIC)
    if user.is_authenticated and user.is_active:
        mine = Membership.objects.with_scopes_disabled().filter(user=user, is_active=True).values("association_id")
        links = NetworkMembership.objects.with_scopes_disabled().filter(
            consented_at__isnull=False, revoked_at__isnull=True
        )
        networks = Q(network_id__in=Advisor.objects.filter(user=user).values("network_id")) | Q(
            network_id__in=links.filter(association_id__in=mine).values("network_id")
        )
        neighbours = links.filter(networks).values("association_id")
        visible |= Q(visibility=Visibility.NETWORK, association_id__in=neighbours) | Q(association_id__in=mine)
    return usages.filter(visible).order_by("association__name", "pk")


# Proposals --------------------------------------------------------------------------------------

DUPLICATE_CUTOFF = 0.8


def likely_duplicates(*, name: str, limit: int = 5) -> list[Tool]:
    """Catalogue tools whose name looks like `name`: same match key, one key containing the other,
    or close spelling (difflib ratio ≥ 0.8 on the keys). Closest first."""
    key = match_key(name)
    if not key:
        return []
    keys = dict(Tool.objects.values_list("match_key", "pk"))
    scored: dict[str, float] = {}
    for other in keys:
        if other == key:
            scored[other] = 2.0
        elif len(key) >= 4 and len(other) >= 4 and (key in other or other in key):
            scored[other] = 1.5
    for other in difflib.get_close_matches(key, keys, n=limit, cutoff=DUPLICATE_CUTOFF):
        scored.setdefault(other, difflib.SequenceMatcher(None, key, other).ratio())
    best = sorted(scored, key=lambda other: (-scored[other], other))[:limit]
    tools = Tool.objects.in_bulk([keys[other] for other in best])
    return [tools[keys[other]] for other in best]


def _proposals() -> QuerySet[ToolProposal]:
    return ToolProposal.objects.select_related(
        "category__parent", "association", "proposed_by", "reviewed_by", "tool"
    ).prefetch_related(Prefetch("possible_duplicates", queryset=Tool.objects.order_by("name")))


def proposals_of(*, user: User) -> QuerySet[ToolProposal]:
    """The user's own proposals, newest first."""
    return _proposals().filter(proposed_by=user).order_by("-created_at", "-pk")


def pending_proposals() -> QuerySet[ToolProposal]:
    """Proposals waiting for a moderator, oldest first (first come, first reviewed)."""
    return _proposals().filter(status="pending").order_by("created_at", "pk")


def proposal_for(*, user: User, code: str, moderator: bool) -> ToolProposal:
    """A proposal its author or a moderator may see. Raises ToolProposal.DoesNotExist for the others."""
    proposals = _proposals()
    if not moderator:
        proposals = proposals.filter(proposed_by=user)
    return proposals.get(code=code)


# Stacks -----------------------------------------------------------------------------------------


def _masters_count() -> Coalesce:
    # Active members who master the usage's tool, counted in the database for every row at once.
    masters = (
        Referent.objects.filter(
            association=OuterRef("association"),
            tool=OuterRef("tool"),
            level=KnowHowLevel.MASTERS,
            membership__is_active=True,
        )
        .order_by()
        .values("tool")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(masters, output_field=IntegerField()), Value(0))


def stack_of(association: Association) -> QuerySet[ToolUsage]:
    """The association's tools by name, with the tool, its categories and `master_count`. Needs the scope."""
    return (
        association.tool_usages.select_related("tool")
        .prefetch_related(Prefetch("tool__categories", queryset=Category.objects.select_related("parent")))
        .annotate(master_count=_masters_count())
        .order_by("tool__name", "pk")
    )


def usage_in(association: Association, *, code: str) -> ToolUsage:
    """One tool of the stack with `master_count`. Raises ToolUsage.DoesNotExist (a 404)."""
    return stack_of(association).get(code=code)


def referents_in(association: Association) -> QuerySet[Referent]:
    """Know-how of the association's active members with the people joined, masters first."""
    level_rank = Case(
        When(level=KnowHowLevel.MASTERS, then=Value(0)),
        When(level=KnowHowLevel.CAN_HELP, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return (
        association.referents.filter(membership__is_active=True)
        .select_related("membership__user", "backup__user", "tool")
        .annotate(level_rank=level_rank)
        .order_by("tool__name", "level_rank", "membership__user__display_name", "pk")
    )


def primary_category(tool: Tool) -> Category | None:
    """The top-level category a tool is filed under on the stack page (its first category's root)."""
    categories = sorted(tool.categories.all(), key=lambda c: (c.parent.position if c.parent else c.position, c.pk))
    if not categories:
        return None
    first = categories[0]
    return first.parent if first.parent_id else first


@dataclass
class StackGroup:
    category: Category | None
    usages: list[ToolUsage]


@dataclass
class StackOverview:
    """The stack page: tools in use or considered grouped by category, abandoned ones apart."""

    groups: list[StackGroup]
    abandoned: list[ToolUsage]
    yearly_total: Decimal
    costs_unknown: int  # tools in use whose cost nobody entered
    at_risk: list[ToolUsage]

    @property
    def is_empty(self) -> bool:
        return not self.groups and not self.abandoned


def stack_overview(association: Association) -> StackOverview:
    """Everything the stack page shows, in three queries whatever the size of the stack.

    Each usage gets `referent_list` (its tool's referents, masters first). The yearly total adds
    the costs of the tools in use (on trial, adopted, being retired).
    """
    usages = list(stack_of(association))
    referents: dict[int, list[Referent]] = defaultdict(list)
    for referent in referents_in(association):
        referents[referent.tool_id].append(referent)
    grouped: dict[int | None, StackGroup] = {}
    abandoned: list[ToolUsage] = []
    total, unknown = Decimal(0), 0
    for usage in usages:
        usage.referent_list = referents.get(usage.tool_id, [])  # type: ignore[attr-defined]
        if usage.stage == Stage.ABANDONED:
            abandoned.append(usage)
            continue
        if usage.stage in STAGES_IN_USE:
            if usage.yearly_cost is None:
                unknown += 1
            else:
                total += usage.yearly_cost
        category = primary_category(usage.tool)
        key = category.pk if category else None
        grouped.setdefault(key, StackGroup(category=category, usages=[])).usages.append(usage)
    groups = sorted(
        grouped.values(),
        key=lambda g: (g.category is None, g.category.position if g.category else 0, str(g.category or "")),
    )
    return StackOverview(
        groups=groups,
        abandoned=abandoned,
        yearly_total=total,
        costs_unknown=unknown,
        at_risk=[usage for usage in usages if usage.know_how_risk],
    )


def stack_history(association: Association) -> QuerySet[ToolUsageChange]:
    """The stack's timeline, newest first, with the tool and the person."""
    return association.tool_usage_changes.select_related("usage__tool", "changed_by").order_by("-changed_at", "-pk")


def usage_history(usage: ToolUsage) -> QuerySet[ToolUsageChange]:
    """One tool's timeline, newest first."""
    return usage.changes.select_related("changed_by").order_by("-changed_at", "-pk")


@dataclass
class KnowHowRow:
    usage: ToolUsage
    masters: list[Referent] = field(default_factory=list)
    helpers: list[Referent] = field(default_factory=list)
    learners: list[Referent] = field(default_factory=list)


@dataclass
class Learner:
    membership: Membership
    referents: list[Referent] = field(default_factory=list)


@dataclass
class KnowHow:
    rows: list[KnowHowRow]  # one per tool of the stack that is not abandoned
    learners: list[Learner]  # who wants to learn what, by person


def know_how_of(association: Association) -> KnowHow:
    """Who to ask for each tool of the stack, and who wants to learn what. Three queries."""
    rows = {usage.tool_id: KnowHowRow(usage=usage) for usage in stack_of(association).exclude(stage=Stage.ABANDONED)}
    learners: dict[int, Learner] = {}
    for referent in referents_in(association):
        row = rows.get(referent.tool_id)
        if row is None:
            continue
        if referent.level == KnowHowLevel.MASTERS:
            row.masters.append(referent)
        elif referent.level == KnowHowLevel.CAN_HELP:
            row.helpers.append(referent)
        else:
            row.learners.append(referent)
            learners.setdefault(referent.membership_id, Learner(membership=referent.membership)).referents.append(
                referent
            )
    return KnowHow(
        rows=list(rows.values()),
        learners=sorted(learners.values(), key=lambda learner: learner.membership.user.display_name.casefold()),
    )


# Tutorials --------------------------------------------------------------------------------------


def _neighbour_associations(user: User) -> QuerySet[NetworkMembership]:
    """Ids of the associations in a network the user works for (conseiller) or whose member
    associations they belong to, the link consented and not revoked (the same rule as stacks)."""
    mine = Membership.objects.with_scopes_disabled().filter(user=user, is_active=True).values("association_id")
    links = NetworkMembership.objects.with_scopes_disabled().filter(consented_at__isnull=False, revoked_at__isnull=True)
    networks = Q(network_id__in=Advisor.objects.filter(user=user).values("network_id")) | Q(
        network_id__in=links.filter(association_id__in=mine).values("network_id")
    )
    return links.filter(networks).values("association_id")


def visible_tutorials(*, user: User | AnonymousUser, read_only_followups: bool = True) -> QuerySet[Tutorial]:
    """Every tutorial the viewer may read, across associations, in one query (a named scope bypass).

    Published public ones for everyone; published network ones for members and conseillers of a
    network that follows the owner with its consent; all of the viewer's own associations' ones
    (drafts too: members read and improve them); and, read-only, those of associations that
    consented to the viewer's network (conseillers read what members read).
    `read_only_followups=False` leaves that last part out: what the viewer may also react to.
    """
    tutorials = Tutorial.objects.with_scopes_disabled()
    published = Q(status=TutorialStatus.PUBLISHED)
    visible = published & Q(visibility=TutorialVisibility.PUBLIC)
    if user.is_authenticated and user.is_active:
        mine = Membership.objects.with_scopes_disabled().filter(user=user, is_active=True).values("association_id")
        followed = (
            NetworkMembership.objects.with_scopes_disabled()
            .filter(consented_at__isnull=False, revoked_at__isnull=True, network__advisor_links__user=user)
            .values("association_id")
        )
        visible |= published & Q(
            visibility=TutorialVisibility.NETWORK, association_id__in=_neighbour_associations(user)
        )
        visible |= Q(association_id__in=mine)
        if read_only_followups:
            visible |= Q(association_id__in=followed)
    return tutorials.filter(visible)


def _for_lists(tutorials: QuerySet[Tutorial]) -> QuerySet[Tutorial]:
    return tutorials.select_related("association", "author").prefetch_related(
        Prefetch("tools", queryset=Tool.objects.order_by("name"))
    )


def search_tutorials(tutorials: QuerySet[Tutorial], text: str) -> QuerySet[Tutorial]:
    """Full-text search (PostgreSQL, French stemming) or a plain substring match elsewhere."""
    text = text.strip()
    if not text:
        return tutorials
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        vector = SearchVector("title", weight="A", config="french") + SearchVector(
            "search_text", weight="B", config="french"
        )
        query = SearchQuery(text, config="french", search_type="websearch")
        return tutorials.annotate(search=vector, rank=SearchRank(vector, query)).filter(search=query)
    return tutorials.filter(search_text__icontains=text)


def library(
    *, user: User | AnonymousUser, tool: Tool | None = None, level: str = "", audience: str = "", text: str = ""
) -> QuerySet[Tutorial]:
    """Published tutorials the viewer may read, filtered; best match first when searching, else newest."""
    tutorials = visible_tutorials(user=user).filter(status=TutorialStatus.PUBLISHED)
    if tool is not None:
        tutorials = tutorials.filter(tools=tool)
    if level:
        tutorials = tutorials.filter(level=level)
    if audience:
        tutorials = tutorials.filter(audience=audience)
    tutorials = search_tutorials(tutorials, text)
    order = ["-rank", "-published_at", "-pk"] if text.strip() and connection.vendor == "postgresql" else []
    return _for_lists(tutorials).order_by(*(order or ["-published_at", "-pk"]))


def tutorials_for_tool(*, tool: Tool, user: User | AnonymousUser) -> QuerySet[Tutorial]:
    """Published tutorials about `tool` the viewer may read, most helpful first."""
    return _for_lists(visible_tutorials(user=user).filter(status=TutorialStatus.PUBLISHED, tools=tool)).order_by(
        "-helped_count", "-published_at", "-pk"
    )


def tutorials_of(association: Association) -> QuerySet[Tutorial]:
    """The association's own tutorials, drafts included, last changed first. Needs the scope."""
    return _for_lists(association.tutorials.all()).order_by("-updated_at", "-pk")


def with_steps(tutorials: QuerySet[Tutorial]) -> QuerySet[Tutorial]:
    """Add what a tutorial's page shows: its steps in order, its tools, owner and author."""
    return _for_lists(tutorials).prefetch_related(
        Prefetch("steps", queryset=TutorialStep.objects.with_scopes_disabled().order_by("position"))
    )


def visible_tutorial(*, user: User | AnonymousUser, code: str) -> Tutorial:
    """One tutorial the viewer may read, with its steps. Raises Tutorial.DoesNotExist (a 404)."""
    return with_steps(visible_tutorials(user=user)).get(code=code)


def questions_on(tutorial: Tutorial) -> QuerySet[TutorialQuestion]:
    """A tutorial's questions with their answers and authors, oldest first.

    Filtered by the tutorial, which the caller already checked the viewer may read: the owner's
    scope is bypassed on purpose so readers from other associations see the discussion.
    """
    answers = TutorialAnswer.objects.with_scopes_disabled().select_related("author").order_by("created_at", "pk")
    return (
        TutorialQuestion.objects.with_scopes_disabled()
        .filter(tutorial=tutorial)
        .select_related("author")
        .prefetch_related(Prefetch("answers", queryset=answers))
        .order_by("created_at", "pk")
    )


def answerer_ids(tutorial: Tutorial) -> set[int]:
    """Who may answer questions: the author and the owner association's active members who master
    or can help with one of the tutorial's tools."""
    ids = set(
        Referent.objects.with_scopes_disabled()
        .filter(
            association_id=tutorial.association_id,
            tool__in=tutorial.tools.all(),
            level__in=(KnowHowLevel.MASTERS, KnowHowLevel.CAN_HELP),
            membership__is_active=True,
        )
        .values_list("membership__user_id", flat=True)
    )
    if tutorial.author_id:
        ids.add(tutorial.author_id)
    return ids


def revisions_of(tutorial: Tutorial) -> QuerySet[TutorialRevision]:
    """A tutorial's revisions, newest first, with who saved them."""
    return TutorialRevision.objects.with_scopes_disabled().filter(tutorial=tutorial).select_related("created_by")


def _snapshot_lines(snapshot: dict) -> list[str]:
    lines = [f"# {snapshot.get('title', '')}", "", *str(snapshot.get("summary", "")).splitlines()]
    for number, step in enumerate(snapshot.get("steps", []), start=1):
        lines += ["", f"## {number}.", *str(step.get("body", "")).splitlines()]
        if step.get("image"):
            lines.append(f"[image: {step.get('image_alt') or '…'}]")
    return lines


@dataclass
class DiffLine:
    kind: str  # "same", "added", "removed"
    text: str


def revision_diff(old: TutorialRevision, new: TutorialRevision) -> list[DiffLine]:
    """Line-by-line difference between two revisions (difflib), as plain text for the template to escape."""
    kinds = {" ": "same", "+": "added", "-": "removed"}
    return [
        DiffLine(kind=kinds[line[0]], text=line[2:])
        for line in difflib.ndiff(_snapshot_lines(old.snapshot), _snapshot_lines(new.snapshot))
        if line[0] in kinds
    ]


@dataclass
class LearningHelp:
    """For a tool the member wants to learn: who can help in the association, and tutorials."""

    tool: Tool
    helpers: list[Referent]
    tutorials: list[Tutorial]


def learning_help(access_membership: Membership, know_how: KnowHow, user: User) -> list[LearningHelp]:
    """For each tool `access_membership` wants to learn: the members who master it or can help, and
    the tutorials the member may read. Two queries whatever the number of tools."""
    wanted = [row for row in know_how.rows for learner in row.learners if learner.membership_id == access_membership.pk]
    if not wanted:
        return []
    tool_ids = [row.usage.tool_id for row in wanted]
    by_tool: dict[int, list[Tutorial]] = defaultdict(list)
    tutorials = (
        visible_tutorials(user=user)
        .filter(status=TutorialStatus.PUBLISHED, tools__in=tool_ids)
        .annotate(tool_id=F("tools"))
        .order_by("-helped_count", "title")
    )
    for tutorial in tutorials:
        by_tool[tutorial.tool_id].append(tutorial)  # type: ignore[attr-defined]
    return [
        LearningHelp(tool=row.usage.tool, helpers=[*row.masters, *row.helpers], tutorials=by_tool[row.usage.tool_id])
        for row in wanted
    ]


def tutorial_counts_by_tool(*, association: Association, user: User) -> dict[int, int]:
    """How many published tutorials the member may read for each tool of the stack (one query)."""
    rows = (
        visible_tutorials(user=user)
        .filter(status=TutorialStatus.PUBLISHED, tools__usages__association=association)
        .values("tools")
        .annotate(n=Count("pk", distinct=True))
        .order_by()
    )
    return {row["tools"]: row["n"] for row in rows}


# Diagnostic -------------------------------------------------------------------------------------


def assessments_of(association: Association) -> QuerySet[Assessment]:
    """The association's diagnostics, newest first, with who recorded them. Needs the scope."""
    return association.assessments.select_related("taken_by").order_by("-taken_at", "-pk")


def assessment_in(association: Association, *, code: str) -> Assessment:
    """One diagnostic of the association. Raises Assessment.DoesNotExist (for 404). Needs the scope."""
    return assessments_of(association).get(code=code)


def answers_of(assessment: Assessment) -> dict[str, str]:
    """Question id → answer id, as recorded."""
    return dict(assessment.answers.values_list("question_id", "answer_id"))


@dataclass
class HistoryRow:
    assessment: Assessment
    # Dimension id → change since the previous diagnostic (None: first one, or a dimension that
    # the previous version did not have).
    deltas: dict[str, int | None]
    overall_delta: int | None


def history(assessments: list[Assessment]) -> list[HistoryRow]:
    """Rows of the history table (newest first), each compared with the one before it. No query."""
    rows = []
    for index, assessment in enumerate(assessments):
        previous = assessments[index + 1] if index + 1 < len(assessments) else None
        deltas: dict[str, int | None] = {}
        for dimension_id, value in assessment.scores.items():
            before = previous.scores.get(dimension_id) if previous else None
            deltas[dimension_id] = None if before is None else value - before
        rows.append(
            HistoryRow(
                assessment=assessment,
                deltas=deltas,
                overall_delta=None if previous is None else assessment.score - previous.score,
            )
        )
    return rows


def latest_assessment_value(field_name: str) -> Subquery:
    """For an annotation on Association rows: `field_name` of its latest diagnostic (None without)."""
    latest = Assessment.objects.filter(association=OuterRef("pk")).order_by("-taken_at", "-pk")
    return Subquery(latest.values(field_name)[:1])


def active_step_filter(today: date | None = None) -> Q:
    """Steps on the to-do list: proposed, or postponed to a date that has come."""
    today = today or timezone.localdate()
    return Q(status=StepStatus.PROPOSED) | Q(status=StepStatus.POSTPONED, postponed_until__lte=today)


def roadmap_of(association: Association) -> QuerySet[RoadmapStep]:
    """The steps to do now and the postponed ones, oldest first, with their tool and tutorial. Needs the scope."""
    return (
        association.roadmap_steps.filter(status__in=[StepStatus.PROPOSED, StepStatus.POSTPONED])
        .select_related("tool", "tutorial", "workshop__place", "place")
        .order_by("proposed_at", "pk")
    )


def step_in(association: Association, *, code: str) -> RoadmapStep:
    """One roadmap step of the association. Raises RoadmapStep.DoesNotExist. Needs the scope."""
    return association.roadmap_steps.select_related("tool", "tutorial", "workshop", "place").get(code=code)


def free_alternatives_for_stack(association: Association) -> QuerySet[ToolRelation]:
    """Free tools that replace a non-free tool in use, and that the association does not use yet."""
    in_use = ToolUsage.objects.filter(association=association, stage__in=STAGES_IN_USE).values("tool_id")
    return (
        ToolRelation.objects.filter(
            kind=RelationKind.ALTERNATIVE_TO,
            to_tool__in=in_use,
            from_tool__free_software=FreeSoftware.YES,
            from_tool__discontinued=False,
        )
        .exclude(to_tool__free_software=FreeSoftware.YES)
        .exclude(from_tool__in=ToolUsage.objects.filter(association=association).values("tool_id"))
        .select_related("from_tool", "to_tool")
        .order_by("to_tool__name", "from_tool__name")
    )
