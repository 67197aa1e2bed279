"""Page routes of the notifications app (included by frontend/urls.py)."""

from django.urls import path

from ..views import notifications

association_urlpatterns = [  # under /a/<association_slug>/
    path("notifications/follow/", notifications.follow, name="notifications_follow"),
]
urlpatterns = [  # elsewhere: a person's inbox and preferences span their associations
    path("notifications/", notifications.inbox, name="notifications_inbox"),
    path("notifications/read-all/", notifications.read_all, name="notifications_read_all"),
    path("notifications/<uuid:code>/read/", notifications.read_one, name="notifications_read"),
    path("notifications/preferences/", notifications.preferences, name="notifications_preferences"),
    path("notifications/unsubscribe/<str:token>/", notifications.unsubscribe, name="notifications_unsubscribe"),
]
