"""Issue 14/17: one reveal log. Each visit phone reveal (followup.PhoneReveal) becomes, or is
matched to, a row of intake.PersonalDataReveal with subject "visit" and object "visit:<id>";
then the old table goes. Since the shared reveal service was introduced every visit call
wrote both rows (the county-wide one with reason "回访拨号(回访 #<id>)"): those are tagged
in place rather than duplicated; older calls get a new row."""

import datetime as dt

from django.db import migrations


def forwards(apps, schema_editor):
    PhoneReveal = apps.get_model("followup", "PhoneReveal")
    Reveal = apps.get_model("intake", "PersonalDataReveal")
    Party = apps.get_model("intake", "Party")
    Visit = apps.get_model("followup", "Visit")
    for old in PhoneReveal.objects.order_by("pk").iterator():
        ref = f"visit:{old.visit_id}"
        twin = (
            Reveal.objects.filter(
                party_id=old.party_id,
                actor_id=old.by_id,
                fields="phone",
                reason=f"回访拨号(回访 #{old.visit_id})",
                object_ref="",
                at__gte=old.at - dt.timedelta(seconds=5),
                at__lte=old.at + dt.timedelta(seconds=5),
            )
            .order_by("pk")
            .first()
        )
        if twin is not None:
            Reveal.objects.filter(pk=twin.pk).update(subject="visit", object_ref=ref)
            continue
        if not Party.objects.filter(pk=old.party_id).exists():
            continue  # the party is gone (case deleted): nothing left to account for
        Reveal.objects.create(
            party_id=old.party_id,
            case_id=Visit.objects.filter(pk=old.visit_id).values_list("case_id", flat=True)[0],
            actor_id=old.by_id,
            subject="visit",
            object_ref=ref,
            fields="phone",
            reason=f"回访拨号(回访 #{old.visit_id})",
            at=old.at,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("followup", "0004_portable_unique_constraints"),
        ("intake", "0010_strict_encrypted_fields_unified_reveal_log"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.DeleteModel(name="PhoneReveal"),
    ]
