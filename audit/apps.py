from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("审计日志")

    def ready(self) -> None:
        from luodian_platform import audit

        audit.connect_signals()
        pre_migrate.connect(audit.on_pre_migrate, sender=self, dispatch_uid="audit_pre_migrate")
        # Sent once per app after the whole migration run; ours is enough (sender=self).
        post_migrate.connect(audit.on_post_migrate, sender=self, dispatch_uid="audit_post_migrate")
