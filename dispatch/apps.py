from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispatchConfig(AppConfig):
    name = "dispatch"
    verbose_name = _("研判调度")

    def ready(self) -> None:
        from intake.models import register_event_labels, register_visibility
        from luodian_platform.roles import Role

        from . import dispatch_actions, panels, selectors, signals

        dispatch_actions.register()
        # An administrator entering a year's holidays (CalendarYear) recomputes the open
        # deadlines that were estimated over it, with an event on each case.
        from django.db.models.signals import post_delete, post_save

        from luodian_platform.models import CalendarYear, HolidayOverride

        post_save.connect(
            signals.calendar_year_entered, sender=CalendarYear, dispatch_uid="dispatch_cal_year"
        )
        for signal in (post_save, post_delete):
            signal.connect(
                signals.holiday_changed, sender=HolidayOverride, dispatch_uid="dispatch_holiday"
            )
        panels.register()
        from luodian_platform.celery import BEAT_ENTRIES

        from . import tasks

        BEAT_ENTRIES.update(tasks.beat_entries())
        from django.core.checks import register

        from .checks import check_deadline_rules, unstaffed_routing_rules

        register(unstaffed_routing_rules, "dispatch")
        register(check_deadline_rules, "dispatch")
        # Co-handling departments (协办) see the case they help with; only the lead
        # department signs for it, returns it or replies (intake's _is_handler).
        register_visibility(Role.OFFICER, selectors.co_handling_q)
        register_visibility(Role.MEDIATOR, selectors.co_handling_q)
        # Event-log rows this app writes that are not state transitions: labels for the
        # case timeline (the log is intake's; the words are ours).
        register_event_labels(
            {
                "extension_requested": _("申请延期"),
                "extension_approved": _("批准延期"),
                "extension_refused": _("不予延期"),
                "urge": _("催办"),
                "supervise": _("督办"),
                "notice": _("通报"),
                "supervision_response": _("督办回复"),
                "correction": _("问题纠偏"),
                "deadline_recomputed": _("期限按录入日历重算"),
            }
        )
