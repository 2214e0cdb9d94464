from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispatchConfig(AppConfig):
    name = "dispatch"
    verbose_name = _("研判调度")

    def ready(self) -> None:
        from . import dispatch_actions

        dispatch_actions.register()
