"""Page routes of the governance app (included by frontend/urls.py)."""

from django.urls import path

from ..views import governance as views

# under /a/<association_slug>/
association_urlpatterns = [
    path("proposals/", views.proposals, name="proposals"),
    path("proposals/new/", views.proposal_create, name="proposal_create"),
    path("proposals/<uuid:code>/", views.proposal_detail, name="proposal_detail"),
    path("proposals/<uuid:code>/edit/", views.proposal_edit, name="proposal_edit"),
    path("proposals/<uuid:code>/open/", views.proposal_open, name="proposal_open"),
    path("proposals/<uuid:code>/withdraw/", views.proposal_withdraw, name="proposal_withdraw"),
    path("proposals/<uuid:code>/close/", views.proposal_close, name="proposal_close"),
    path("proposals/<uuid:code>/vote/", views.proposal_vote, name="proposal_vote"),
    path("proposals/<uuid:code>/ballot-check/", views.proposal_ballot_check, name="proposal_ballot_check"),
    path("proposals/<uuid:code>/tally/", views.proposal_tally, name="proposal_tally"),
    path("proposals/<uuid:code>/comments/", views.proposal_comment, name="proposal_comment"),
    path("register/", views.register, name="register"),
    path("register/export.csv", views.register_csv, name="register_csv"),
    path("register/minutes/", views.register_minutes, name="register_minutes"),
    path("register/minutes.pdf", views.register_pdf, name="register_pdf"),
    path("register/<uuid:code>/", views.decision_detail, name="decision_detail"),
    path("register/<uuid:code>/statement/", views.decision_statement, name="decision_statement"),
    path("register/<uuid:code>/minutes/", views.decision_minutes, name="decision_minutes"),
    path("register/<uuid:code>/minutes.pdf", views.decision_pdf, name="decision_pdf"),
]

# elsewhere: the calendar feed is fetched by calendar apps, with the signed token as the key
urlpatterns = [
    path("calendar/<str:token>/votes.ics", views.governance_calendar, name="governance_calendar"),
]
