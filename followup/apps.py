from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupConfig(AppConfig):
    name = "followup"
    verbose_name = _("回访测评")

    def ready(self) -> None:
        from django.db.models import Q

        from intake.models import register_visibility
        from luodian_platform.celery import BEAT_ENTRIES
        from luodian_platform.roles import Role

        from . import followup_actions, signals, sources, tasks

        followup_actions.register()
        signals.connect()
        sources.register_available()
        BEAT_ENTRIES.update(tasks.beat_entries())

        # Follow-up officers see the cases with visits assigned to them (a subquery, so
        # several visits of one case do not repeat it in lists).
        def assigned_visits(user) -> Q:
            from .models import Visit

            return Q(pk__in=Visit.objects.filter(assignee=user).values("case_id"))

        register_visibility(Role.FOLLOWUP, assigned_visits)
