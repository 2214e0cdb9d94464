"""A registry of the case actions (lifecycle transitions) that pages and the API expose.

Each app registers the actions it owns from its ``AppConfig.ready()``; the case page and
``POST /api/cases/{id}/<action>/`` are generated from this one table, so a page button and
an API endpoint can never disagree about validation or access. Upstream apps never import
downstream ones: downstream apps register here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .models import TRANSITION_LABELS, Case


@dataclass(frozen=True)
class CaseAction:
    """One lifecycle action: its input serializer and the service that performs it.

    The service is called as ``service(case_id=, actor=, expected_version=, **kwargs)`` where
    ``kwargs`` are the validated fields named in ``args`` (omitted when absent, so the
    service's default applies), or what ``prepare(validated_data)`` returns when the
    service's arguments are not the input's field names.
    """

    name: str  # the transition's name, also the URL verb
    serializer_class: type[serializers.Serializer]
    service: Callable[..., Case]
    args: tuple[str, ...] = ()
    prepare: Callable[[dict], dict] | None = None
    description: str = ""
    css: str = "btn-primary"
    # initial(case) -> {field: value}: what the page form opens with (e.g. the reply's
    # outcome taken from the case's documents); the API ignores it.
    initial: Callable[[Case], dict] | None = None

    @property
    def label(self) -> str:
        return str(TRANSITION_LABELS.get(self.name, self.name))

    def perform(self, *, case_id: int, actor, data: dict, expected_version: int | None) -> Case:
        if self.prepare is not None:
            kwargs = self.prepare(data)
        else:
            kwargs = {name: data[name] for name in self.args if name in data}
        return self.service(
            case_id=case_id, actor=actor, expected_version=expected_version, **kwargs
        )


ACTIONS: dict[str, CaseAction] = {}


def register_action(action: CaseAction) -> None:
    ACTIONS[action.name] = action


class ActionInput(serializers.Serializer):
    """Base input of every action: the case version the user saw, to detect races."""

    version = serializers.IntegerField(
        required=False, min_value=0, help_text="案件版本号(来自案件详情的 version);不一致时返回409"
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, label=_("备注"))
