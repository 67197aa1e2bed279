"""Every state-changing request needs a CSRF token: pages, the API with a session, Django's admin.

Routes are enumerated from the URL resolver. Page routes must be classified below (a new route
that is not makes `test_every_page_route_is_classified` fail): "post" for views that change
something on POST (checked: they accept a POST once the token is there), "get" for read-only
ones. API views are classified by the methods their class defines. Exemptions carry a reason.
"""

import pytest
from django.test import Client
from rest_framework.views import APIView

from tests.security.routes import Route, all_routes

POST, GET = "post", "get"

# Page routes (frontend and Django's own).
PAGE_ROUTES: dict[str, str] = {
    "javascript-catalog": GET,
    "set_language": POST,
    "frontend:home": GET,
    "frontend:login": POST,
    "frontend:logout": POST,
    "frontend:signup": POST,
    "frontend:profile": POST,
    "frontend:password_change": POST,
    "frontend:password_reset": POST,
    "frontend:password_reset_done": GET,
    "frontend:password_reset_confirm": POST,
    "frontend:password_reset_complete": GET,
    "frontend:my_data": GET,
    "frontend:my_data_download": GET,
    "frontend:delete_account": POST,
    "frontend:set_language": POST,
    "frontend:invitation": POST,
    "frontend:association_create": POST,
    "frontend:association_home": GET,
    "frontend:members": GET,
    "frontend:leave": POST,
    "frontend:member_role": POST,
    "frontend:member_remove": POST,
    "frontend:invitations": POST,
    "frontend:invitation_revoke": POST,
    "frontend:association_settings": POST,
    "frontend:network_consent": POST,
    "frontend:network_end": POST,
    "frontend:advisor_reads": GET,
    "frontend:association_export": GET,
    "frontend:association_export_download": GET,
    "frontend:help_requests": GET,
    "frontend:help_request_new": POST,
    "frontend:help_request_detail": POST,
    "frontend:help_request_status": POST,
    "frontend:stack": GET,
    "frontend:stack_add": POST,
    "frontend:stack_history": GET,
    "frontend:stack_export": GET,
    "frontend:stack_usage": POST,
    "frontend:stack_usage_stage": POST,
    "frontend:stack_usage_remove": POST,
    "frontend:know_how": POST,
    "frontend:referent_edit": POST,
    "frontend:referent_remove": POST,
    "frontend:propose_tool": POST,
    "frontend:request_help": POST,
    "frontend:association_tutorials": GET,
    "frontend:tutorial_new": POST,
    "frontend:tutorial_preview": POST,
    "frontend:association_tutorial": GET,
    "frontend:tutorial_edit": POST,
    "frontend:tutorial_publish": POST,
    "frontend:tutorial_revisions": GET,
    "frontend:tutorial_copy": POST,
    "frontend:diagnostic": GET,
    "frontend:diagnostic_take": POST,
    "frontend:diagnostic_print": GET,
    "frontend:diagnostic_result": GET,
    "frontend:diagnostic_step_done": POST,
    "frontend:diagnostic_step_postpone": POST,
    "frontend:diagnostic_step_dismiss": POST,
    "frontend:proposals": GET,
    "frontend:proposal_create": POST,
    "frontend:proposal_detail": GET,
    "frontend:proposal_edit": POST,
    "frontend:proposal_open": POST,
    "frontend:proposal_withdraw": POST,
    "frontend:proposal_close": POST,
    "frontend:proposal_vote": POST,
    "frontend:proposal_ballot_check": POST,
    "frontend:proposal_tally": GET,
    "frontend:proposal_comment": POST,
    "frontend:register": GET,
    "frontend:register_csv": GET,
    "frontend:register_minutes": GET,
    "frontend:register_pdf": GET,
    "frontend:decision_detail": GET,
    "frontend:decision_statement": POST,
    "frontend:decision_minutes": GET,
    "frontend:decision_pdf": GET,
    "frontend:notifications_follow": POST,
    "frontend:workshop_list": GET,
    "frontend:my_workshops": GET,
    "frontend:workshop_detail": GET,
    "frontend:workshop_register": POST,
    "frontend:workshop_unregister": POST,
    "frontend:workshop_calendar": GET,
    "frontend:network_detail": POST,
    "frontend:network_dashboard": GET,
    "frontend:network_dashboard_csv": GET,
    "frontend:network_workshops": GET,
    "frontend:network_workshop_new": POST,
    "frontend:network_workshop": GET,
    "frontend:network_workshop_edit": POST,
    "frontend:network_workshop_cancel": POST,
    "frontend:network_workshop_attendance_csv": GET,
    "frontend:network_workshop_calendar": GET,
    "frontend:catalogue": GET,
    "frontend:tool_detail": GET,
    "frontend:free_alternatives": GET,
    "frontend:about_data": GET,
    "frontend:tutorial_library": GET,
    "frontend:tutorial_pack": GET,
    "frontend:tutorial_detail": GET,
    "frontend:tutorial_print": GET,
    "frontend:tutorial_pdf": GET,
    "frontend:tutorial_helped": POST,
    "frontend:tutorial_ask": POST,
    "frontend:tutorial_answer": POST,
    "frontend:tutorial_step_image": GET,
    "frontend:tutorial_step_image_print": GET,
    "frontend:tool_proposals": GET,
    "frontend:tool_proposal_approve": POST,
    "frontend:tool_proposal_reject": POST,
    "frontend:governance_calendar": GET,
    "frontend:notifications_inbox": GET,
    "frontend:notifications_read_all": POST,
    "frontend:notifications_read": POST,
    "frontend:notifications_preferences": POST,
    "frontend:notifications_unsubscribe": POST,
    "frontend:place_list": GET,
    "frontend:place_export": GET,
    "frontend:place_import": POST,
    "frontend:place_detail": GET,
}

# csrf_exempt on purpose, and why.
EXEMPT: dict[str, str] = {
    "frontend:notifications_unsubscribe": "RFC 8058 one-click unsubscribe: mail clients POST without a session "
    "or a token; the signed, expiring token in the URL is the capability and only stops emails.",
    "hub_api:auth-token": "No session authentication: the email and password in the body are the credentials, "
    "and the answer is a token in the body, not a cookie a forged request could ride on.",
}
WRITE_METHODS = ("post", "put", "patch", "delete")


def _is_api(route: Route) -> bool:
    return route.pattern.startswith("api/")


def _api_view(route: Route) -> type[APIView] | None:
    cls = getattr(route.callback, "cls", None)
    return cls if isinstance(cls, type) and issubclass(cls, APIView) else None


def page_routes() -> list[Route]:
    return [r for r in all_routes() if not _is_api(r) and not r.pattern.startswith("admin/")]


def api_write_routes() -> list[tuple[Route, str]]:
    out = []
    for route in all_routes():
        view = _api_view(route)
        if view is None or route.name in EXEMPT:
            continue
        methods = [m for m in WRITE_METHODS if hasattr(view, m)]
        if methods:
            out.append((route, methods[0]))
    return out


def test_every_page_route_is_classified():
    names = {route.name for route in page_routes()}
    unclassified = sorted(names - set(PAGE_ROUTES))
    assert not unclassified, f"Classify these new routes in {__name__}.PAGE_ROUTES: {unclassified}"
    assert not sorted(set(PAGE_ROUTES) - names), "Routes classified here no longer exist"


def test_only_the_listed_routes_are_csrf_exempt():
    exempt = {
        route.name
        for route in all_routes()
        if getattr(route.callback, "csrf_exempt", False)
        and _api_view(route) is None
        and not route.pattern.startswith("admin/")
    }
    assert exempt <= set(EXEMPT)
    # DRF views are csrf-exempt for Django and check CSRF in SessionAuthentication instead;
    # the ones that do not authenticate by session are listed.
    for route in all_routes():
        view = _api_view(route)
        if view is not None and not any(
            auth.__name__ == "SessionAuthentication" for auth in view.authentication_classes
        ):
            assert route.name in EXEMPT or not any(hasattr(view, m) for m in WRITE_METHODS), route.name


@pytest.fixture
def csrf_client(cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast["alice"])
    return client


def _is_csrf_refusal(response) -> bool:
    return response.status_code == 403 and b"CSRF" in response.content


# One test per kind, looping over the routes (the cast is built once); failures are listed together.


def test_a_page_post_without_token_is_refused(csrf_client):
    accepted = []
    for route in page_routes():
        if route.name in EXEMPT:
            continue
        response = csrf_client.post(route.url(), {"anything": "x"})
        if not _is_csrf_refusal(response):
            accepted.append((route.name, response.status_code))
    assert not accepted


def test_a_post_route_takes_a_post_once_the_token_is_there(cast):
    # Keeps the classification honest: with the token, a "post" route does not answer 405.
    refused = []
    for route in page_routes():
        if PAGE_ROUTES.get(route.name) != POST:
            continue
        client = Client()
        client.force_login(cast["alice"])
        if client.post(route.url(), {}).status_code == 405:
            refused.append(route.name)
    assert not refused


def test_an_api_write_with_a_session_and_no_token_is_refused(csrf_client):
    routes = api_write_routes()
    assert len(routes) > 40  # the enumeration found the API
    accepted = []
    for route, method in routes:
        response = getattr(csrf_client, method)(route.url(), {}, content_type="application/json")
        if response.status_code != 403 or "CSRF" not in response.json()["error"]["message"]:
            accepted.append((route.name, method, response.status_code))
    assert not accepted


def test_an_api_write_with_a_token_needs_no_csrf(bob):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=bob)
    client = Client(enforce_csrf_checks=True)
    response = client.patch(
        "/api/v1/me/", {"display_name": "Bob D."}, content_type="application/json", HTTP_AUTHORIZATION=f"Token {token}"
    )
    assert response.status_code == 200


def test_the_admin_refuses_a_post_without_token(db):
    from tests.factories import UserFactory

    staff = UserFactory(email="staff@exemple.fr", is_staff=True, is_superuser=True)
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    assert _is_csrf_refusal(client.post("/admin/hub/association/add/", {"name": "X", "slug": "x"}))


def test_the_unsubscribe_exemption_needs_a_valid_signed_token(db):
    response = Client(enforce_csrf_checks=True).post("/notifications/unsubscribe/forged/")
    assert response.status_code == 400
