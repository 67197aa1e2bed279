from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SharedToolsConfig(AppConfig):
    name = "shared_tools"
    verbose_name = _("Shared tools")

    def ready(self) -> None:
        from hub import personal_data

        from . import personal_data as shared_tools_personal_data
        from .events import register_event_kinds

        register_event_kinds()
        personal_data.register(
            "shared_tools",
            export=shared_tools_personal_data.export,
            erase=shared_tools_personal_data.erase,
            association_export=shared_tools_personal_data.association_export,
        )
