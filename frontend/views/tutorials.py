"""Tutorials: the shared library, a tutorial's page, its print version and PDF, workshop packs,
images served behind the visibility check, and the association's editor, revisions and copies.

Readable pages (library, tutorial, print, PDF, images) are addressed by the tutorial's code and
answer 404 unless `selectors.visible_tutorials` lets the visitor read it, so an association-only
tutorial is invisible to other associations whatever the address. Writing goes through the
association's pages (`association_view`) and the services.
"""

from __future__ import annotations

import base64
import mimetypes
import re
from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from hub.markdown import render_markdown
from hub.models import User
from hub.permissions import Access
from hub.selectors import memberships_of_user
from hub.tenancy import association_scope
from notifications.selectors import subscription_state
from shared_tools import selectors, services
from shared_tools.images import clean_image
from shared_tools.models import (
    ContentLicence,
    Tool,
    Tutorial,
    TutorialAudience,
    TutorialLevel,
    TutorialStep,
    TutorialVisibility,
)
from shared_tools.permissions import can_edit_tutorial, can_react_to_tutorial, can_write_tutorial

from ..access import AuthedRequest, association_view, template_access
from .common import add_service_errors

LIBRARY_PAGE_SIZE = 30
PACK_MAX = 20
LICENCE_URLS = {
    ContentLicence.CC_BY_SA: "https://creativecommons.org/licenses/by-sa/4.0/deed.fr",
    ContentLicence.ETALAB: "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
    ContentLicence.CC_BY_NC_SA: "https://creativecommons.org/licenses/by-nc-sa/4.0/deed.fr",
}


# Forms (the editor works without JavaScript: a plain form and a formset of steps) --------------


class ToolsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.name


class TutorialForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    summary = forms.CharField(label=gettext_lazy("Summary"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    tools = ToolsField(
        label=gettext_lazy("Tools"),
        queryset=Tool.objects.filter(discontinued=False).order_by("name"),
        required=False,
        to_field_name="slug",
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    level = forms.ChoiceField(label=gettext_lazy("Level"), choices=TutorialLevel.choices)
    audience = forms.ChoiceField(label=gettext_lazy("For whom"), choices=TutorialAudience.choices)
    estimated_minutes = forms.IntegerField(
        label=gettext_lazy("Estimated time (minutes)"), min_value=1, max_value=600, required=False
    )
    licence = forms.ChoiceField(label=gettext_lazy("Licence"), choices=ContentLicence.choices)
    visibility = forms.ChoiceField(
        label=gettext_lazy("Who can read it once published"), choices=TutorialVisibility.choices
    )


class StepForm(forms.Form):
    code = forms.UUIDField(required=False, widget=forms.HiddenInput)
    body = forms.CharField(
        label=gettext_lazy("What to do (Markdown)"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=10000,
    )
    image = forms.FileField(
        label=gettext_lazy("Image (PNG, JPEG or WebP, 5 MB at most)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
    )
    image_alt = forms.CharField(label=gettext_lazy("What the image shows"), max_length=300, required=False)
    remove_image = forms.BooleanField(label=gettext_lazy("Remove the image"), required=False)

    def clean_image(self) -> Any:
        upload = self.cleaned_data.get("image")
        if not upload:
            return None
        # Checked by content (Pillow), re-encoded without metadata: the reason is shown on the field.
        return clean_image(upload, size=upload.size)


StepFormSet = forms.formset_factory(StepForm, extra=2, max_num=services.MAX_STEPS, validate_max=True)


def _step_inputs(formset: Any) -> list[services.StepInput]:
    return [
        services.StepInput(
            body=form.cleaned_data.get("body", ""),
            code=form.cleaned_data.get("code"),
            image=form.cleaned_data.get("image"),
            remove_image=form.cleaned_data.get("remove_image", False),
            image_alt=form.cleaned_data.get("image_alt", ""),
        )
        for form in formset.forms
        if form.cleaned_data
    ]


def _tutorial_fields(form: TutorialForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "title": data["title"],
        "summary": data["summary"],
        "tools": list(data["tools"]),
        "level": data["level"],
        "audience": data["audience"],
        "estimated_minutes": data["estimated_minutes"],
        "licence": data["licence"],
        "visibility": data["visibility"],
    }


class LibraryFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=200)
    tool = forms.SlugField(label=gettext_lazy("Tool"), required=False)
    level = forms.ChoiceField(label=gettext_lazy("Level"), choices=[("", "—"), *TutorialLevel.choices], required=False)
    audience = forms.ChoiceField(
        label=gettext_lazy("For whom"), choices=[("", "—"), *TutorialAudience.choices], required=False
    )


class TextForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)


# Reading ------------------------------------------------------------------------------------------


def _visible(request: HttpRequest, code: UUID | str) -> Tutorial:
    try:
        return selectors.visible_tutorial(user=request.user, code=str(code))
    except Tutorial.DoesNotExist as exc:
        raise Http404 from exc


def _writable_associations(request: HttpRequest) -> list[Any]:
    if not request.user.is_authenticated:
        return []
    return [
        m.association
        for m in memberships_of_user(request.user)
        if can_write_tutorial(Access(association=m.association, membership=m))
    ]


def library(request: HttpRequest) -> HttpResponse:
    form = LibraryFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    tool = Tool.objects.filter(slug=filters["tool"]).first() if filters.get("tool") else None
    tutorials = selectors.library(
        user=request.user,
        tool=tool,
        level=filters.get("level", ""),
        audience=filters.get("audience", ""),
        text=filters.get("q", ""),
    )
    page = Paginator(tutorials, LIBRARY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "tutorials/library.html", {"form": form, "page": page, "tool": tool})


def tutorial_detail(request: HttpRequest, code: UUID) -> HttpResponse:
    tutorial = _visible(request, code)
    signed_in = request.user.is_authenticated
    can_react = can_react_to_tutorial(request.user, tutorial)
    context = {
        "tutorial": tutorial,
        "can_react": can_react,
        "steps": list(tutorial.steps.all()),
        "questions": list(selectors.questions_on(tutorial)),
        "can_answer": signed_in and request.user.pk in selectors.answerer_ids(tutorial),
        "question_form": TextForm() if can_react else None,
        "copy_to": _writable_associations(request),
        "licence_url": LICENCE_URLS.get(ContentLicence(tutorial.licence)),
    }
    # Subscriptions live in the owning association: its members may follow or mute the tutorial.
    user = request.user
    if isinstance(user, User) and memberships_of_user(user).filter(association_id=tutorial.association_id).exists():
        with association_scope(tutorial.association_id):
            context["follow_state"] = subscription_state(
                user, tutorial.association, target_kind="tutorial", target_code=tutorial.code
            )
        context["follow_association"] = tutorial.association
    return render(request, "tutorials/detail.html", context)


def step_image(request: HttpRequest, code: UUID, step_code: UUID, size: str = "web") -> FileResponse:
    """A step's image, only for those who may read the tutorial (never a public /media/ URL)."""
    tutorial = _visible(request, code)
    step = next((step for step in tutorial.steps.all() if step.code == step_code), None)
    field = (step.image_print if size == "print" else step.image) if step else None
    if not field:
        raise Http404
    name = str(field.name)
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(default_storage.open(name, "rb"), content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


def _qr_svg(url: str) -> str:
    import segno

    # segno writes the SVG itself (no user input in it but the escaped URL of our own page).
    return segno.make(url, error="m").svg_inline(scale=3, title=_("Online version"))


def _image_data_uri(step: TutorialStep) -> str:
    field = step.image_print or step.image
    if not field:
        return ""
    name = str(field.name)
    content_type = mimetypes.guess_type(name)[0] or "image/png"
    with default_storage.open(name, "rb") as handle:
        return f"data:{content_type};base64,{base64.b64encode(handle.read()).decode()}"


def _print_entry(request: HttpRequest, tutorial: Tutorial, *, for_pdf: bool) -> dict[str, Any]:
    url = request.build_absolute_uri(reverse("frontend:tutorial_detail", kwargs={"code": tutorial.code}))
    steps = list(tutorial.steps.all())
    images = {}
    for step in steps:
        if for_pdf:
            images[step.pk] = _image_data_uri(step)
        elif step.image:
            images[step.pk] = reverse(
                "frontend:tutorial_step_image_print", kwargs={"code": tutorial.code, "step_code": step.code}
            )
    return {
        "tutorial": tutorial,
        "steps": [{"step": step, "image": images.get(step.pk, "")} for step in steps],
        "url": url,
        "qr": _qr_svg(url),
        "licence_url": LICENCE_URLS.get(ContentLicence(tutorial.licence)),
        "anchor": f"tutorial-{tutorial.code}",
    }


def tutorial_print(request: HttpRequest, code: UUID) -> HttpResponse:
    tutorial = _visible(request, code)
    return render(request, "tutorials/print.html", {"entries": [_print_entry(request, tutorial, for_pdf=False)]})


def _pdf(request: HttpRequest, entries: list[dict[str, Any]], *, pack_title: str = "") -> bytes:
    from weasyprint import CSS, HTML
    from weasyprint.urls import URLFetcher

    html = render_to_string(
        "tutorials/print.html", {"entries": entries, "for_pdf": True, "pack_title": pack_title}, request=request
    )
    stylesheet = finders.find("frontend/print.css")
    # Images are inlined as data: URIs by `_print_entry` (read from storage after the visibility
    # check); nothing else is fetched, so no server-side request goes where an author chose.
    fetcher = URLFetcher(allowed_protocols={"data"})
    return HTML(string=html, url_fetcher=fetcher).write_pdf(
        stylesheets=[CSS(filename=stylesheet, url_fetcher=fetcher)] if stylesheet else None
    )


def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    return HttpResponse(
        pdf, content_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{filename}.pdf"'}
    )


def tutorial_pdf(request: HttpRequest, code: UUID) -> HttpResponse:
    tutorial = _visible(request, code)
    pdf = _pdf(request, [_print_entry(request, tutorial, for_pdf=True)])
    return _pdf_response(pdf, slugify(tutorial.title) or "tutoriel")


def workshop_pack(request: HttpRequest) -> HttpResponse:
    """Several tutorials in one PDF with a cover and a table of contents (`?t=<code>&t=<code>`)."""
    codes = []
    for value in request.GET.getlist("t")[:PACK_MAX]:
        try:
            codes.append(UUID(value))
        except ValueError:
            continue
    if not codes:
        messages.error(request, _("Pick at least one tutorial for the workshop pack."))
        return redirect("frontend:tutorial_library")
    found = {
        t.code: t for t in selectors.with_steps(selectors.visible_tutorials(user=request.user)).filter(code__in=codes)
    }
    tutorials = [found[code] for code in dict.fromkeys(codes) if code in found]
    if not tutorials:
        raise Http404
    title = (request.GET.get("title") or "").strip()[:120] or _("Workshop pack")
    pdf = _pdf(request, [_print_entry(request, t, for_pdf=True) for t in tutorials], pack_title=title)
    return _pdf_response(pdf, slugify(title) or "atelier")


@require_POST
def tutorial_helped(request: HttpRequest, code: UUID) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("frontend:tutorial_detail", kwargs={"code": code}))
    tutorial = _visible(request, code)
    if not can_react_to_tutorial(request.user, tutorial):
        raise PermissionDenied
    try:
        services.mark_helped(user=request.user, tutorial=tutorial)  # type: ignore[arg-type]
    except PermissionDenied:
        messages.error(request, _("Only published tutorials can be marked as helpful."))
    else:
        messages.success(request, _("Thank you: the author will be glad to know."))
    return redirect("frontend:tutorial_detail", code=tutorial.code)


@require_POST
def tutorial_ask(request: HttpRequest, code: UUID) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("frontend:tutorial_detail", kwargs={"code": code}))
    tutorial = _visible(request, code)
    if not can_react_to_tutorial(request.user, tutorial):
        raise PermissionDenied
    form = TextForm(request.POST)
    if form.is_valid():
        services.ask_question(user=request.user, tutorial=tutorial, body=form.cleaned_data["body"])  # type: ignore[arg-type]
        messages.success(request, _("Your question has been posted."))
    else:
        messages.error(request, _("Write your question."))
    return redirect("frontend:tutorial_detail", code=tutorial.code)


@require_POST
def tutorial_answer(request: HttpRequest, code: UUID, question_code: UUID) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("frontend:tutorial_detail", kwargs={"code": code}))
    tutorial = _visible(request, code)
    question = selectors.questions_on(tutorial).filter(code=question_code).first()
    if question is None:
        raise Http404
    question.tutorial = tutorial
    form = TextForm(request.POST)
    if form.is_valid():
        services.answer_question(user=request.user, question=question, body=form.cleaned_data["body"])  # type: ignore[arg-type]
        messages.success(request, _("Your answer has been posted."))
    else:
        messages.error(request, _("Write your answer."))
    return redirect("frontend:tutorial_detail", code=tutorial.code)


# The association's tutorials ----------------------------------------------------------------------


def _own(access: Access, code: UUID) -> Tutorial:
    tutorial = selectors.with_steps(access.association.tutorials.all()).filter(code=code).first()
    if tutorial is None:
        raise Http404
    return tutorial


@association_view("shared_tools.tutorials:view")
def association_tutorials(request: AuthedRequest, access: Access) -> HttpResponse:
    context = template_access(access) | {
        "tutorials": list(selectors.tutorials_of(access.association)),
        "can_write": can_write_tutorial(access),
    }
    return render(request, "tutorials/mine.html", context)


@association_view("shared_tools.tutorials:view")
def association_tutorial(request: AuthedRequest, access: Access, code: UUID) -> HttpResponse:
    """The address notifications link to: the tutorial's own page."""
    tutorial = _own(access, code)
    return redirect("frontend:tutorial_detail", code=tutorial.code)


def _editor(
    request: AuthedRequest,
    access: Access,
    tutorial: Tutorial | None,
    form: TutorialForm,
    formset: Any,
    status: int = 200,
) -> HttpResponse:
    # With JavaScript, htmx previews each step as it is typed; without it the form is unchanged.
    preview_url = reverse("frontend:tutorial_preview", kwargs={"association_slug": access.association.slug})
    for step_form in formset.forms:
        step_form.fields["body"].widget.attrs.update(
            {
                "hx-post": preview_url,
                "hx-trigger": "keyup changed delay:500ms",
                "hx-target": f"#{step_form.prefix}-preview",
                "hx-swap": "innerHTML",
                # Only this textarea is sent, not the whole form with its files.
                "hx-params": step_form["body"].html_name,
            }
        )
    context = template_access(access) | {
        "tutorial": tutorial,
        "form": form,
        "formset": formset,
        "steps_by_code": {step.code: step for step in (tutorial.steps.all() if tutorial else [])},
    }
    return render(request, "tutorials/edit.html", context, status=status)


@require_http_methods(["GET", "POST"])
@association_view("shared_tools.tutorials:write")
def tutorial_new(request: AuthedRequest, access: Access) -> HttpResponse:
    form = TutorialForm(request.POST or None, initial={"licence": ContentLicence.CC_BY_SA})
    formset = StepFormSet(request.POST or None, request.FILES or None, prefix="steps")
    if request.method == "POST":
        if form.is_valid() and formset.is_valid():
            try:
                tutorial = services.create_tutorial(
                    access=access, steps=_step_inputs(formset), **_tutorial_fields(form)
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The tutorial has been saved as a draft."))
                return redirect("frontend:tutorial_detail", code=tutorial.code)
        return _editor(request, access, None, form, formset, status=400)
    return _editor(request, access, None, form, formset)


@require_http_methods(["GET", "POST"])
@association_view("shared_tools.tutorials:write")
def tutorial_edit(request: AuthedRequest, access: Access, code: UUID) -> HttpResponse:
    tutorial = _own(access, code)
    if not can_edit_tutorial(access, tutorial):
        raise PermissionDenied
    if request.method == "POST":
        form = TutorialForm(request.POST)
        formset = StepFormSet(request.POST, request.FILES, prefix="steps")
        if form.is_valid() and formset.is_valid():
            try:
                services.update_tutorial(
                    access=access, tutorial=tutorial, steps=_step_inputs(formset), **_tutorial_fields(form)
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The changes have been saved."))
                return redirect("frontend:tutorial_detail", code=tutorial.code)
        return _editor(request, access, tutorial, form, formset, status=400)
    form = TutorialForm(
        initial={
            "title": tutorial.title,
            "summary": tutorial.summary,
            "tools": list(tutorial.tools.all()),
            "level": tutorial.level,
            "audience": tutorial.audience,
            "estimated_minutes": tutorial.estimated_minutes,
            "licence": tutorial.licence,
            "visibility": tutorial.visibility,
        }
    )
    formset = StepFormSet(
        prefix="steps",
        initial=[{"code": s.code, "body": s.body, "image_alt": s.image_alt} for s in tutorial.steps.all()],
    )
    return _editor(request, access, tutorial, form, formset)


PREVIEW_MAX_CHARS = 20_000
_STEP_BODY = re.compile(r"steps-\d+-body")


@require_POST
@association_view("shared_tools.tutorials:write")
def tutorial_preview(request: AuthedRequest, access: Access) -> HttpResponse:
    """A step's Markdown as the tutorial will show it (htmx, from the editor): a fragment.

    The editor sends only the one `steps-N-body` field it previews (`hx-params`); `body` works too.
    """
    texts = [
        value
        for name in request.POST
        if name == "body" or _STEP_BODY.fullmatch(name)
        for value in request.POST.getlist(name)
    ]
    if len(texts) != 1:
        return render(request, "tutorials/_preview.html", {"error": _("Send one text to preview.")}, status=400)
    if len(texts[0]) > PREVIEW_MAX_CHARS:
        error = _("The text is too long to preview (%(n)s characters at most).") % {"n": PREVIEW_MAX_CHARS}
        return render(request, "tutorials/_preview.html", {"error": error}, status=400)
    return render(request, "tutorials/_preview.html", {"html": render_markdown(texts[0])})


@require_POST
@association_view("shared_tools.tutorials:write")
def tutorial_publish(request: AuthedRequest, access: Access, code: UUID) -> HttpResponse:
    tutorial = _own(access, code)
    if request.POST.get("action") == "unpublish":
        services.unpublish_tutorial(access=access, tutorial=tutorial)
        messages.success(request, _("The tutorial is a draft again."))
    else:
        services.publish_tutorial(access=access, tutorial=tutorial)
        messages.success(request, _("The tutorial is published."))
    return redirect("frontend:tutorial_detail", code=tutorial.code)


@require_POST
@association_view("shared_tools.tutorials:write")
def tutorial_copy(request: AuthedRequest, access: Access, code: UUID) -> HttpResponse:
    source = _visible(request, code)
    copy = services.copy_tutorial(access=access, source=source)
    messages.success(request, _("A copy is now among your association's drafts: adapt it freely."))
    return redirect("frontend:tutorial_edit", association_slug=access.association.slug, code=copy.code)


@association_view("shared_tools.tutorials:view")
def tutorial_revisions(request: AuthedRequest, access: Access, code: UUID) -> HttpResponse:
    tutorial = _own(access, code)
    revisions = list(selectors.revisions_of(tutorial).order_by("-number"))
    diff, old, new = None, None, None
    numbers = {r.number: r for r in revisions}
    try:
        old = numbers.get(int(request.GET.get("from", "")))
        new = numbers.get(int(request.GET.get("to", "")))
    except ValueError:
        old = new = None
    if old is None and new is None and len(revisions) >= 2:
        new, old = revisions[0], revisions[1]
    if old is not None and new is not None:
        diff = selectors.revision_diff(old, new)
    context = template_access(access) | {
        "tutorial": tutorial,
        "revisions": revisions,
        "diff": diff,
        "old": old,
        "new": new,
    }
    return render(request, "tutorials/revisions.html", context)


@require_POST
@association_view("shared_tools.help:request")
def request_help(request: AuthedRequest, access: Access) -> HttpResponse:
    tool = Tool.objects.filter(slug=request.POST.get("tool", "")).first()
    if tool is None:
        raise Http404
    try:
        services.request_help(access=access, tool=tool, message=request.POST.get("message", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("Your request has been sent to those who can help with %(tool)s.") % {"tool": tool.name}
        )
    return redirect("frontend:know_how", association_slug=access.association.slug)
