"""shared_tools' part of personal data (registered in `SharedToolsConfig.ready()`, see `hub.personal_data`).

- Export: know-how declared (referents), tutorials, revisions, questions and answers written,
  "it helped me", tools proposed to the catalogue, stack changes made, diagnostics recorded and
  workshop registrations.
- Erasure: know-how declarations go (they describe the person, and nobody can ask them anymore);
  tutorials stay with their association, and what the person wrote stays under "former member".
  Registrations to workshops still to come are cancelled.
- Association export: the stack (as its CSV export), its history, referents, tutorials with their
  steps (JSON), diagnostics and the roadmap.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from hub.exports import ITERATOR_CHUNK, ExportArchive
from hub.models import Association, User
from hub.personal_data import ErasedPerson

from .exports import write_stack_csv
from .models import (
    Assessment,
    Referent,
    RoadmapStep,
    ToolProposal,
    ToolUsageChange,
    Tutorial,
    TutorialAnswer,
    TutorialHelped,
    TutorialQuestion,
    TutorialRevision,
    TutorialStep,
    Workshop,
    WorkshopRegistration,
)
from .selectors import referents_in, stack_of
from .workshops.services import cancel_all_registrations


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def export(user: User) -> dict[str, Any]:
    """What shared_tools holds about `user` (11 queries)."""
    with scopes_disabled():
        referents = Referent.objects.filter(membership__user=user).select_related("association", "tool", "backup__user")
        tutorials = Tutorial.objects.filter(author=user).select_related("association")
        revisions = TutorialRevision.objects.filter(created_by=user).select_related("tutorial")
        questions = TutorialQuestion.objects.filter(author=user).select_related("tutorial")
        answers = TutorialAnswer.objects.filter(author=user).select_related("question__tutorial")
        helped = TutorialHelped.objects.filter(user=user).select_related("tutorial")
        proposals = ToolProposal.objects.filter(proposed_by=user)
        changes = ToolUsageChange.objects.filter(changed_by=user).select_related("association", "usage__tool")
        assessments = Assessment.objects.filter(taken_by=user).select_related("association")
        registrations = WorkshopRegistration.objects.filter(user=user).select_related("workshop__network")
        return {
            "know_how": [
                {
                    "association": r.association.name,
                    "tool": r.tool.name,
                    "level": r.level,
                    "note": r.note,
                    "backup": r.backup.user.display_name if r.backup else None,
                    "updated_at": _iso(r.updated_at),
                }
                for r in referents
            ],
            "tutorials_written": [
                {
                    "association": t.association.name,
                    "code": str(t.code),
                    "title": t.title,
                    "status": t.status,
                    "visibility": t.visibility,
                    "created_at": _iso(t.created_at),
                    "published_at": _iso(t.published_at),
                }
                for t in tutorials
            ],
            "tutorial_revisions_saved": [
                {"tutorial": r.tutorial.title, "number": r.number, "saved_at": _iso(r.created_at)} for r in revisions
            ],
            "tutorial_questions": [
                {"tutorial": q.tutorial.title, "question": q.body, "asked_at": _iso(q.created_at)} for q in questions
            ],
            "tutorial_answers": [
                {"tutorial": a.question.tutorial.title, "answer": a.body, "answered_at": _iso(a.created_at)}
                for a in answers
            ],
            "tutorials_that_helped": [{"tutorial": h.tutorial.title, "at": _iso(h.created_at)} for h in helped],
            "tools_proposed": [
                {
                    "name": p.name,
                    "website": p.website,
                    "description": p.description,
                    "status": p.status,
                    "proposed_at": _iso(p.created_at),
                }
                for p in proposals
            ],
            "stack_changes": [
                {
                    "association": c.association.name,
                    "tool": c.usage.tool.name,
                    "from": c.from_stage,
                    "to": c.to_stage,
                    "reason": c.reason,
                    "at": _iso(c.changed_at),
                }
                for c in changes
            ],
            "diagnostics_recorded": [
                {"association": a.association.name, "taken_at": _iso(a.taken_at), "score": a.score} for a in assessments
            ],
            "workshop_registrations": [
                {
                    "workshop": r.workshop.title,
                    "network": r.workshop.network.name,
                    "starts_at": _iso(r.workshop.starts_at),
                    "status": r.status,
                    "registered_at": _iso(r.queued_at),
                    "cancelled_at": _iso(r.cancelled_at),
                }
                for r in registrations
            ],
        }


def erase(person: ErasedPerson) -> None:
    """Remove the person's know-how declarations; keep their writing, unattributed."""
    user, ids = person.user, person.membership_ids
    with scopes_disabled():
        Referent.objects.filter(backup_id__in=ids).update(backup=None)
        Referent.objects.filter(membership_id__in=ids).delete()
        Tutorial.objects.filter(author=user).update(author=None)
        TutorialRevision.objects.filter(created_by=user).update(created_by=None)
        TutorialQuestion.objects.filter(author=user).update(author=None)
        TutorialAnswer.objects.filter(author=user).update(author=None)
        ToolProposal.objects.filter(proposed_by=user).update(proposed_by=None)
        ToolProposal.objects.filter(reviewed_by=user).update(reviewed_by=None)
        ToolUsageChange.objects.filter(changed_by=user).update(changed_by=None)
        Assessment.objects.filter(taken_by=user).update(taken_by=None)
        RoadmapStep.objects.filter(acted_by=user).update(acted_by=None)
        Workshop.objects.filter(created_by=user).update(created_by=None)
        # Seats of workshops still to come are given back (the row stays as history), each freed
        # seat going to the first of its waiting list, who is told.
        cancel_all_registrations(user=user)


def association_export(association: Association, archive: ExportArchive) -> None:
    """stack.csv, stack_history.csv, referents.csv, tutorials.json, diagnostics.csv and roadmap.csv."""
    with archive.text("stack.csv") as out:
        write_stack_csv(out, stack_of(association), referents_in(association))
    history = (
        ToolUsageChange.objects.filter(association=association)
        .select_related("usage__tool", "changed_by")
        .order_by("changed_at", "pk")
    )
    archive.csv(
        "stack_history.csv",
        [_("Tool"), _("Previous stage"), _("New stage"), _("By"), _("On"), _("Why"), _("Decision")],
        (
            [c.usage.tool.name, c.get_from_stage_display(), c.get_to_stage_display(), c.changed_by or ""]
            + [c.changed_at, c.reason, c.decision_code]
            for c in history.iterator(chunk_size=ITERATOR_CHUNK)
        ),
    )
    referents = Referent.objects.filter(association=association).select_related(
        "membership__user", "tool", "backup__user"
    )
    archive.csv(
        "referents.csv",
        [_("Tool"), _("Member"), _("Level"), _("Backup person"), _("Note"), _("Active member")],
        (
            [r.tool.name, _name(r.membership.user), r.get_level_display()]
            + [_name(r.backup.user) if r.backup else "", r.note, r.membership.is_active]
            for r in referents.iterator(chunk_size=ITERATOR_CHUNK)
        ),
    )
    tutorials = (
        Tutorial.objects.filter(association=association)
        .select_related("author")
        .prefetch_related("tools", Prefetch("steps", queryset=TutorialStep.objects.order_by("position")))
        .order_by("pk")
    )
    archive.json(
        "tutorials.json",
        [
            {
                "code": str(t.code),
                "title": t.title,
                "summary": t.summary,
                "tools": [tool.name for tool in t.tools.all()],
                "level": t.level,
                "audience": t.audience,
                "licence": t.licence,
                "status": t.status,
                "visibility": t.visibility,
                "author": _name(t.author),
                "created_at": t.created_at,
                "published_at": t.published_at,
                "steps": [
                    {"position": s.position, "body": s.body, "image_alt": s.image_alt, "has_image": bool(s.image)}
                    for s in t.steps.all()
                ],
            }
            for t in tutorials
        ],
    )
    assessments = Assessment.objects.filter(association=association).select_related("taken_by").order_by("taken_at")
    archive.csv(
        "diagnostics.csv",
        [_("Taken on"), _("Questionnaire version"), _("Overall score"), _("Scores per dimension"), _("Recorded by")],
        (
            [a.taken_at, a.version, a.score, " ".join(f"{k}={v}" for k, v in sorted(a.scores.items()))]
            + [_name(a.taken_by)]
            for a in assessments.iterator(chunk_size=ITERATOR_CHUNK)
        ),
    )
    steps = RoadmapStep.objects.filter(association=association).order_by("proposed_at", "pk")
    archive.csv(
        "roadmap.csv",
        [_("Title"), _("Dimension"), _("Status"), _("Proposed on"), _("Updated on"), _("Reason")],
        (
            [s.title, s.dimension, s.get_status_display(), s.proposed_at, s.acted_at, s.reason]
            for s in steps.iterator(chunk_size=ITERATOR_CHUNK)
        ),
    )


def _name(user: User | None) -> str:
    return (user.display_name if user is not None else "") or _("Former member")
