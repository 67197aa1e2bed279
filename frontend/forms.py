"""Page forms: they validate input shape; the services decide and write."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from hub.models import Association, Role, time_zone_choices
from hub.services import ASSOCIATION_EDITABLE_FIELDS


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Email address"), widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
    )

    error_messages = {
        "invalid_login": _("Email address or password incorrect. Both are case-sensitive except the address."),
        "inactive": _("This account is inactive."),
    }

    def clean(self):  # type: ignore[no-untyped-def]
        # Emails are stored lower-cased; accept any case at login.
        if self.cleaned_data.get("username"):
            self.cleaned_data["username"] = self.cleaned_data["username"].lower()
        return super().clean()


class SignUpForm(forms.Form):
    display_name = forms.CharField(
        label=_("Your name"),
        max_length=150,
        help_text=_("As the other members will see it, for example “Marie Dupont”."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(label=_("Email address"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        help_text=_("At least 10 characters. A short sentence is easy to remember and hard to guess."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES, initial="fr")


class ProfileForm(forms.Form):
    display_name = forms.CharField(label=_("Your name"), max_length=150)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        help_text=_("Dates and reminders are shown in this time zone."),
        choices=time_zone_choices,
    )


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label=_("Your password, to confirm"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class AssociationCreateForm(forms.ModelForm):
    class Meta:
        model = Association
        fields = ["name", "slug", "commune", "departement", "rna", "siren", "description"]
        help_texts = {
            "slug": _("Lower-case letters, digits and hyphens, used in the addresses of your pages."),
            "rna": _("Optional. Found on your receipt of declaration at the prefecture (W + 9 digits)."),
            "siren": _("Optional. Only if your association has one (9 digits)."),
        }


class AssociationSettingsForm(forms.ModelForm):
    class Meta:
        model = Association
        fields = list(ASSOCIATION_EDITABLE_FIELDS)
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Email address of the person to invite"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.MEMBER)
    message = forms.CharField(
        label=_("Personal message (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, can_grant_admin: bool = False, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        if not can_grant_admin:
            role_field = self.fields["role"]
            if isinstance(role_field, forms.ChoiceField):
                role_field.choices = [c for c in Role.choices if c[0] != Role.ADMIN]


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class FollowupRequestForm(forms.Form):
    association_slug = forms.SlugField(
        label=_("Short name of the association (as in its addresses: /a/short-name/)"), max_length=80
    )
