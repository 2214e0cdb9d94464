from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupConfig(AppConfig):
    name = "followup"
    verbose_name = _("回访测评")

    def ready(self) -> None:
        from django.db.models import Q

        from intake.lifecycle import register_after_transition
        from intake.models import register_event_labels, register_visibility
        from luodian_platform.celery import BEAT_ENTRIES
        from luodian_platform.roles import Role

        from . import followup_actions, signals, snapshots, sources, tasks

        followup_actions.register()
        register_event_labels({"visit_reassign": _("改派回访")})
        # Closing a case schedules its follow-up visits in the same transaction.
        register_after_transition("approve", _schedule_visits_on_close)
        signals.connect()
        snapshots.connect()
        sources.register_available()
        BEAT_ENTRIES.update(tasks.beat_entries())

        # Follow-up officers see the cases with visits assigned to them (a subquery, so
        # several visits of one case do not repeat it in lists).
        def assigned_visits(user) -> Q:
            from .models import Visit

            return Q(pk__in=Visit.objects.filter(assignee=user).values("case_id"))

        register_visibility(Role.FOLLOWUP, assigned_visits)

        # Visits on the case page: the timeline and a panel, each visit linked.
        from intake.notes import register_timeline_source
        from intake.panels import CasePanel, register_panel

        from . import workbench

        register_timeline_source("visits", workbench.timeline_entries)
        register_panel(
            CasePanel(
                key="visits",
                template="followup/_case_visits.html",
                context=workbench.case_panel,
                order=80,
                column="side",
            )
        )


def _schedule_visits_on_close(case, event) -> None:
    from . import services

    services.visits_schedule(case=case, at=case.closed_at)
