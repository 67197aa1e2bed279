"""Page routes of workshops (included by frontend/urls.py)."""

from django.urls import path

from ..views import workshops

# under /a/<association_slug>/: the members' side
association_urlpatterns = [
    path("workshops/", workshops.workshop_list, name="workshop_list"),
    path("workshops/mine/", workshops.my_workshops, name="my_workshops"),
    path("workshops/<uuid:code>/", workshops.workshop_detail, name="workshop_detail"),
    path("workshops/<uuid:code>/register/", workshops.workshop_register, name="workshop_register"),
    path("workshops/<uuid:code>/cancel-registration/", workshops.workshop_unregister, name="workshop_unregister"),
    path("workshops/<uuid:code>/calendar.ics", workshops.workshop_calendar_file, name="workshop_calendar"),
]

# under /n/<network_slug>/: the conseillers' side
network_urlpatterns = [
    path("workshops/", workshops.network_workshops, name="network_workshops"),
    path("workshops/new/", workshops.network_workshop_new, name="network_workshop_new"),
    path("workshops/<uuid:code>/", workshops.network_workshop, name="network_workshop"),
    path("workshops/<uuid:code>/edit/", workshops.network_workshop_edit, name="network_workshop_edit"),
    path("workshops/<uuid:code>/cancel/", workshops.network_workshop_cancel, name="network_workshop_cancel"),
    path(
        "workshops/<uuid:code>/attendance.csv",
        workshops.network_workshop_attendance_csv,
        name="network_workshop_attendance_csv",
    ),
    path("workshops/<uuid:code>/calendar.ics", workshops.network_workshop_calendar, name="network_workshop_calendar"),
]
