from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = _("Governance")

    def ready(self) -> None:
        from hub import personal_data

        from . import personal_data as governance_personal_data
        from .events import register_event_kinds

        register_event_kinds()
        personal_data.register(
            "governance",
            export=governance_personal_data.export,
            erase=governance_personal_data.erase,
            association_export=governance_personal_data.association_export,
        )
