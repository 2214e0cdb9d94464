"""The case (一案一码), its parties, event log and channel intake, one module per concern.

| module    | holds                                                                   |
|-----------|-------------------------------------------------------------------------|
| choices   | states, channels, risk levels, outcomes, other proceedings              |
| case      | the case and its lifecycle (django-fsm), who may perform a transition,  |
|           | ``Case.objects.visible_to`` and its registry, case numbering            |
| parties   | parties, with personal data encrypted and blind-indexed                 |
| events    | the append-only event log and the timeline's labels                     |
| channel   | channel tokens and raw channel orders                                   |
| reveals   | the one log of personal data seen in full                               |
| idempotency | keys that make a retried POST /api/cases/ register one case    |
| notes     | progress notes (办理进展), editable briefly, then corrected by new notes |
| outbound  | channels' outbound configuration, the outbox and its delivery log       |
| files     | evidence and documents (attachments) and their download log             |

Every name is importable from ``intake.models`` as before.
"""

from .case import (
    VISIBILITY_EXTENSIONS,
    Case,
    CaseCounter,
    CaseQuerySet,
    register_visibility,
)
from .channel import ChannelOrder, ChannelToken
from .choices import (
    HANDLING_STATES,
    OPEN_STATES,
    OUTCOMES_NEEDING_DOCUMENT,
    Channel,
    OtherProceeding,
    Outcome,
    RiskLevel,
    State,
    labels,
)
from .events import (
    TRANSITION_LABELS,
    CaseEvent,
    CaseEventQuerySet,
    events_bulk_create,
    events_created,
    register_event_labels,
)
from .files import PERSONAL_KINDS, Attachment, FileDownload
from .idempotency import IdempotencyKey
from .notes import PURGED_NOTE_TEXT, ProgressNote
from .outbound import ChannelOutbound, OutboundAttempt, OutboundDelivery, OutboundEvent
from .parties import PURGED_NAME, Party
from .reveals import PersonalDataReveal

__all__ = [
    "HANDLING_STATES",
    "OPEN_STATES",
    "OUTCOMES_NEEDING_DOCUMENT",
    "PERSONAL_KINDS",
    "PURGED_NAME",
    "PURGED_NOTE_TEXT",
    "TRANSITION_LABELS",
    "VISIBILITY_EXTENSIONS",
    "Attachment",
    "Case",
    "CaseCounter",
    "CaseEvent",
    "CaseEventQuerySet",
    "CaseQuerySet",
    "Channel",
    "ChannelOrder",
    "ChannelOutbound",
    "ChannelToken",
    "FileDownload",
    "IdempotencyKey",
    "OtherProceeding",
    "OutboundAttempt",
    "OutboundDelivery",
    "OutboundEvent",
    "Outcome",
    "Party",
    "PersonalDataReveal",
    "ProgressNote",
    "RiskLevel",
    "State",
    "events_bulk_create",
    "events_created",
    "labels",
    "register_event_labels",
    "register_visibility",
]
