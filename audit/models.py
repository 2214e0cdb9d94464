"""The audit trail's table. Rows are written by database triggers (``luodian_platform.audit``),
never by this model; the application can read them but not change them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("The audit trail is append-only.")

    def delete(self):
        raise TypeError("The audit trail is append-only.")

    def bulk_update(self, *args, **kwargs):
        raise TypeError("The audit trail is append-only.")


class AuditEntry(models.Model):
    class Action(models.TextChoices):
        INSERT = "INSERT", _("新增")
        UPDATE = "UPDATE", _("修改")
        DELETE = "DELETE", _("删除")

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(_("时间"), db_index=True)
    table_name = models.CharField(_("数据表"), max_length=63)
    object_pk = models.CharField(_("记录编号"), max_length=64, blank=True)
    action = models.CharField(_("操作"), max_length=6, choices=Action.choices)
    # The user's id, not a foreign key: the trail must outlive users and never block a write.
    actor_id = models.BigIntegerField(_("操作人编号"), null=True, blank=True, db_index=True)
    actor_label = models.CharField(_("操作人"), max_length=150, default="system")
    changed = models.JSONField(_("变更字段"), default=list, blank=True)
    before = models.JSONField(_("变更前"), null=True, blank=True)
    after = models.JSONField(_("变更后"), null=True, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        default_permissions = ("view",)
        indexes = [
            models.Index(fields=["table_name", "object_pk"], name="audit_object_idx"),
            models.Index(fields=["actor_label", "at"], name="audit_actor_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.table_name}#{self.object_pk}"

    def save(self, *args, **kwargs):
        raise TypeError("Audit rows are written by the database triggers only.")

    def delete(self, *args, **kwargs):
        raise TypeError("The audit trail is append-only.")

    @property
    def changes(self) -> list[tuple[str, object, object]]:
        """(column, before, after) for the columns this row changed (all columns for an
        insert or a delete)."""
        before, after = self.before or {}, self.after or {}
        names = self.changed or sorted(set(before) | set(after))
        return [(n, before.get(n), after.get(n)) for n in names]
