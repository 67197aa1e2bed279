"""Page routes of the shared_tools app (included by frontend/urls.py)."""

from django.urls import path

from ..views import catalogue, diagnostic, stack, tutorials

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
    path("know-how/help/", tutorials.request_help, name="request_help"),
    path("tutorials/", tutorials.association_tutorials, name="association_tutorials"),
    path("tutorials/new/", tutorials.tutorial_new, name="tutorial_new"),
    path("tutorials/preview/", tutorials.tutorial_preview, name="tutorial_preview"),
    path("tutorials/<uuid:code>/", tutorials.association_tutorial, name="association_tutorial"),
    path("tutorials/<uuid:code>/edit/", tutorials.tutorial_edit, name="tutorial_edit"),
    path("tutorials/<uuid:code>/publish/", tutorials.tutorial_publish, name="tutorial_publish"),
    path("tutorials/<uuid:code>/revisions/", tutorials.tutorial_revisions, name="tutorial_revisions"),
    path("tutorials/<uuid:code>/copy/", tutorials.tutorial_copy, name="tutorial_copy"),
    path("diagnostic/", diagnostic.diagnostic_home, name="diagnostic"),
    path("diagnostic/take/", diagnostic.diagnostic_take, name="diagnostic_take"),
    path("diagnostic/print/", diagnostic.diagnostic_print, name="diagnostic_print"),
    path("diagnostic/<uuid:code>/", diagnostic.diagnostic_result, name="diagnostic_result"),
    path("diagnostic/steps/<uuid:code>/done/", diagnostic.step_done, name="diagnostic_step_done"),
    path("diagnostic/steps/<uuid:code>/postpone/", diagnostic.step_postpone, name="diagnostic_step_postpone"),
    path("diagnostic/steps/<uuid:code>/dismiss/", diagnostic.step_dismiss, name="diagnostic_step_dismiss"),
]

# elsewhere; the catalogue pages are public
urlpatterns = [
    path("tools/", catalogue.catalogue, name="catalogue"),
    path("tools/<slug:slug>/", catalogue.tool_detail, name="tool_detail"),
    path("free-alternatives/", catalogue.free_alternatives, name="free_alternatives"),
    path("about-the-data/", catalogue.about_data, name="about_data"),
    path("tutorials/", tutorials.library, name="tutorial_library"),
    path("tutorials/pack.pdf", tutorials.workshop_pack, name="tutorial_pack"),
    path("tutorials/<uuid:code>/", tutorials.tutorial_detail, name="tutorial_detail"),
    path("tutorials/<uuid:code>/print/", tutorials.tutorial_print, name="tutorial_print"),
    path("tutorials/<uuid:code>/pdf/", tutorials.tutorial_pdf, name="tutorial_pdf"),
    path("tutorials/<uuid:code>/helped/", tutorials.tutorial_helped, name="tutorial_helped"),
    path("tutorials/<uuid:code>/questions/", tutorials.tutorial_ask, name="tutorial_ask"),
    path(
        "tutorials/<uuid:code>/questions/<uuid:question_code>/answer/",
        tutorials.tutorial_answer,
        name="tutorial_answer",
    ),
    path("tutorials/<uuid:code>/steps/<uuid:step_code>/image/", tutorials.step_image, name="tutorial_step_image"),
    path(
        "tutorials/<uuid:code>/steps/<uuid:step_code>/image/print/",
        tutorials.step_image,
        {"size": "print"},
        name="tutorial_step_image_print",
    ),
    path("tool-proposals/", catalogue.tool_proposals, name="tool_proposals"),
    path("tool-proposals/<uuid:code>/approve/", catalogue.tool_proposal_approve, name="tool_proposal_approve"),
    path("tool-proposals/<uuid:code>/reject/", catalogue.tool_proposal_reject, name="tool_proposal_reject"),
]
