"""Page forms of the catalogue, stacks and know-how: they check the shape of the input; the
services of `shared_tools` decide and write.

Querysets over association data (members) are built in `__init__`, inside the request's
association scope, never at import time (django-scopes raises outside a scope).
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from hub.models import Association, Membership
from shared_tools.models import (
    Category,
    EaseOfUse,
    FreeSoftware,
    KnowHowLevel,
    Stage,
    Tool,
    ToolUsage,
    Visibility,
)

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"— {obj.name}" if obj.parent_id else obj.name


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.user.display_name


def choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    return cast(forms.ChoiceField, form.fields[name])


def model_choice_field(form: forms.BaseForm, name: str) -> forms.ModelChoiceField:
    return cast(forms.ModelChoiceField, form.fields[name])


def active_members(association: Association) -> QuerySet[Membership]:
    return association.memberships.filter(is_active=True).select_related("user").order_by("user__display_name")


# The catalogue ------------------------------------------------------------------------------


class CatalogueFilterForm(forms.Form):
    """The catalogue's search and filters, sent with GET (bookmarkable, no JavaScript needed)."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    category = forms.ChoiceField(label=_("Category"), required=False)
    ease = forms.ChoiceField(
        label=_("Ease of use"),
        required=False,
        choices=[("", _("Any")), *[(v, label) for v, label in EaseOfUse.choices if v != EaseOfUse.UNKNOWN]],
    )
    free_only = forms.BooleanField(label=_("Free software only"), required=False)
    data_in_eu = forms.BooleanField(
        label=_("Data kept in France or the European Union (or on your own server)"), required=False
    )

    def __init__(self, *args: Any, categories: list[Category], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.categories = {category.slug: category for category in categories}
        choice_field(self, "category").choices = [("", _("All categories"))] + [
            (category.slug, f"— {category.name}" if category.parent_id else category.name) for category in categories
        ]

    def filters(self) -> dict[str, Any]:
        """The keyword arguments of `selectors.catalogue_tools`; no filter when the form is invalid."""
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "search": data["q"],
            "category": self.categories.get(data["category"]),
            "ease": data["ease"],
            "free_only": data["free_only"],
            "data_in_eu": data["data_in_eu"],
        }


class AlternativeForm(forms.Form):
    tool = forms.ChoiceField(label=_("The tool you use now"))

    def __init__(self, *args: Any, tools: list[Tool], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tools = {tool.slug: tool for tool in tools}
        choice_field(self, "tool").choices = [("", _("Choose a tool"))] + [(tool.slug, tool.name) for tool in tools]

    def chosen(self) -> Tool | None:
        return self.tools.get(self.cleaned_data["tool"]) if self.is_valid() else None


class ProposalForm(forms.Form):
    name = forms.CharField(label=_("Name of the tool"), max_length=200)
    website = forms.URLField(label=_("Website"), required=False, max_length=500, assume_scheme="https")
    description = forms.CharField(
        label=_("What is it for?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("In a few sentences, as you would explain it to another association."),
    )
    category = CategoryChoiceField(label=_("Category"), queryset=Category.objects.none(), required=False)
    free_software = forms.ChoiceField(
        label=_("Is it free software?"),
        choices=[
            (FreeSoftware.YES, _("Yes")),
            (FreeSoftware.NO, _("No")),
            (FreeSoftware.UNKNOWN, _("I don't know")),
        ],
        initial=FreeSoftware.UNKNOWN,
        widget=forms.RadioSelect,
    )
    not_a_duplicate = forms.BooleanField(
        label=_("None of these is the tool I mean"),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "category").queryset = Category.objects.select_related("parent").order_by(
            "parent__position", "position"
        )


class ProposalRejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is it not added?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The member who proposed it will read this."),
    )


# Stacks -------------------------------------------------------------------------------------


class UsageFieldsForm(forms.Form):
    purpose = forms.CharField(
        label=_("What we use it for"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("In your own words, for the members who will read it."),
    )
    since = forms.DateField(label=_("Used since"), required=False, widget=DATE_INPUT)
    until = forms.DateField(label=_("Used until"), required=False, widget=DATE_INPUT)
    yearly_cost = forms.DecimalField(
        label=_("Yearly cost (euros)"),
        required=False,
        min_value=0,
        max_digits=9,
        decimal_places=2,
        help_text=_("Leave empty if you do not know; 0 if it is free of charge."),
    )
    paid_by = forms.CharField(
        label=_("Who pays"),
        required=False,
        max_length=200,
        help_text=_("For example: the association, the town hall, a member."),
    )
    satisfaction = forms.TypedChoiceField(
        label=_("Satisfaction"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[
            ("", _("Not rated")),
            (1, _("1 — not at all satisfied")),
            (2, "2"),
            (3, "3"),
            (4, "4"),
            (5, _("5 — very satisfied")),
        ],
    )
    review_on = forms.DateField(
        label=_("Review date"),
        required=False,
        widget=DATE_INPUT,
        help_text=_("When to ask again whether the tool still suits you."),
    )
    visibility = forms.ChoiceField(
        label=_("Who can see that you use it"),
        choices=Visibility.choices,
        initial=Visibility.MEMBERS,
        widget=forms.RadioSelect,
        help_text=_("On the tool's page in the catalogue. Your members and conseillers always see your stack."),
    )

    FIELDS = ("purpose", "since", "until", "yearly_cost", "paid_by", "satisfaction", "review_on", "visibility")

    def usage_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.FIELDS}


class UsageAddForm(UsageFieldsForm):
    tool = forms.ModelChoiceField(label=_("Tool"), queryset=Tool.objects.none())
    stage = forms.ChoiceField(
        label=_("Stage"),
        choices=Stage.choices,
        initial=Stage.CONSIDERED,
        help_text=_("Where you are with this tool today."),
    )
    reason = forms.CharField(label=_("Why (for the history)"), required=False, max_length=2000)

    field_order = ["tool", "stage", *UsageFieldsForm.FIELDS, "reason"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "tool").queryset = Tool.objects.filter(discontinued=False).order_by("name")


class UsageEditForm(UsageFieldsForm):
    @classmethod
    def for_usage(cls, usage: ToolUsage, data: Any = None) -> UsageEditForm:
        return cls(data, initial={name: getattr(usage, name) for name in cls.FIELDS})


class StageChangeForm(forms.Form):
    to_stage = forms.ChoiceField(label=_("New stage"))
    reason = forms.CharField(
        label=_("Why"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the stack's history."),
    )

    def __init__(self, *args: Any, usage: ToolUsage, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "to_stage").choices = [(stage, Stage(stage).label) for stage in usage.next_stages()]


# Know-how -----------------------------------------------------------------------------------


class ReferentFieldsForm(forms.Form):
    level = forms.ChoiceField(label=_("Level"), choices=KnowHowLevel.choices, widget=forms.RadioSelect)
    backup = MemberChoiceField(
        label=_("Backup person (optional)"),
        queryset=Membership.objects.none(),
        required=False,
        help_text=_("Another member who can step in when this person is away."),
    )
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=300,
        help_text=_("For example: “available on Tuesday evenings”."),
    )

    def __init__(self, *args: Any, association: Association, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "backup").queryset = active_members(association)


class ReferentDeclareForm(ReferentFieldsForm):
    tool = forms.ModelChoiceField(label=_("Tool of the stack"), queryset=Tool.objects.none())
    member = MemberChoiceField(label=_("Member"), queryset=Membership.objects.none(), required=False)

    field_order = ["member", "tool", "level", "backup", "note"]

    def __init__(self, *args: Any, association: Association, for_others: bool, **kwargs: Any) -> None:
        super().__init__(*args, association=association, **kwargs)
        # One filter() call: both conditions apply to the same usage row (this association's).
        in_stack = [stage for stage in Stage.values if stage != Stage.ABANDONED]
        model_choice_field(self, "tool").queryset = Tool.objects.filter(
            usages__association=association, usages__stage__in=in_stack
        ).order_by("name")
        if for_others:
            model_choice_field(self, "member").queryset = active_members(association)
            self.fields["member"].help_text = _("Leave empty to declare your own know-how.")
        else:
            del self.fields["member"]
