from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MediationConfig(AppConfig):
    name = "mediation"
    verbose_name = _("多元调处")

    def ready(self) -> None:
        from . import mediation_actions

        mediation_actions.register()
