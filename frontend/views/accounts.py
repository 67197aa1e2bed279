"""Sign up, log in and out, profile, language switch and invitations."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language

from hub import personal_data, ratelimit, services

from ..access import AuthedRequest
from ..forms import DeleteAccountForm, LoginForm, ProfileForm, SignUpForm
from .common import add_service_errors


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


def too_many_attempts(
    request: HttpRequest, template: str, context: dict[str, Any], lockout: ratelimit.Lockout
) -> HttpResponse:
    """The page again, with when to retry: 429 and Retry-After."""
    response = render(request, template, {**context, "lockout_message": lockout.message()}, status=429)
    response["Retry-After"] = str(lockout.retry_after)
    return response


class LoginView(auth_views.LoginView):
    """Django's login, with brute-force protection per (account, address) and per address
    (`hub.ratelimit`): during a cool-off even the right password is refused."""

    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.account = ratelimit.normalise_account(request.POST.get("username", ""))
        self.ip = ratelimit.client_ip(request)
        if self.account:
            lockout = ratelimit.begin_login_attempt(account=self.account, ip=self.ip)
            if lockout is not None:
                return self.refused(lockout)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        if self.account:
            ratelimit.login_succeeded(account=self.account, ip=self.ip)
        return super().form_valid(form)

    def form_invalid(self, form):  # type: ignore[no-untyped-def]
        if self.account:
            lockout = ratelimit.login_failed(account=self.account, ip=self.ip)
            if lockout is not None:
                return self.refused(lockout)
        return super().form_invalid(form)

    def refused(self, lockout: ratelimit.Lockout) -> HttpResponse:
        form = self.form_class(self.request, initial={"username": self.account})
        return too_many_attempts(self.request, self.template_name, self.get_context_data(form=form), lockout)


class LogoutView(auth_views.LogoutView):
    pass


@require_http_methods(["GET", "POST"])
def sign_up(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("frontend:home")
    next_url = _safe_next(request, reverse("frontend:home"))
    form = SignUpForm(request.POST or None, initial={"email": request.GET.get("email", "")})
    if request.method == "POST":
        # Every form sent counts, accepted or not (an "address taken" answer is worth limiting too).
        lockout = ratelimit.signup_attempt(request)
        if lockout is not None:
            context = {"form": SignUpForm(initial={"email": request.POST.get("email", "")}), "next": next_url}
            return too_many_attempts(request, "accounts/signup.html", context, lockout)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.sign_up(
                email=form.cleaned_data["email"],
                display_name=form.cleaned_data["display_name"],
                password=form.cleaned_data["password"],
                language=form.cleaned_data["language"],
            )
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                exc = ValidationError({"password": exc.messages})
            add_service_errors(form, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome to Asso Hub, %(name)s!") % {"name": user.display_name})
            return HttpResponseRedirect(next_url)
    return render(request, "accounts/signup.html", {"form": form, "next": next_url})


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: AuthedRequest) -> HttpResponse:
    user = request.user
    form = ProfileForm(
        request.POST or None,
        initial={"display_name": user.display_name, "language": user.language, "time_zone": user.time_zone},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_profile(user=user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Your settings have been saved."))
            response = redirect("frontend:profile")
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language, samesite="Lax")
            return response
    return render(request, "accounts/profile.html", {"form": form})


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch language with a plain form; a signed-in user's choice is saved in their profile."""
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        user = request.user
        services.update_profile(user=user, display_name=user.display_name, language=language, time_zone=user.time_zone)
    return django_set_language(request)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset request, limited per address, and per email silently (the page never tells
    whether an account exists)."""

    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/emails/password_reset.txt"
    subject_template_name = "accounts/emails/password_reset_subject.txt"
    success_url = reverse_lazy("frontend:password_reset_done")

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        lockout, email_ok = ratelimit.password_reset_attempt(self.request, form.cleaned_data["email"])
        if lockout is not None:
            return too_many_attempts(self.request, self.template_name, self.get_context_data(form=form), lockout)
        if not email_ok:
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("frontend:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("frontend:profile")

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        messages.success(self.request, _("Your password has been changed."))
        return super().form_valid(form)


@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Show an invitation and accept it. Anonymous visitors sign in or sign up first, then come back."""
    try:
        invitation = services.find_invitation(token=token)
    except ValidationError as exc:
        return render(request, "accounts/invitation_invalid.html", {"errors": exc.messages}, status=400)
    context: dict[str, object] = {"invitation": invitation, "token": token}
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{reverse('frontend:login')}?next={request.path}")
        try:
            membership = services.accept_invitation(token=token, user=request.user)
        except ValidationError as exc:
            context["errors"] = exc.messages
            return render(request, "accounts/invitation.html", context, status=400)
        messages.success(request, _("You have joined %(association)s.") % {"association": membership.association.name})
        return redirect("frontend:association_home", association_slug=membership.association.slug)
    if not invitation.is_pending:
        reason = (
            _("This invitation has already been used.")
            if invitation.accepted_at
            else _("This invitation was cancelled by the association.")
            if invitation.revoked_at
            else _("This invitation has expired. Ask for a new one.")
        )
        return render(request, "accounts/invitation_invalid.html", {"errors": [reason]}, status=400)
    return render(request, "accounts/invitation.html", context)


# Personal data (RGPD) ---------------------------------------------------------------------------


@login_required
def my_data(request: AuthedRequest) -> HttpResponse:
    """What Asso Hub keeps about me, the download, and the way to delete my account."""
    return render(request, "accounts/my_data.html", {"blocking": personal_data.last_admin_of(request.user)})


@login_required
def my_data_download(request: AuthedRequest) -> HttpResponse:
    """All my personal data as a JSON file (the same as GET /api/v1/me/data/)."""
    body = json.dumps(personal_data.personal_data(request.user), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"asso-hub-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def delete_account(request: AuthedRequest) -> HttpResponse:
    """Delete my account after typing my password; refused while I am an association's last administrator."""
    form = DeleteAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            personal_data.delete_account(user=request.user, password=form.cleaned_data["password"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            logout(request)
            messages.success(request, _("Your account has been deleted. Thank you for your time with us."))
            return redirect("frontend:home")
    blocking = personal_data.last_admin_of(request.user)
    status = 400 if form.errors else 200
    return render(request, "accounts/delete_account.html", {"form": form, "blocking": blocking}, status=status)
