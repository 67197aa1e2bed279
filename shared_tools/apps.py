from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SharedToolsConfig(AppConfig):
    name = "shared_tools"
    verbose_name = _("Shared tools")

    def ready(self) -> None:
        from .events import register_event_kinds

        register_event_kinds()
