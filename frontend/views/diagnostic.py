"""The digital-maturity diagnostic: home (latest result, radar, history, roadmap), the form to take
it (one page, grouped by dimension, no script needed), a result page, the blank form to print,
and the roadmap's step actions.

Members and conseillers read; the board and administrators take it and act on the steps
(`shared_tools.permissions.can_take_diagnostic`, re-checked by the services).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from hub.permissions import Access
from shared_tools import selectors, services
from shared_tools.diagnostic.questionnaire import Questionnaire, QuestionnaireNotFound, load_questionnaire
from shared_tools.diagnostic.radar import Radar, radar
from shared_tools.models import Assessment, AssessmentSource, RoadmapStep, StepLink, StepStatus
from shared_tools.permissions import can_act_on_step, can_take_diagnostic

from ..access import AuthedRequest, association_view, template_access
from .common import add_service_errors

# Forms ----------------------------------------------------------------------------------------


def _field_name(question_id: str) -> str:
    return f"q-{question_id}"


class AssessmentForm(forms.Form):
    """One radio group per question of the questionnaire, plus how it was taken."""

    with_advisor = forms.BooleanField(label=gettext_lazy("Taken with our conseiller"), required=False)
    source = forms.ChoiceField(
        label=gettext_lazy("How"),
        choices=AssessmentSource.choices,
        initial=AssessmentSource.ONLINE,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, questionnaire: Questionnaire, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questionnaire = questionnaire
        for dimension in questionnaire.dimensions:
            for question in dimension.questions:
                self.fields[_field_name(question.id)] = forms.ChoiceField(
                    label=question.text,
                    help_text=question.help,
                    choices=[(answer.id, answer.label) for answer in question.answers],
                    widget=forms.RadioSelect,
                    error_messages={"required": gettext_lazy("Choose an answer.")},
                )

    def groups(self) -> list[dict[str, Any]]:
        return [
            {"dimension": d, "fields": [self[_field_name(q.id)] for q in d.questions]}
            for d in self.questionnaire.dimensions
        ]

    def answers(self) -> dict[str, str]:
        return {q_id: self.cleaned_data[_field_name(q_id)] for q_id in self.questionnaire.questions_by_id}


class PostponeForm(forms.Form):
    until = forms.DateField(label=gettext_lazy("Until"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=gettext_lazy("Why (optional)"), required=False, max_length=2000)


class DismissForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Why does this step not suit you?"), max_length=2000)


# Reading helpers -------------------------------------------------------------------------------


@dataclass
class DimensionResult:
    number: int
    id: str
    title: str
    score: int | None
    delta: int | None


def _questionnaire_of(assessment: Assessment) -> Questionnaire | None:
    try:
        return load_questionnaire(assessment.version)
    except QuestionnaireNotFound:
        return None


def dimension_results(assessment: Assessment, previous: Assessment | None) -> list[DimensionResult]:
    """The dimensions of the assessment's own version, with their change since `previous`."""
    questionnaire = _questionnaire_of(assessment)
    titles = [(d.id, d.title) for d in questionnaire.dimensions] if questionnaire else []
    titles = titles or [(key, key) for key in assessment.scores]
    results = []
    for number, (dimension_id, title) in enumerate(titles, start=1):
        value = assessment.scores.get(dimension_id)
        before = previous.scores.get(dimension_id) if previous else None
        delta = None if value is None or before is None else value - before
        results.append(DimensionResult(number, dimension_id, title, value, delta))
    return results


def radar_of(results: list[DimensionResult], previous: Assessment | None) -> Radar:
    # Axes are numbered; the table next to the chart names each dimension (long French titles
    # would not fit around the chart, and the table is what screen readers use).
    return radar(
        [str(r.number) for r in results],
        [r.score or 0 for r in results],
        [previous.scores.get(r.id) for r in results] if previous else None,
    )


def step_href(access: Access, step: RoadmapStep) -> str:
    """Where a step leads in the hub."""
    if step.link_kind == StepLink.TUTORIAL and step.tutorial is not None:
        return reverse("frontend:tutorial_detail", args=[step.tutorial.code])
    if step.link_kind == StepLink.PROPOSAL and step.tool is not None:
        query = {"kind": "adopt", "tool": step.tool.slug, "title": _("Adopt %(tool)s") % {"tool": step.tool.name}}
        url = reverse("frontend:proposal_create", kwargs={"association_slug": access.association.slug})
        return f"{url}?{urlencode(query)}"
    if step.link_kind == StepLink.WORKSHOP and step.workshop is not None:
        return reverse(
            "frontend:workshop_detail", kwargs={"association_slug": access.association.slug, "code": step.workshop.code}
        )
    if step.link_kind == StepLink.PLACE and step.place is not None:
        return reverse("frontend:place_detail", args=[step.place.code])
    if step.link_kind == StepLink.WORKSHOP:
        # The workshop was deleted since: the association's list of upcoming ones.
        return reverse("frontend:workshop_list", kwargs={"association_slug": access.association.slug})
    if step.link_kind == StepLink.PLACE:
        return f"{reverse('frontend:place_list')}?{urlencode({'where': access.association.departement})}"
    if step.tool is not None:
        return reverse("frontend:tool_detail", args=[step.tool.slug])
    return f"{reverse('frontend:tutorial_library')}?{urlencode({'q': step.search})}"


def _roadmap(access: Access) -> dict[str, Any]:
    today = timezone.localdate()
    steps = list(selectors.roadmap_of(access.association))
    for step in steps:
        step.href = step_href(access, step)  # type: ignore[attr-defined]
        step.can_act = can_act_on_step(access, step)  # type: ignore[attr-defined]
    due = [s for s in steps if s.status == StepStatus.PROPOSED or (s.postponed_until or today) <= today]
    # At most three at a time: a postponed step that comes back while three are listed waits its turn.
    now = due[: services.ROADMAP_SIZE]
    return {
        "steps_now": now,
        "steps_later": [s for s in steps if s not in now],
        "postpone_form": PostponeForm(),
        "dismiss_form": DismissForm(),
    }


# Pages -----------------------------------------------------------------------------------------


@association_view("shared_tools.diagnostic:view")
def diagnostic_home(request: AuthedRequest, access: Access) -> HttpResponse:
    assessments = list(selectors.assessments_of(access.association))
    latest = assessments[0] if assessments else None
    previous = assessments[1] if len(assessments) > 1 else None
    context: dict[str, Any] = template_access(access) | {
        "latest": latest,
        "history": selectors.history(assessments),
        "can_take": can_take_diagnostic(access),
        **_roadmap(access),
    }
    if latest is not None:
        results = dimension_results(latest, previous)
        context |= {"results": results, "radar": radar_of(results, previous)}
        # History columns follow the latest version's dimensions (an older diagnostic shows — where
        # its version had no such dimension).
        for row in context["history"]:
            row.cells = [  # type: ignore[attr-defined]
                {"value": row.assessment.scores.get(r.id), "delta": row.deltas.get(r.id)} for r in results
            ]
    return render(request, "diagnostic/home.html", context)


@require_http_methods(["GET", "POST"])
@association_view("shared_tools.diagnostic:view")
def diagnostic_take(request: AuthedRequest, access: Access) -> HttpResponse:
    if not can_take_diagnostic(access):
        raise PermissionDenied
    questionnaire = load_questionnaire()
    form = AssessmentForm(request.POST or None, questionnaire=questionnaire)
    if request.method == "POST" and form.is_valid():
        try:
            assessment = services.take_assessment(
                access=access,
                answers=form.answers(),
                with_advisor=form.cleaned_data["with_advisor"],
                source=form.cleaned_data["source"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The diagnostic is recorded. Here are your results and next steps."))
            return redirect(
                "frontend:diagnostic_result", association_slug=access.association.slug, code=assessment.code
            )
    context = template_access(access) | {"form": form, "questionnaire": questionnaire}
    return render(request, "diagnostic/take.html", context, status=400 if form.errors else 200)


@association_view("shared_tools.diagnostic:view")
def diagnostic_result(request: AuthedRequest, access: Access, code: str) -> HttpResponse:
    try:
        assessment = selectors.assessment_in(access.association, code=code)
    except Assessment.DoesNotExist as exc:
        raise Http404 from exc
    previous = selectors.assessments_of(access.association).filter(taken_at__lt=assessment.taken_at).first()
    questionnaire = _questionnaire_of(assessment)
    chosen = selectors.answers_of(assessment)
    answered = []
    if questionnaire is not None:
        for dimension in questionnaire.dimensions:
            rows = []
            for question in dimension.questions:
                answer = question.answer(chosen.get(question.id, ""))
                rows.append({"question": question, "answer": answer})
            answered.append({"dimension": dimension, "rows": rows})
    results = dimension_results(assessment, previous)
    context = template_access(access) | {
        "assessment": assessment,
        "previous": previous,
        "questionnaire": questionnaire,
        "answered": answered,
        "results": results,
        "radar": radar_of(results, previous),
    }
    return render(request, "diagnostic/result.html", context)


@association_view("shared_tools.diagnostic:view")
def diagnostic_print(request: AuthedRequest, access: Access) -> HttpResponse:
    context = template_access(access) | {"questionnaire": load_questionnaire(), "today": timezone.localdate()}
    return render(request, "diagnostic/print.html", context)


# Roadmap actions (board and administrators) ------------------------------------------------------


def _step(access: Access, code: str) -> RoadmapStep:
    try:
        return selectors.step_in(access.association, code=code)
    except RoadmapStep.DoesNotExist as exc:
        raise Http404 from exc


def _back(access: Access) -> HttpResponse:
    return redirect("frontend:diagnostic", association_slug=access.association.slug)


def _refused(request: AuthedRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


@require_POST
@association_view("shared_tools.diagnostic:take")
def step_done(request: AuthedRequest, access: Access, code: str) -> HttpResponse:
    try:
        services.complete_step(access=access, step=_step(access, code))
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Well done! The next step is on your list."))
    return _back(access)


@require_POST
@association_view("shared_tools.diagnostic:take")
def step_postpone(request: AuthedRequest, access: Access, code: str) -> HttpResponse:
    step = _step(access, code)
    form = PostponeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the date until which the step waits."))
        return _back(access)
    try:
        services.postpone_step(
            access=access, step=step, until=form.cleaned_data["until"], reason=form.cleaned_data["reason"]
        )
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("The step is postponed."))
    return _back(access)


@require_POST
@association_view("shared_tools.diagnostic:take")
def step_dismiss(request: AuthedRequest, access: Access, code: str) -> HttpResponse:
    step = _step(access, code)
    form = DismissForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why this step does not suit you."))
        return _back(access)
    try:
        services.dismiss_step(access=access, step=step, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("The step is dismissed; another one is proposed if there is one."))
    return _back(access)
