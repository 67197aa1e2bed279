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
