from rest_framework import serializers

from audit.models import AuditEntry


class AuditEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "at",
            "table_name",
            "object_pk",
            "action",
            "actor_id",
            "actor_label",
            "changed",
            "before",
            "after",
        ]
