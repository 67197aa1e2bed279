"""The matrix's data: for every URL pattern of the project, how to build its address from the
planted world, which methods to try (with a body a real client would send, so that a missing check
would really write), and who may use it.

A route that is not here fails `test_every_route_is_classified` with its name: add it (the Django
admin's generated routes are classified by `admin_rule`). Roles and audiences are in `world.py`.

`Rule.insiders` are the roles that may be refused with a 403 (or a form error, a redirect with a
message...); every other role not allowed must get a 404 (anonymous visitors: the login page, or
401/403 from the API). By default the insiders of an association's route are A's members and its
conseiller, so outsiders (B's member, another network's conseiller, platform staff) get 404.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.utils import timezone

from .world import (
    A_ADMIN,
    A_BOARD,
    A_HELP,
    A_MEMBERS,
    A_READERS,
    ALICE,
    BOB,
    CHARLIE,
    CONSEILLER,
    EVERYONE,
    IMPORTED_PLACES,
    MODERATORS,
    NOBODY,
    PASSWORD,
    SIGNED_IN,
    STAFF,
    World,
)

Body = Mapping[str, Any] | Callable[[World], Any] | None


@dataclass(frozen=True)
class Call:
    allow: frozenset[str]
    body: Body = None  # form fields (pages), JSON (API), or the query string of a GET
    # For a write method: some allowed role's request must write a row, proving that the body is
    # one the view accepts (so a refusal elsewhere is a real refusal, not a form error).
    writes: bool = True
    multipart: bool = False  # an upload: a form even on the API

    def data(self, world: World) -> Any:
        return self.body(world) if callable(self.body) else self.body


@dataclass(frozen=True)
class Rule:
    api: bool
    calls: Mapping[str, Call]
    kwargs: Mapping[str, str] = field(default_factory=dict)  # URL kwarg → world.refs name
    insiders: frozenset[str] | None = None
    # Anonymous visitors: "login" (page: redirect to the login page; API: 401/403) or "404".
    anonymous: str = "login"
    # Markers the URL's capability (a signed token) shows to whoever holds it.
    reveals: frozenset[str] = frozenset()
    admin: bool = False
    # (method, role) → reason: a known failure, reported as xfail until fixed.
    known: Mapping[tuple[str, str], str] = field(default_factory=dict)
    # The same route on other objects (another network's workshop...), each with its own audience.
    variants: tuple[Rule, ...] = ()


def G(allow: frozenset[str], query: Body = None) -> Call:  # noqa: N802
    return Call(allow, query, writes=False)


def W(allow: frozenset[str], body: Body = None, *, writes: bool = True, multipart: bool = False) -> Call:  # noqa: N802
    return Call(allow, body, writes, multipart)


def page(calls: Mapping[str, Call], **options: Any) -> Rule:
    return Rule(api=False, calls=calls, **options)


def api(calls: Mapping[str, Call], **options: Any) -> Rule:
    return Rule(api=True, calls=calls, **options)


def ref(name: str) -> Callable[[World], str]:
    return lambda world: str(world.ref(name))


# Bodies that need the world ---------------------------------------------------------------------


def _diagnostic_form(world: World) -> dict[str, str]:
    return {"source": "online", **{f"q-{q}": a for q, a in world.ref("diagnostic_answers").items()}}


def _preferences_form(world: World) -> dict[str, str]:
    from notifications.models import Category

    data = {
        "settings-digest_frequency": "daily",
        "settings-digest_weekday": "0",
        "settings-digest_hour": "18",
        "settings-daily_email_cap": "5",
        "settings-quiet_start": "",
        "settings-quiet_end": "",
        "settings-paused_until": "",
    }
    for slug in (world.ref("slug"), world.ref("other_slug")):
        data |= {f"mode__{slug}__{category}": "in_app" for category in Category.values}
    return data


PROPOSAL_FORM = {
    "title": "Changer de messagerie",
    "kind": "other",
    "body": "Pourquoi pas ?",
    "method": "consent",
    "electorate": "members",
    "quorum_percent": "0",
    "threshold": "simple",
}
TUTORIAL_FORM = {
    "title": "Un nouveau tutoriel",
    "summary": "",
    "level": "beginner",
    "audience": "everyone",
    "licence": "CC-BY-SA-4.0",
    "visibility": "association",
    "steps-TOTAL_FORMS": "1",
    "steps-INITIAL_FORMS": "0",
    "steps-MIN_NUM_FORMS": "0",
    "steps-MAX_NUM_FORMS": "1000",
    "steps-0-body": "Ouvrez le logiciel.",
}
ASSOCIATION_SETTINGS_FORM = {
    "name": "Les Amis du Vélo",
    "rna": "",
    "siren": "",
    "commune": "Tours",
    "departement": "37",
    "description": "Nouvelle description.",
    "default_electorate": "members",
    "default_quorum_percent": "30",
    "default_threshold": "simple",
    "default_voting_days": "7",
}


def _tomorrow(world: World) -> dict[str, str]:
    return {"until": (timezone.localdate() + timedelta(days=30)).isoformat(), "reason": "Plus tard"}


def _places_file(world: World) -> dict[str, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = IMPORTED_PLACES.read_bytes()
    return {"file": SimpleUploadedFile("lieux.csv", content, content_type="text/csv")}


def _workshop_form(world: World) -> dict[str, str]:
    day = timezone.localdate() + timedelta(days=20)
    return {
        "title": "Atelier messagerie",
        "description": "",
        "tool": "",
        "level": "beginner",
        "audience": "everyone",
        "date": day.isoformat(),
        "start_time": "14:00",
        "end_time": "16:00",
        "capacity": "12",
        "place": "",
        "location_detail": "Salle des fêtes",
        "online_url": "",
    }


def _workshop_json(world: World) -> dict[str, Any]:
    starts = timezone.now() + timedelta(days=20)
    return {
        "title": "Atelier messagerie",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "capacity": 12,
        "location_detail": "Salle des fêtes",
    }


def _subscription(world: World) -> dict[str, str]:
    return {"target_kind": "proposal", "target_code": str(world.ref("proposal_open")), "state": "mute"}


def _network_pk(world: World) -> dict[str, str]:
    return {"network": str(world.network.pk), "title": "Sauvegardes", "tool": "", "message": "Comment faire ?"}


# Pages (frontend) -------------------------------------------------------------------------------

HUB_PAGES: dict[str, Rule] = {
    "frontend:home": page({"GET": G(EVERYONE)}),
    "frontend:login": page(
        {
            "GET": G(EVERYONE),
            # Logging in as bob is what the page is for: it writes bob's last login.
            "POST": W(EVERYONE, lambda w: {"username": w.ref("bob_email"), "password": PASSWORD}),
        }
    ),
    "frontend:logout": page({"POST": W(EVERYONE, writes=False)}),
    "frontend:signup": page(
        {
            "GET": G(EVERYONE),
            "POST": W(
                EVERYONE,
                {
                    "display_name": "Nouvelle Personne",
                    "email": "nouvelle.personne@exemple.fr",
                    "password": "une phrase assez longue",
                    "language": "fr",
                },
            ),
        }
    ),
    "frontend:profile": page(
        {
            "GET": G(SIGNED_IN),
            "POST": W(SIGNED_IN, {"display_name": "Nom changé", "language": "fr", "time_zone": "Europe/Paris"}),
        }
    ),
    "frontend:password_change": page(
        {
            "GET": G(SIGNED_IN),
            "POST": W(
                SIGNED_IN,
                {
                    "old_password": PASSWORD,
                    "new_password1": "une autre phrase longue",
                    "new_password2": "une autre phrase longue",
                },
            ),
        }
    ),
    "frontend:password_reset": page(
        {"GET": G(EVERYONE), "POST": W(EVERYONE, lambda w: {"email": w.ref("bob_email")}, writes=False)}
    ),
    "frontend:password_reset_done": page({"GET": G(EVERYONE)}),
    "frontend:password_reset_complete": page({"GET": G(EVERYONE)}),
    # The signed token in the address is the capability (a link emailed to bob).
    "frontend:password_reset_confirm": page(
        {"GET": G(EVERYONE)}, kwargs={"uidb64": "reset_uid", "token": "reset_token"}
    ),
    "frontend:set_language": page({"POST": W(EVERYONE, {"language": "en"})}),
    # The emailed link (its signed token) shows the invitation to whoever holds it; only the
    # person invited (charlie, by address) may accept it.
    "frontend:invitation": page(
        {"GET": G(EVERYONE), "POST": W(frozenset({CHARLIE}))},
        kwargs={"token": "invitation_token"},
        reveals=frozenset({"InvitationToCharlie"}),
    ),
    "frontend:association_create": page(
        {
            "GET": G(SIGNED_IN),
            "POST": W(
                SIGNED_IN,
                {
                    "name": "Nouvelle association",
                    "slug": "nouvelle-association",
                    "commune": "Tours",
                    "departement": "37",
                    "rna": "",
                    "siren": "",
                    "description": "",
                },
            ),
        }
    ),
    "frontend:association_home": page({"GET": G(A_READERS)}),
    "frontend:members": page({"GET": G(A_READERS)}),
    "frontend:leave": page({"POST": W(A_MEMBERS)}),
    "frontend:member_role": page({"POST": W(A_ADMIN, {"role": "board"})}, kwargs={"code": "bob_membership"}),
    "frontend:member_remove": page({"POST": W(A_ADMIN)}, kwargs={"code": "bob_membership"}),
    "frontend:invitations": page(
        {"GET": G(A_BOARD), "POST": W(A_BOARD, {"email": "nouvelle@exemple.fr", "role": "member", "message": ""})}
    ),
    "frontend:invitation_revoke": page({"POST": W(A_BOARD)}, kwargs={"code": "invitation"}),
    "frontend:association_settings": page({"GET": G(A_ADMIN), "POST": W(A_ADMIN, ASSOCIATION_SETTINGS_FORM)}),
    "frontend:network_consent": page({"POST": W(A_ADMIN)}, kwargs={"network_slug": "other_network"}),
    "frontend:network_end": page({"POST": W(A_ADMIN)}, kwargs={"code": "network_link"}),
    "frontend:advisor_reads": page({"GET": G(A_ADMIN)}),
    "frontend:help_requests": page({"GET": G(A_HELP)}),
    "frontend:help_request_new": page({"GET": G(A_BOARD), "POST": W(A_BOARD, _network_pk)}),
    "frontend:help_request_detail": page(
        {"GET": G(A_HELP), "POST": W(A_HELP, {"body": "Merci pour votre aide."})}, kwargs={"code": "help_request"}
    ),
    "frontend:help_request_status": page({"POST": W(A_HELP, {"status": "done"})}, kwargs={"code": "help_request"}),
    # The network's own pages: its conseillers only; anyone else gets the 404 of an unknown network.
    "frontend:network_detail": page(
        {"GET": G(frozenset({CONSEILLER})), "POST": W(frozenset({CONSEILLER}), {"association_slug": "echecs-loches"})},
        kwargs={"network_slug": "network"},
        insiders=NOBODY,
    ),
    "frontend:network_dashboard": page(
        {"GET": G(frozenset({CONSEILLER}))}, kwargs={"network_slug": "network"}, insiders=NOBODY
    ),
    "frontend:network_dashboard_csv": page(
        {"GET": G(frozenset({CONSEILLER}))}, kwargs={"network_slug": "network"}, insiders=NOBODY
    ),
}

SHARED_TOOLS_PAGES: dict[str, Rule] = {
    "frontend:stack": page({"GET": G(A_READERS)}),
    "frontend:stack_add": page(
        {
            "GET": G(A_BOARD),
            "POST": W(
                A_BOARD,
                lambda w: {"tool": str(w.ref("spare_tool_pk")), "stage": "considered", "visibility": "members"},
            ),
        }
    ),
    "frontend:stack_history": page({"GET": G(A_READERS)}),
    "frontend:stack_export": page({"GET": G(A_READERS)}),
    "frontend:stack_usage": page(
        {"GET": G(A_READERS), "POST": W(A_BOARD, {"purpose": "Pour les réunions.", "visibility": "members"})},
        kwargs={"code": "usage"},
    ),
    "frontend:stack_usage_stage": page(
        {"POST": W(A_BOARD, {"to_stage": "retiring", "reason": "Trop cher."})}, kwargs={"code": "usage"}
    ),
    "frontend:stack_usage_remove": page({"POST": W(A_BOARD)}, kwargs={"code": "usage_fresh"}),
    "frontend:know_how": page(
        {
            "GET": G(A_READERS),
            "POST": W(A_MEMBERS, lambda w: {"tool": str(w.ref("tool_pk")), "level": "can_help", "note": ""}),
        }
    ),
    # bob's know-how: bob himself and the board.
    "frontend:referent_edit": page(
        {"GET": G(A_BOARD | {BOB}), "POST": W(A_BOARD | {BOB}, {"level": "can_help", "note": "Le mardi."})},
        kwargs={"code": "referent"},
    ),
    "frontend:referent_remove": page({"POST": W(A_BOARD | {BOB})}, kwargs={"code": "referent"}),
    "frontend:propose_tool": page(
        {
            "GET": G(A_MEMBERS),
            "POST": W(
                A_MEMBERS,
                {
                    "name": "Zorglub Planificateur",
                    "description": "Pour planifier.",
                    "free_software": "yes",
                    "not_a_duplicate": "on",
                },
            ),
        }
    ),
    "frontend:request_help": page(
        {"POST": W(A_MEMBERS, lambda w: {"tool": w.ref("tool"), "message": "Au secours"})},
    ),
    "frontend:association_tutorials": page({"GET": G(A_READERS)}),
    "frontend:tutorial_new": page({"GET": G(A_MEMBERS), "POST": W(A_MEMBERS, TUTORIAL_FORM)}),
    "frontend:tutorial_preview": page({"POST": W(A_MEMBERS, {"body": "**gras**"}, writes=False)}),
    "frontend:association_tutorial": page({"GET": G(A_READERS)}, kwargs={"code": "tutorial"}),
    # alice's tutorial: its author and the board (who moderate).
    "frontend:tutorial_edit": page({"GET": G(A_BOARD), "POST": W(A_BOARD, TUTORIAL_FORM)}, kwargs={"code": "tutorial"}),
    # bob's draft: bob and the board.
    "frontend:tutorial_publish": page({"POST": W(A_BOARD | {BOB})}, kwargs={"code": "tutorial_draft"}),
    "frontend:tutorial_revisions": page({"GET": G(A_READERS)}, kwargs={"code": "tutorial"}),
    "frontend:tutorial_copy": page({"POST": W(A_MEMBERS)}, kwargs={"code": "tutorial"}),
    "frontend:diagnostic": page({"GET": G(A_READERS)}),
    "frontend:diagnostic_take": page({"GET": G(A_BOARD), "POST": W(A_BOARD, _diagnostic_form)}),
    "frontend:diagnostic_print": page({"GET": G(A_READERS)}),
    "frontend:diagnostic_result": page({"GET": G(A_READERS)}, kwargs={"code": "assessment"}),
    "frontend:diagnostic_step_done": page({"POST": W(A_BOARD)}, kwargs={"code": "roadmap_step"}),
    "frontend:diagnostic_step_postpone": page({"POST": W(A_BOARD, _tomorrow)}, kwargs={"code": "roadmap_step"}),
    "frontend:diagnostic_step_dismiss": page(
        {"POST": W(A_BOARD, {"reason": "Pas pour nous."})}, kwargs={"code": "roadmap_step"}
    ),
    # The public catalogue.
    "frontend:catalogue": page({"GET": G(EVERYONE)}),
    "frontend:tool_detail": page({"GET": G(EVERYONE)}, kwargs={"slug": "tool"}),
    "frontend:free_alternatives": page({"GET": G(EVERYONE)}),
    "frontend:about_data": page({"GET": G(EVERYONE)}),
    "frontend:tool_proposals": page({"GET": G(SIGNED_IN)}),
    "frontend:tool_proposal_approve": page({"POST": W(MODERATORS)}, kwargs={"code": "tool_proposal"}),
    "frontend:tool_proposal_reject": page(
        {"POST": W(MODERATORS, {"reason": "Déjà dans le catalogue."})}, kwargs={"code": "tool_proposal"}
    ),
    # The library: an association-only tutorial of A is invisible (404) to anyone else, signed in
    # or not; writing from the library (helped, questions) needs a sign-in first.
    "frontend:tutorial_library": page({"GET": G(EVERYONE)}),
    "frontend:tutorial_pack": page(
        {"GET": G(A_READERS, lambda w: {"t": str(w.ref("tutorial"))})}, insiders=NOBODY, anonymous="404"
    ),
    "frontend:tutorial_detail": page(
        {"GET": G(A_READERS)}, kwargs={"code": "tutorial"}, insiders=NOBODY, anonymous="404"
    ),
    "frontend:tutorial_print": page(
        {"GET": G(A_READERS)}, kwargs={"code": "tutorial"}, insiders=NOBODY, anonymous="404"
    ),
    "frontend:tutorial_pdf": page({"GET": G(A_READERS)}, kwargs={"code": "tutorial"}, insiders=NOBODY, anonymous="404"),
    "frontend:tutorial_step_image": page(
        {"GET": G(A_READERS)},
        kwargs={"code": "tutorial", "step_code": "tutorial_image_step"},
        insiders=NOBODY,
        anonymous="404",
    ),
    "frontend:tutorial_step_image_print": page(
        {"GET": G(A_READERS)},
        kwargs={"code": "tutorial", "step_code": "tutorial_image_step"},
        insiders=NOBODY,
        anonymous="404",
    ),
    # Conseillers read A's tutorials but never write in A (ADVISOR_PERMISSIONS is read-only; the
    # API's `tutorial-helped` and `tutorial-questions` refuse them).
    "frontend:tutorial_helped": page(
        {"POST": W(A_MEMBERS)},
        kwargs={"code": "tutorial"},
        insiders=frozenset({CONSEILLER}),
    ),
    "frontend:tutorial_ask": page(
        {"POST": W(A_MEMBERS, {"body": "Et sur téléphone ?"})},
        kwargs={"code": "tutorial"},
        insiders=frozenset({CONSEILLER}),
    ),
    # Answers: the author (alice) and those who master one of its tools (bob).
    "frontend:tutorial_answer": page(
        {"POST": W(frozenset({ALICE, BOB}), {"body": "Oui, pareil."})},
        kwargs={"code": "tutorial", "question_code": "tutorial_question"},
        insiders=A_READERS,
    ),
}

GOVERNANCE_PAGES: dict[str, Rule] = {
    "frontend:proposals": page({"GET": G(A_READERS)}),
    "frontend:proposal_create": page({"GET": G(A_BOARD), "POST": W(A_BOARD, PROPOSAL_FORM)}),
    "frontend:proposal_detail": page({"GET": G(A_READERS)}, kwargs={"code": "proposal_open"}),
    "frontend:proposal_edit": page(
        {"GET": G(A_BOARD), "POST": W(A_BOARD, PROPOSAL_FORM)}, kwargs={"code": "proposal_draft"}
    ),
    "frontend:proposal_open": page({"POST": W(A_BOARD)}, kwargs={"code": "proposal_draft"}),
    "frontend:proposal_withdraw": page({"POST": W(A_BOARD)}, kwargs={"code": "proposal_open"}),
    "frontend:proposal_close": page({"POST": W(A_BOARD)}, kwargs={"code": "proposal_open"}),
    "frontend:proposal_vote": page({"POST": W(A_MEMBERS, {"choice": "against"})}, kwargs={"code": "proposal_open"}),
    "frontend:proposal_ballot_check": page(
        {"POST": W(A_READERS, lambda w: {"receipt": w.ref("receipt")}, writes=False)},
        kwargs={"code": "proposal_secret"},
    ),
    "frontend:proposal_tally": page({"GET": G(A_READERS)}, kwargs={"code": "proposal_open"}),
    "frontend:proposal_comment": page(
        {"POST": W(A_MEMBERS, {"body": "Bonne idée."})}, kwargs={"code": "proposal_open"}
    ),
    "frontend:register": page({"GET": G(A_READERS)}),
    "frontend:register_csv": page({"GET": G(A_READERS)}),
    "frontend:register_minutes": page({"GET": G(A_READERS)}),
    "frontend:register_pdf": page({"GET": G(A_READERS)}),
    "frontend:decision_detail": page({"GET": G(A_READERS)}, kwargs={"code": "decision"}),
    "frontend:decision_statement": page(
        {"POST": W(A_BOARD, {"statement": "Adopté à l'unanimité."})}, kwargs={"code": "decision_bare"}
    ),
    "frontend:decision_minutes": page({"GET": G(A_READERS)}, kwargs={"code": "decision"}),
    "frontend:decision_pdf": page({"GET": G(A_READERS)}, kwargs={"code": "decision"}),
    # bob's calendar feed: the signed token is the key (calendar apps fetch it without a session).
    "frontend:governance_calendar": page(
        {"GET": G(EVERYONE)},
        kwargs={"token": "calendar_token"},
        reveals=frozenset({"ProposalOpen", "ProposalSecret", "ProposalOpenBody"}),
    ),
}

NOTIFICATION_PAGES: dict[str, Rule] = {
    "frontend:notifications_follow": page({"POST": W(A_MEMBERS, _subscription)}),
    "frontend:notifications_inbox": page({"GET": G(SIGNED_IN)}),
    "frontend:notifications_read_all": page({"POST": W(SIGNED_IN)}),
    # bob's notification: nobody else may even learn it exists.
    "frontend:notifications_read": page(
        {"POST": W(frozenset({BOB}))}, kwargs={"code": "notification"}, insiders=NOBODY
    ),
    "frontend:notifications_preferences": page({"GET": G(SIGNED_IN), "POST": W(SIGNED_IN, _preferences_form)}),
    # One-click unsubscribe from bob's emails: the signed token is the capability (RFC 8058).
    "frontend:notifications_unsubscribe": page(
        {"GET": G(EVERYONE), "POST": W(EVERYONE)}, kwargs={"token": "unsubscribe_token"}
    ),
}

OTHER_PAGES: dict[str, Rule] = {
    # What matches no API route: the API's JSON 404, for everyone, whatever the method.
    "api-not-found": api({"GET": G(NOBODY), "POST": W(NOBODY, writes=False)}, insiders=NOBODY, anonymous="404"),
    "api-schema": page({"GET": G(EVERYONE)}),
    "api-docs": page({"GET": G(EVERYONE)}),
    "javascript-catalog": page({"GET": G(EVERYONE)}),
    # Django's own language switch: a GET only redirects back.
    "set_language": page({"GET": G(EVERYONE), "POST": W(EVERYONE, {"language": "en"}, writes=False)}),
}

# API (/api/v1/) -----------------------------------------------------------------------------------

HUB_API: dict[str, Rule] = {
    "hub_api:auth-token": api({"POST": W(EVERYONE, lambda w: {"email": w.ref("bob_email"), "password": PASSWORD})}),
    "hub_api:me": api({"GET": G(SIGNED_IN), "PATCH": W(SIGNED_IN, {"display_name": "Nom changé"})}),
    "hub_api:invitation-accept": api(
        {"POST": W(frozenset({CHARLIE}), lambda w: {"token": w.ref("invitation_token")})},
        reveals=frozenset({"InvitationToCharlie"}),
    ),
    "hub_api:association-list": api({"GET": G(SIGNED_IN)}),
    "hub_api:association-detail": api({"GET": G(A_READERS), "PATCH": W(A_ADMIN, {"description": "Autre."})}),
    "hub_api:membership-list": api({"GET": G(A_READERS)}),
    "hub_api:membership-leave": api({"POST": W(A_MEMBERS)}),
    "hub_api:membership-detail": api(
        {"PATCH": W(A_ADMIN, {"role": "board"}), "DELETE": W(A_ADMIN)}, kwargs={"code": "bob_membership"}
    ),
    "hub_api:invitation-list": api(
        {"GET": G(A_BOARD), "POST": W(A_BOARD, {"email": "nouvelle@exemple.fr", "role": "member"})}
    ),
    "hub_api:invitation-detail": api({"DELETE": W(A_BOARD)}, kwargs={"code": "invitation"}),
    "hub_api:network-link-list": api({"GET": G(A_READERS)}),
    "hub_api:network-consent": api({"POST": W(A_ADMIN)}, kwargs={"network_slug": "other_network"}),
    "hub_api:network-link-end": api({"POST": W(A_ADMIN)}, kwargs={"code": "network_link"}),
    "hub_api:advisor-read-list": api({"GET": G(A_ADMIN)}),
    "hub_api:help-request-list": api(
        {
            "GET": G(A_HELP),
            "POST": W(A_BOARD, lambda w: {"network": w.ref("network"), "title": "Sauvegardes", "message": "Comment ?"}),
        }
    ),
    "hub_api:help-request-detail": api({"GET": G(A_HELP)}, kwargs={"code": "help_request"}),
    "hub_api:help-message-create": api({"POST": W(A_HELP, {"body": "Merci."})}, kwargs={"code": "help_request"}),
    "hub_api:help-request-status": api({"POST": W(A_HELP, {"status": "done"})}, kwargs={"code": "help_request"}),
    "hub_api:network-help-request-list": api(
        {"GET": G(frozenset({CONSEILLER}))}, kwargs={"network_slug": "network"}, insiders=NOBODY
    ),
}

SHARED_TOOLS_API: dict[str, Rule] = {
    "shared_tools_api:tool-list": api({"GET": G(EVERYONE)}),
    "shared_tools_api:tool-detail": api({"GET": G(EVERYONE)}, kwargs={"slug": "tool"}),
    "shared_tools_api:tool-proposal-list": api({"GET": G(SIGNED_IN)}),
    "shared_tools_api:tool-proposal-pending": api({"GET": G(MODERATORS)}),
    # bob's proposal: bob and the moderators; anyone else gets 404.
    "shared_tools_api:tool-proposal-detail": api(
        {"GET": G(MODERATORS | {BOB})}, kwargs={"code": "tool_proposal"}, insiders=NOBODY
    ),
    "shared_tools_api:tool-proposal-approve": api({"POST": W(MODERATORS)}, kwargs={"code": "tool_proposal"}),
    "shared_tools_api:tool-proposal-reject": api(
        {"POST": W(MODERATORS, {"reason": "Déjà là."})}, kwargs={"code": "tool_proposal"}
    ),
    "shared_tools_api:tool-proposal-create": api(
        {"POST": W(A_MEMBERS, {"name": "Zorglub Planificateur", "description": "Pour planifier."})}
    ),
    "shared_tools_api:stack-list": api(
        {"GET": G(A_READERS), "POST": W(A_BOARD, lambda w: {"tool": w.ref("spare_tool"), "stage": "considered"})}
    ),
    "shared_tools_api:stack-history": api({"GET": G(A_READERS)}),
    "shared_tools_api:stack-detail": api(
        {"GET": G(A_READERS), "PATCH": W(A_BOARD, {"purpose": "Autre usage."}), "DELETE": W(A_BOARD)},
        kwargs={"code": "usage_fresh"},
    ),
    "shared_tools_api:stack-stage": api(
        {"POST": W(A_BOARD, {"to_stage": "retiring", "reason": "Trop cher."})}, kwargs={"code": "usage"}
    ),
    "shared_tools_api:stack-usage-history": api({"GET": G(A_READERS)}, kwargs={"code": "usage"}),
    "shared_tools_api:referent-list": api(
        {"GET": G(A_READERS), "POST": W(A_MEMBERS, lambda w: {"tool": w.ref("tool"), "level": "can_help"})}
    ),
    "shared_tools_api:referent-detail": api(
        {"GET": G(A_READERS), "PATCH": W(A_BOARD | {BOB}, {"note": "Le jeudi."}), "DELETE": W(A_BOARD | {BOB})},
        kwargs={"code": "referent"},
    ),
    "shared_tools_api:tutorial-library": api({"GET": G(EVERYONE)}),
    "shared_tools_api:tutorial-read": api(
        {"GET": G(A_READERS)}, kwargs={"code": "tutorial"}, insiders=NOBODY, anonymous="404"
    ),
    "shared_tools_api:tutorial-list": api(
        {"GET": G(A_READERS), "POST": W(A_MEMBERS, {"title": "Nouveau", "steps": [{"body": "Ouvrez."}]})}
    ),
    "shared_tools_api:tutorial-answer": api(
        {"POST": W(frozenset({ALICE, BOB}), {"body": "Oui."})}, kwargs={"code": "tutorial_question"}
    ),
    "shared_tools_api:tutorial-detail": api(
        {"GET": G(A_READERS), "PATCH": W(A_BOARD, {"summary": "Autre résumé."}), "DELETE": W(A_BOARD)},
        kwargs={"code": "tutorial"},
    ),
    "shared_tools_api:tutorial-publish": api({"POST": W(A_BOARD | {BOB})}, kwargs={"code": "tutorial_draft"}),
    "shared_tools_api:tutorial-copy": api({"POST": W(A_MEMBERS)}, kwargs={"code": "tutorial"}),
    "shared_tools_api:tutorial-helped": api({"POST": W(A_MEMBERS)}, kwargs={"code": "tutorial"}),
    "shared_tools_api:tutorial-questions": api(
        {"GET": G(A_READERS), "POST": W(A_MEMBERS, {"body": "Et sur téléphone ?"})}, kwargs={"code": "tutorial"}
    ),
    "shared_tools_api:diagnostic-questionnaire": api({"GET": G(EVERYONE)}),
    "shared_tools_api:assessment-list": api(
        {"GET": G(A_READERS), "POST": W(A_BOARD, lambda w: {"answers": w.ref("diagnostic_answers")})}
    ),
    "shared_tools_api:assessment-detail": api({"GET": G(A_READERS)}, kwargs={"code": "assessment"}),
    "shared_tools_api:roadmap-list": api({"GET": G(A_READERS)}),
    "shared_tools_api:roadmap-step-done": api({"POST": W(A_BOARD)}, kwargs={"code": "roadmap_step"}),
    "shared_tools_api:roadmap-step-postpone": api({"POST": W(A_BOARD, _tomorrow)}, kwargs={"code": "roadmap_step"}),
    "shared_tools_api:roadmap-step-dismiss": api(
        {"POST": W(A_BOARD, {"reason": "Pas pour nous."})}, kwargs={"code": "roadmap_step"}
    ),
}

GOVERNANCE_API: dict[str, Rule] = {
    "governance_api:proposal-list": api({"GET": G(A_READERS), "POST": W(A_BOARD, {"title": "Changer de messagerie"})}),
    "governance_api:proposal-detail": api(
        {"GET": G(A_READERS), "PATCH": W(A_BOARD, {"title": "Autre titre"})}, kwargs={"code": "proposal_draft"}
    ),
    "governance_api:proposal-open": api({"POST": W(A_BOARD)}, kwargs={"code": "proposal_draft"}),
    "governance_api:proposal-withdraw": api({"POST": W(A_BOARD)}, kwargs={"code": "proposal_open"}),
    "governance_api:proposal-close": api({"POST": W(A_BOARD)}, kwargs={"code": "proposal_open"}),
    "governance_api:proposal-vote": api(
        {"POST": W(A_MEMBERS, {"choice": "against"})}, kwargs={"code": "proposal_open"}
    ),
    "governance_api:proposal-ballot-check": api(
        {"POST": W(A_READERS, lambda w: {"receipt": w.ref("receipt")}, writes=False)},
        kwargs={"code": "proposal_secret"},
    ),
    "governance_api:proposal-tally": api({"GET": G(A_READERS)}, kwargs={"code": "proposal_open"}),
    "governance_api:proposal-comments": api(
        {"GET": G(A_READERS), "POST": W(A_MEMBERS, {"body": "Bonne idée."})}, kwargs={"code": "proposal_open"}
    ),
    "governance_api:decision-list": api({"GET": G(A_READERS)}),
    "governance_api:decision-verify": api({"GET": G(A_READERS)}),
    "governance_api:decision-detail": api({"GET": G(A_READERS)}, kwargs={"code": "decision"}),
    "governance_api:decision-statement": api(
        {"POST": W(A_BOARD, {"statement": "Adopté."})}, kwargs={"code": "decision_bare"}
    ),
}

NOTIFICATIONS_API: dict[str, Rule] = {
    "notifications_api:notification-list": api({"GET": G(SIGNED_IN)}),
    "notifications_api:notification-unread-count": api({"GET": G(SIGNED_IN)}),
    "notifications_api:notification-read-all": api({"POST": W(SIGNED_IN, {})}),
    "notifications_api:notification-settings": api(
        {"GET": G(SIGNED_IN), "PATCH": W(SIGNED_IN, {"digest_frequency": "daily"})}
    ),
    "notifications_api:notification-read": api(
        {"POST": W(frozenset({BOB}))}, kwargs={"code": "notification"}, insiders=NOBODY
    ),
    # Preferences belong to members (conseillers receive nothing from the association).
    "notifications_api:notification-preferences": api(
        {"GET": G(A_MEMBERS), "PATCH": W(A_MEMBERS, {"modes": {"decisions": "off"}})}
    ),
    "notifications_api:notification-subscription": api({"PUT": W(A_MEMBERS, _subscription)}),
}

# Personal data (RGPD): one's own data, and the association's export (administrators only).
RGPD: dict[str, Rule] = {
    "frontend:my_data": page({"GET": G(SIGNED_IN)}),
    "frontend:my_data_download": page({"GET": G(SIGNED_IN)}),
    # Deleting one's own account (refused to A's last administrator, alice).
    "frontend:delete_account": page({"GET": G(SIGNED_IN), "POST": W(SIGNED_IN, {"password": PASSWORD})}),
    "frontend:association_export": page({"GET": G(A_ADMIN)}),
    "frontend:association_export_download": page({"GET": G(A_ADMIN)}),
    "hub_api:me-data": api({"GET": G(SIGNED_IN)}),
    "hub_api:me-delete": api({"POST": W(SIGNED_IN, {"password": PASSWORD})}),
    "hub_api:association-export": api({"GET": G(A_ADMIN)}),
}

# Places: open data; importing is for platform staff and conseillers.
PLACES: dict[str, Rule] = {
    "frontend:place_list": page({"GET": G(EVERYONE)}),
    "frontend:place_export": page({"GET": G(EVERYONE)}),
    "frontend:place_detail": page({"GET": G(EVERYONE)}, kwargs={"code": "place"}),
    "frontend:place_import": page({"GET": G(MODERATORS), "POST": W(MODERATORS, _places_file)}),
    "places_api:place-list": api({"GET": G(EVERYONE)}),
    "places_api:place-export": api({"GET": G(EVERYONE)}),
    "places_api:place-detail": api({"GET": G(EVERYONE)}, kwargs={"code": "place"}),
    "places_api:place-import": api({"POST": W(MODERATORS, _places_file, multipart=True)}),
}

# Workshops: asso-37's workshop reaches A's members (bob is registered); its conseiller runs it
# from the network's pages. Variants: the workshop of a network A never accepted is a 404 from
# A's pages, and asso-37's pages do not open another network's workshop.
ME = frozenset({CONSEILLER})
A_WORKSHOP_INSIDERS = frozenset({CONSEILLER})  # a conseiller is in A's pages, but workshops are for members
ELSEWHERE = {"code": "other_workshop"}


def _elsewhere(calls: Mapping[str, Call], *, api_rule: bool = False) -> Rule:
    denied = {method: Call(NOBODY, call.body, writes=False) for method, call in calls.items()}
    return Rule(api=api_rule, calls=denied, kwargs=ELSEWHERE, insiders=A_WORKSHOP_INSIDERS)


def _network_elsewhere(calls: Mapping[str, Call], *, api_rule: bool = False) -> Rule:
    denied = {method: Call(NOBODY, call.body, writes=False) for method, call in calls.items()}
    return Rule(api=api_rule, calls=denied, kwargs={"network_slug": "network", **ELSEWHERE}, insiders=NOBODY)


def workshop_page(calls: Mapping[str, Call], **options: Any) -> Rule:
    return page(calls, kwargs={"code": "workshop"}, variants=(_elsewhere(calls),), **options)


def workshop_api(calls: Mapping[str, Call], **options: Any) -> Rule:
    return api(calls, kwargs={"code": "workshop"}, variants=(_elsewhere(calls, api_rule=True),), **options)


def network_workshop_page(calls: Mapping[str, Call]) -> Rule:
    return page(
        calls,
        kwargs={"network_slug": "network", "code": "workshop"},
        insiders=NOBODY,
        variants=(_network_elsewhere(calls),),
    )


def network_workshop_api(calls: Mapping[str, Call]) -> Rule:
    return api(
        calls,
        kwargs={"network_slug": "network", "code": "workshop"},
        insiders=NOBODY,
        variants=(_network_elsewhere(calls, api_rule=True),),
    )


WORKSHOPS: dict[str, Rule] = {
    "frontend:workshop_list": page({"GET": G(A_MEMBERS)}, insiders=A_WORKSHOP_INSIDERS),
    "frontend:my_workshops": page({"GET": G(A_MEMBERS)}, insiders=A_WORKSHOP_INSIDERS),
    "frontend:workshop_detail": workshop_page({"GET": G(A_MEMBERS)}, insiders=A_WORKSHOP_INSIDERS),
    "frontend:workshop_register": workshop_page({"POST": W(A_MEMBERS)}, insiders=A_WORKSHOP_INSIDERS),
    # bob's seat: only bob cancels it (the others have none to cancel).
    "frontend:workshop_unregister": workshop_page({"POST": W(frozenset({BOB}))}, insiders=A_READERS),
    "frontend:workshop_calendar": workshop_page({"GET": G(A_MEMBERS)}, insiders=A_WORKSHOP_INSIDERS),
    "frontend:network_workshops": page({"GET": G(ME)}, kwargs={"network_slug": "network"}, insiders=NOBODY),
    "frontend:network_workshop_new": page(
        {"GET": G(ME), "POST": W(ME, _workshop_form)}, kwargs={"network_slug": "network"}, insiders=NOBODY
    ),
    "frontend:network_workshop": network_workshop_page({"GET": G(ME)}),
    "frontend:network_workshop_edit": network_workshop_page({"GET": G(ME), "POST": W(ME, _workshop_form)}),
    "frontend:network_workshop_cancel": network_workshop_page({"GET": G(ME), "POST": W(ME)}),
    "frontend:network_workshop_attendance_csv": network_workshop_page({"GET": G(ME)}),
    "frontend:network_workshop_calendar": network_workshop_page({"GET": G(ME)}),
    "workshops_api:workshop-list": api({"GET": G(A_MEMBERS)}, insiders=A_WORKSHOP_INSIDERS),
    "workshops_api:workshop-my-registrations": api({"GET": G(A_MEMBERS)}, insiders=A_WORKSHOP_INSIDERS),
    "workshops_api:workshop-detail": workshop_api({"GET": G(A_MEMBERS)}, insiders=A_WORKSHOP_INSIDERS),
    "workshops_api:workshop-registration": workshop_api(
        {"POST": W(A_MEMBERS), "DELETE": W(frozenset({BOB}))}, insiders=A_READERS
    ),
    "workshops_api:workshop-calendar": workshop_api({"GET": G(A_MEMBERS)}, insiders=A_WORKSHOP_INSIDERS),
    "workshops_api:network-workshop-list": api(
        {"GET": G(ME), "POST": W(ME, _workshop_json)}, kwargs={"network_slug": "network"}, insiders=NOBODY
    ),
    "workshops_api:network-workshop-detail": network_workshop_api({"GET": G(ME), "PATCH": W(ME, {"capacity": 20})}),
    "workshops_api:network-workshop-cancel": network_workshop_api({"POST": W(ME)}),
    "workshops_api:network-workshop-attendance": network_workshop_api({"GET": G(ME)}),
    "workshops_api:network-workshop-calendar": network_workshop_api({"GET": G(ME)}),
}

RULES: dict[str, Rule] = {
    **HUB_PAGES,
    **SHARED_TOOLS_PAGES,
    **GOVERNANCE_PAGES,
    **NOTIFICATION_PAGES,
    **OTHER_PAGES,
    **HUB_API,
    **SHARED_TOOLS_API,
    **GOVERNANCE_API,
    **NOTIFICATIONS_API,
    **RGPD,
    **PLACES,
    **WORKSHOPS,
}

# The Django admin: platform staff only; everyone else is sent to the admin's login page --------

STAFF_ONLY = frozenset({STAFF})
ADMIN_ACTIONS = ("changelist", "add", "change", "delete", "history")


def admin_rule(name: str) -> Rule | None:
    """The admin's generated routes, by shape: `admin:<app>_<model>_<action>` on an object of A."""
    short = name.removeprefix("admin:")
    if short == "login":
        return page({"GET": G(EVERYONE)}, admin=True)
    if short in ("index", "password_change", "password_change_done", "jsi18n", "autocomplete"):
        return page({"GET": G(STAFF_ONLY)}, admin=True)
    if short == "logout":
        return page({"POST": W(STAFF_ONLY, writes=False)}, admin=True)
    if short == "app_list":
        return page({"GET": G(STAFF_ONLY)}, kwargs={"app_label": "admin:app_label"}, admin=True)
    if short == "view_on_site":
        # No model of ours has a public address (get_absolute_url): a 404 for staff too.
        return page({"GET": G(NOBODY)}, kwargs={"content_type_id": "admin:ct", "object_id": "admin:obj"}, admin=True)
    if short == "auth_user_password_change":  # the user admin's "set a password" form
        return page({"GET": G(STAFF_ONLY)}, kwargs={"id": "admin-object:hub_user"}, admin=True)
    action = short.rsplit("_", 1)[-1]
    if action not in ADMIN_ACTIONS:
        return None
    obj = f"admin-object:{short.rsplit('_', 1)[0]}"
    calls: dict[str, Call] = {"GET": G(STAFF_ONLY)}
    if action == "delete":
        calls["POST"] = W(STAFF_ONLY, {"post": "yes"}, writes=False)
    if action == "changelist":
        calls["POST"] = W(
            STAFF_ONLY, lambda w: {"action": "delete_selected", "_selected_action": w.ref(obj)}, writes=False
        )
    kwargs = {"object_id": obj} if action in ("change", "delete", "history") else {}
    return page(calls, kwargs=kwargs, admin=True)


def unnamed_admin_rule(pattern: str) -> Rule | None:
    """The admin's unnamed routes: `<model>/<id>/` redirects to the change page; the catch-all."""
    if pattern.endswith("/<path:object_id>/"):
        app, model = pattern.removeprefix("admin/").split("/")[:2]
        return page({"GET": G(STAFF_ONLY)}, kwargs={"object_id": f"admin-object:{app}_{model}"}, admin=True)
    if pattern == "admin/(?P<url>.*)$":
        # Unknown admin addresses: the login page for everyone but staff, who get a 404.
        return page({"GET": G(NOBODY)}, kwargs={"url": "admin:unknown"}, admin=True)
    return None


def rule_for(name: str, pattern: str = "") -> Rule | None:
    if name.startswith("admin:"):
        return admin_rule(name)
    if name.startswith("<unnamed>") and pattern.startswith("admin/"):
        return unnamed_admin_rule(pattern)
    return RULES.get(name)


# Websocket routes (notifications/routing.py): checked by test_websocket.py ---------------------

WEBSOCKET_ROUTES: dict[str, str] = {
    "ws/me/": "per-user push: anonymous handshakes refused; a push reaches only its user's own group",
}
