"""Page forms of the places: the list's search and filters (GET), the import (a file)."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from shared_tools.models import PlaceService
from shared_tools.places.selectors import PlaceFilters, parse_where


class PlaceFilterForm(forms.Form):
    """Sent with GET: bookmarkable, and it works without JavaScript."""

    where = forms.CharField(
        label=_("Commune, postcode or département"),
        required=False,
        max_length=100,
        help_text=_("For example: Tours, 37000 or 37."),
    )
    service = forms.ChoiceField(
        label=_("Service"), required=False, choices=[("", _("All services")), *PlaceService.choices]
    )
    open_now = forms.BooleanField(label=_("Open now"), required=False)

    def filters(self, *, now: datetime) -> PlaceFilters:
        """The selectors' filters; none when the form is invalid (the errors are shown)."""
        if not self.is_valid():
            return PlaceFilters()
        data = self.cleaned_data
        where = parse_where(data["where"])
        return PlaceFilters(
            commune=where.commune,
            postcode=where.postcode,
            department=where.department,
            service=data["service"],
            open_at=now if data["open_now"] else None,
        )


class PlaceImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file in the national standard's format"),
        help_text=_("UTF-8 text, columns separated by commas (semicolons are accepted), one place per line."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
