from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        # Other apps register their own kinds in their ready(); hub imports nothing of ours,
        # so its kinds are registered here (see notifications/registry.py).
        from hub.events import install_publisher

        from .events import publish
        from .registry import register_hub_events

        register_hub_events()
        install_publisher(publish)

        from hub import personal_data

        from . import personal_data as notifications_personal_data

        personal_data.register(
            "notifications", export=notifications_personal_data.export, erase=notifications_personal_data.erase
        )
