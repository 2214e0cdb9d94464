from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CitizenConfig(AppConfig):
    """The citizen's side (公众端): public progress lookup, online application, evaluation
    and confirmations through signed links. Downstream of every case app."""

    name = "citizen"
    verbose_name = _("公众服务")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from followup.demo_year.steps import register_step
        from intake.lifecycle import register_after_transition
        from intake.models import register_event_labels
        from intake.panels import CasePanel, register_panel
        from luodian_platform.celery import BEAT_ENTRIES
        from luodian_platform.crypto import register_personal_data

        from . import messages, panels, tasks
        from .models import Confirmation

        # A party's own words about their case go with the case's personal data.
        register_personal_data(Confirmation, purge={"comment": ""}, audit_redacted=("comment",))

        # A closed round invites the applicant to evaluate it (signed link by SMS); a
        # reply with a notice asks the parties to confirm its receipt.
        register_after_transition("approve", messages.on_case_closed)
        register_after_transition("reply", messages.on_case_replied)
        # The party SMS outbox signs our links when it sends (they are never stored).
        messages.register_links()
        # The demo year: some applicants evaluate through the SMS link.
        from .demo_year import evaluate_by_link

        register_step("citizen_evaluate", evaluate_by_link)
        BEAT_ENTRIES.update(tasks.beat_entries())
        register_event_labels(panels.EVENT_LABELS)
        register_panel(
            CasePanel(
                key="citizen",
                template="citizen/_case_panel.html",
                context=panels.case_panel,
                order=90,
                column="side",
            )
        )
