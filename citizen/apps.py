from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CitizenConfig(AppConfig):
    """The citizen's side (公众端): public progress lookup, online application, evaluation
    and confirmations through signed links. Downstream of every case app."""

    name = "citizen"
    verbose_name = _("公众服务")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from intake.lifecycle import register_after_transition

        from . import messages

        # A closed round invites the applicant to evaluate it (signed link by SMS).
        register_after_transition("approve", messages.on_case_closed)
