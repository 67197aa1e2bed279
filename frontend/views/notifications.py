"""Inbox, notification preferences, follow/mute and the one-click unsubscribe page.

The inbox and the preferences span the user's associations: each view opens the scope of the
associations the user belongs to (and nothing else), then reads through the selectors.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hub.models import Association
from hub.permissions import Access
from hub.selectors import memberships_of_user
from hub.tenancy import association_scope
from notifications import selectors, services
from notifications.models import Category, Mode, Notification, NotificationSettings, SubscriptionState
from notifications.rules import Attention
from notifications.templatetags.notifications_tags import CACHE_ATTRIBUTE

from ..access import AuthedRequest, association_view
from .common import add_service_errors

INBOX_PAGE_SIZE = 30


def _associations_of(request: AuthedRequest) -> list[Association]:
    return [membership.association for membership in memberships_of_user(request.user)]


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


# Inbox --------------------------------------------------------------------------------------


class InboxFilterForm(forms.Form):
    association = forms.ChoiceField(label=gettext_lazy("Association"), required=False)
    category = forms.ChoiceField(
        label=gettext_lazy("Subject"), required=False, choices=[("", gettext_lazy("All")), *Category.choices]
    )
    unread = forms.BooleanField(label=gettext_lazy("Unread only"), required=False)

    def __init__(self, *args: Any, associations: list[Association], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["association"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 (declared above)
        field.choices = [("", _("All")), *((a.slug, a.name) for a in associations)]


@login_required
@require_GET
def inbox(request: AuthedRequest) -> HttpResponse:
    associations = _associations_of(request)
    form = InboxFilterForm(request.GET or None, associations=associations)
    filters = form.cleaned_data if form.is_valid() else {}
    chosen = [a for a in associations if not filters.get("association") or a.slug == filters["association"]]
    with association_scope([a.pk for a in associations]):
        rows = selectors.inbox(
            request.user,
            association_ids=[a.pk for a in chosen],
            category=filters.get("category") or None,
            unread_only=bool(filters.get("unread")),
        )
        page = Paginator(rows, INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
        days = selectors.group_by_day_and_association(page.object_list, timezone.get_current_timezone())
        unread = selectors.unread_count(request.user)
    setattr(request, CACHE_ATTRIBUTE, unread)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "days": days,
        "page": page,
        "unread": unread,
        "filters": filters,
        "query": query.urlencode(),
        "shown_at": timezone.now().isoformat(),
    }
    return render(request, "notifications/inbox.html", context)


def _user_notification(request: AuthedRequest, code: str, association_ids: list[int]) -> Notification:
    notification = Notification.objects.filter(
        code=code, recipient=request.user, association_id__in=association_ids
    ).first()
    if notification is None:
        raise Http404
    return notification


@login_required
@require_POST
def read_one(request: AuthedRequest, code: str) -> HttpResponse:
    ids = [a.pk for a in _associations_of(request)]
    with association_scope(ids):
        services.mark_read(user=request.user, notification=_user_notification(request, code, ids))
    return redirect(_safe_next(request, reverse("frontend:notifications_inbox")))


@login_required
@require_POST
def read_all(request: AuthedRequest) -> HttpResponse:
    associations = _associations_of(request)
    slug = request.POST.get("association") or ""
    chosen = [a.pk for a in associations if not slug or a.slug == slug]
    category = request.POST.get("category") or None
    if category not in (None, *Category.values):
        category = None
    shown_at = parse_datetime(request.POST.get("shown_at") or "")
    with association_scope([a.pk for a in associations]):
        count = services.mark_all_read(
            user=request.user,
            association_ids=chosen,
            category=category,
            before=shown_at if isinstance(shown_at, datetime) and shown_at.tzinfo else None,
        )
    if count:
        messages.success(request, _("Everything shown is marked as read."))
    return redirect(_safe_next(request, reverse("frontend:notifications_inbox")))


# Preferences --------------------------------------------------------------------------------


class SettingsForm(forms.ModelForm):
    class Meta:
        model = NotificationSettings
        fields = [
            "digest_frequency",
            "digest_weekday",
            "digest_hour",
            "daily_email_cap",
            "quiet_start",
            "quiet_end",
            "paused_until",
        ]
        widgets = {
            "digest_frequency": forms.RadioSelect,
            "digest_hour": forms.Select(choices=[(hour, f"{hour:02d}:00") for hour in range(24)]),
            "quiet_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "quiet_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "paused_until": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        help_texts = {
            "daily_email_cap": gettext_lazy("Beyond it, the rest waits for your summary email."),
            "quiet_start": gettext_lazy("Emails due during these hours wait until they end. Leave empty for none."),
            "paused_until": gettext_lazy("Nothing is emailed until then; it all waits in the first summary after."),
        }


def _mode_field(association: Association, category: str) -> str:
    return f"mode__{association.slug}__{category}"


class ModesForm(forms.Form):
    """One choice per association and category."""

    def __init__(self, *args: Any, associations: list[Association], modes: dict[tuple[int, str], str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.associations = associations
        for association in associations:
            for category in Category:
                self.fields[_mode_field(association, category)] = forms.ChoiceField(
                    label=category.label, choices=Mode.choices, initial=modes[(association.pk, category)]
                )

    def rows(self) -> list[tuple[Association, list[forms.BoundField]]]:
        return [(a, [self[_mode_field(a, c)] for c in Category]) for a in self.associations]

    def modes_for(self, association: Association) -> dict[str, str]:
        return {category: self.cleaned_data[_mode_field(association, category)] for category in Category}


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: AuthedRequest) -> HttpResponse:
    associations = _associations_of(request)
    ids = [a.pk for a in associations]
    current = selectors.settings_of(request.user)
    with association_scope(ids):
        modes = selectors.modes_of(request.user, ids)
        settings_form = SettingsForm(request.POST or None, instance=current, prefix="settings")
        modes_form = ModesForm(request.POST or None, associations=associations, modes=modes)
        if request.method == "POST" and settings_form.is_valid() and modes_form.is_valid():
            try:
                services.update_notification_settings(
                    user=request.user, **{name: settings_form.cleaned_data[name] for name in services.SETTINGS_FIELDS}
                )
                for association in associations:
                    services.set_preferences(
                        user=request.user, association=association, modes=modes_form.modes_for(association)
                    )
            except ValidationError as exc:
                add_service_errors(settings_form, exc)
            else:
                messages.success(request, _("Your notification preferences are saved."))
                return redirect("frontend:notifications_preferences")
        attention: Attention = selectors.attention_of(request.user, current)
        preview = selectors.email_preview(
            request.user, now=timezone.now(), attention=attention, modes=modes, association_ids=ids
        )
    invalid = bool(settings_form.errors or modes_form.errors)
    context = {"settings_form": settings_form, "modes_form": modes_form, "preview": preview}
    return render(request, "notifications/preferences.html", context, status=400 if invalid else 200)


# Follow / mute one page ---------------------------------------------------------------------------


class SubscriptionForm(forms.Form):
    target_kind = forms.SlugField(max_length=40)
    target_code = forms.UUIDField()
    state = forms.ChoiceField(choices=[*SubscriptionState.choices, ("clear", "clear")])


@require_POST
@association_view("notifications.inbox:view")
def follow(request: AuthedRequest, access: Access) -> HttpResponse:
    """Follow, mute or reset one page's notifications (a form on the proposal or tutorial page)."""
    fallback = reverse("frontend:association_home", kwargs={"association_slug": access.association.slug})
    form = SubscriptionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("This choice could not be saved."))
        return redirect(_safe_next(request, fallback))
    state = form.cleaned_data["state"]
    services.set_subscription(
        user=request.user,
        association=access.association,
        target_kind=form.cleaned_data["target_kind"],
        target_code=form.cleaned_data["target_code"],
        state=None if state == "clear" else state,
    )
    confirmations = {
        SubscriptionState.FOLLOW: _("You will be told about what happens on this page."),
        SubscriptionState.MUTE: _("You will no longer be told about this page."),
        "clear": _("This page follows your usual preferences again."),
    }
    messages.success(request, confirmations[state])
    return redirect(_safe_next(request, fallback))


# One-click unsubscribe ----------------------------------------------------------------------------


@csrf_exempt  # RFC 8058: mail clients POST without a session; the signed token is the capability.
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a confirmation button (link scanners must not unsubscribe anyone); POST applies it."""
    try:
        target = (
            services.unsubscribe(token=token) if request.method == "POST" else services.read_unsubscribe_token(token)
        )
    except ValidationError:
        return render(request, "notifications/unsubscribe.html", {"invalid": True}, status=400)
    context = {
        "done": request.method == "POST",
        "association": target.association,
        "category": Category(target.category).label if target.category else None,
        "token": token,
    }
    return render(request, "notifications/unsubscribe.html", context)
