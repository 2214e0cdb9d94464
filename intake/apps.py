from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "intake"
    verbose_name = _("受理登记")

    def ready(self) -> None:
        from luodian_platform.celery import BEAT_ENTRIES

        from . import intake_actions, tasks

        intake_actions.register()
        # The outbox row of a channel's event is written in the event's transaction.
        tasks.connect()
        BEAT_ENTRIES.update(tasks.beat_entries())
        _register_personal_data()


def _register_personal_data() -> None:
    from luodian_platform.crypto import register_personal_data

    from .models import PURGED_NAME, ChannelOrder, Party

    register_personal_data(
        Party,
        purge={
            "name": PURGED_NAME,
            "id_number": None,
            "phone": None,
            "address": "",
            "credit_code": "",
        },
        audit_redacted=("credit_code",),
    )
    # The raw order is kept only as far as it identifies the order (channel + its number).
    register_personal_data(
        ChannelOrder,
        purge={
            "payload": lambda order: {
                "channel": order.channel,
                "external_id": order.external_id,
                "purged": True,
            },
            "latest_payload": None,
        },
    )
