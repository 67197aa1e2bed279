"""Page routes of the shared_tools app (included by frontend/urls.py)."""

from django.urls import path

from ..views import catalogue, stack

# under /a/<association_slug>/
association_urlpatterns = [
    path("stack/", stack.stack, name="stack"),
    path("stack/add/", stack.stack_add, name="stack_add"),
    path("stack/history/", stack.stack_history, name="stack_history"),
    path("stack/export.csv", stack.stack_export, name="stack_export"),
    path("stack/<uuid:code>/", stack.stack_usage, name="stack_usage"),
    path("stack/<uuid:code>/stage/", stack.stack_usage_stage, name="stack_usage_stage"),
    path("stack/<uuid:code>/remove/", stack.stack_usage_remove, name="stack_usage_remove"),
    path("know-how/", stack.know_how, name="know_how"),
    path("know-how/<uuid:code>/", stack.referent_edit, name="referent_edit"),
    path("know-how/<uuid:code>/remove/", stack.referent_remove, name="referent_remove"),
    path("tools/propose/", catalogue.propose_tool, name="propose_tool"),
]

# elsewhere; the catalogue pages are public
urlpatterns = [
    path("tools/", catalogue.catalogue, name="catalogue"),
    path("tools/<slug:slug>/", catalogue.tool_detail, name="tool_detail"),
    path("free-alternatives/", catalogue.free_alternatives, name="free_alternatives"),
    path("about-the-data/", catalogue.about_data, name="about_data"),
    path("tool-proposals/", catalogue.tool_proposals, name="tool_proposals"),
    path("tool-proposals/<uuid:code>/approve/", catalogue.tool_proposal_approve, name="tool_proposal_approve"),
    path("tool-proposals/<uuid:code>/reject/", catalogue.tool_proposal_reject, name="tool_proposal_reject"),
]
