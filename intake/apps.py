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
        _register_files_panel()
        _register_personal_data()
        _register_attachment_targets()


def _register_files_panel() -> None:
    from .evidence.views import case_files_panel
    from .panels import CasePanel, register_panel

    register_panel(
        CasePanel(
            key="files",
            template="intake/_files_panel.html",
            context=case_files_panel,
            order=60,
        )
    )


def _register_attachment_targets() -> None:
    from django.utils import timezone

    from .evidence.registry import register_attachment_target
    from .models import Case, Party, ProgressNote
    from .notes import may_write_notes

    register_attachment_target("case", label=_("案件"), model=Case, describe=lambda c: c.number)
    register_attachment_target(
        "party",
        label=_("当事人"),
        model=Party,
        describe=lambda p: f"{p.get_role_display()} {p.name}",
    )
    # Files on a progress note (a photo of the site visit, the letter sent): whoever may
    # write notes on the case.
    register_attachment_target(
        "note",
        label=_("办理进展"),
        model=ProgressNote,
        may_attach=lambda case, user: may_write_notes(user),
        describe=lambda n: (
            f"{n.get_kind_display()} {timezone.localtime(n.happened_at):%Y-%m-%d %H:%M}"
        ),
    )


def _register_personal_data() -> None:
    from django.db.models import Q

    from luodian_platform.crypto import register_personal_data

    from .evidence.services import attachments_purged, purged_name
    from .models import (
        PERSONAL_KINDS,
        PURGED_NAME,
        PURGED_NOTE_TEXT,
        Attachment,
        ChannelOrder,
        Party,
        ProgressNote,
    )

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
    # Progress notes are free text typed by officers ("called 王小明 on 138…"): their text is
    # replaced by a fixed marker, and the kind, time, author and correction link stay, so the
    # timeline still shows that the work was done and when (intake/notes.py). Their files
    # are Attachment rows and follow the rule below like any file on the case.
    # The text stays in the audit trail while the case lives (what a note said before its
    # author edited it is the point of the trail); the purge redacts it there too.
    register_personal_data(ProgressNote, purge={"text": PURGED_NOTE_TEXT})
    # Personal documents (ID copies): the file's own key is cleared and the stored object
    # deleted (intake/evidence/store.py); the row stays as "a file was here" for the record.
    register_personal_data(
        Attachment,
        purge={"data_key": None, "name": purged_name, "sha256": ""},
        scope=Q(kind__in=PERSONAL_KINDS),
        after_purge=attachments_purged,
    )
