"""Query-string filters of the catalogue API (django-filter), documented in the OpenAPI schema.

The filtering itself is `selectors.filter_catalogue`, which the catalogue page uses too. Only the
global catalogue is filtered this way: a FilterSet over a scoped model (stacks, referents) would
query it when the schema is generated, outside any association scope (see django-scopes' README),
so the stack endpoints read their few parameters with a serializer instead.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from . import selectors
from .models import Category, EaseOfUse, Tool


class ToolFilter(filters.FilterSet):
    q = filters.CharFilter(label=_("Words to look for in names and descriptions"))
    category = filters.CharFilter(label=_("Category (short name); its sub-categories are included"))
    free_only = filters.BooleanFilter(label=_("Free software only"))
    data_in_eu = filters.BooleanFilter(label=_("Data kept in France or the European Union, or on your own server"))
    ease = filters.ChoiceFilter(field_name="ease_of_use", choices=EaseOfUse.choices, label=_("Ease of use"))

    def filter_queryset(self, queryset: QuerySet[Tool]) -> QuerySet[Tool]:
        data: dict[str, Any] = self.form.cleaned_data
        category = None
        if data.get("category"):
            category = Category.objects.filter(slug=data["category"]).first()
            if category is None:
                return queryset.none()
        return selectors.filter_catalogue(
            queryset,
            category=category,
            search=data.get("q") or "",
            free_only=bool(data.get("free_only")),
            data_in_eu=bool(data.get("data_in_eu")),
            ease=data.get("ease") or "",
        )
