"""Reads on the global tool catalogue. Each selector owns its prefetching."""

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from .models import Category, FreeSoftware, RelationKind, Tool


def catalogue_tools(
    *, category: Category | None = None, free_only: bool = False, search: str = "", include_discontinued: bool = False
) -> QuerySet[Tool]:
    """Catalogue tools by name with their categories; `category` also matches its sub-categories."""
    tools = Tool.objects.prefetch_related("categories")
    if not include_discontinued:
        tools = tools.filter(discontinued=False)
    if category is not None:
        # A tool may sit in a category and in one of its children: distinct() keeps it once.
        tools = tools.filter(Q(categories=category) | Q(categories__parent=category)).distinct()
    if free_only:
        tools = tools.filter(free_software=FreeSoftware.YES)
    if search:
        tools = tools.filter(Q(name__icontains=search) | Q(short_description__icontains=search))
    return tools.order_by("name")


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
