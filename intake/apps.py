from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "intake"
    verbose_name = _("受理登记")

    def ready(self) -> None:
        from . import intake_actions

        intake_actions.register()
