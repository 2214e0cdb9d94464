"""Re-encrypt personal data with the newest key.

Rotation: prepend a new salt to FIELD_ENCRYPTION_SALTS (the old ones stay so existing rows
still decrypt), run this command, then drop the old salt. See docs/security.md."""

from django.core.management.base import BaseCommand
from django.db import transaction

from intake.models import ChannelOrder, Party


class Command(BaseCommand):
    help = "Re-encrypt parties' ID numbers/phones and raw channel orders with the first key."

    def handle(self, *args, **options):
        counts = {}
        for model, fields in ((Party, ["id_number", "phone"]), (ChannelOrder, ["payload"])):
            n = 0
            pks = list(model.objects.values_list("pk", flat=True))
            for start in range(0, len(pks), 500):
                with transaction.atomic():
                    for obj in model.objects.select_for_update().filter(
                        pk__in=pks[start : start + 500]
                    ):
                        obj.save(update_fields=fields)
                        n += 1
            counts[model.__name__] = n
        self.stdout.write(", ".join(f"{k}: {v} re-encrypted" for k, v in counts.items()))
