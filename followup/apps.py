from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupConfig(AppConfig):
    name = "followup"
    verbose_name = _("回访测评")

    def ready(self) -> None:
        from django.db.models import Q

        from intake.models import State, register_visibility
        from luodian_platform.roles import Role

        from . import followup_actions

        followup_actions.register()
        # Follow-up officers work on cases that have been closed (their visits).
        register_visibility(Role.FOLLOWUP, lambda user: Q(state__in=[State.CLOSED, State.ARCHIVED]))
