from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies: list = []

    operations = [
        migrations.CreateModel(
            name="AuditEntry",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("at", models.DateTimeField(db_index=True, verbose_name="时间")),
                ("table_name", models.CharField(max_length=63, verbose_name="数据表")),
                ("object_pk", models.CharField(blank=True, max_length=64, verbose_name="记录编号")),
                (
                    "action",
                    models.CharField(
                        choices=[("INSERT", "新增"), ("UPDATE", "修改"), ("DELETE", "删除")],
                        max_length=6,
                        verbose_name="操作",
                    ),
                ),
                (
                    "actor_id",
                    models.BigIntegerField(
                        blank=True, db_index=True, null=True, verbose_name="操作人编号"
                    ),
                ),
                (
                    "actor_label",
                    models.CharField(default="system", max_length=150, verbose_name="操作人"),
                ),
                ("changed", models.JSONField(blank=True, default=list, verbose_name="变更字段")),
                ("before", models.JSONField(blank=True, null=True, verbose_name="变更前")),
                ("after", models.JSONField(blank=True, null=True, verbose_name="变更后")),
            ],
            options={
                "verbose_name": "审计记录",
                "verbose_name_plural": "审计记录",
                "ordering": ["-id"],
                "default_permissions": ("view",),
                "indexes": [
                    models.Index(fields=["table_name", "object_pk"], name="audit_object_idx"),
                    models.Index(fields=["actor_label", "at"], name="audit_actor_at_idx"),
                ],
            },
        ),
    ]
