"""What files can be attached to: a registry that downstream apps fill from
``AppConfig.ready()`` (intake: the case and its parties; mediation: session records,
agreements, notices; progress notes when they exist). Each target says how to find its
object on a case, who may attach files to it, and how it is named in the file list.
Upstream code never imports the downstream models: it only reads this registry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models


@dataclass(frozen=True)
class AttachmentTarget:
    kind: str
    label: Any  # lazy Chinese name: "当事人", "调解记录"
    model: type[models.Model]
    # ORM path from the target model to its case ("case", "agreement__case").
    case_path: str = "case"
    # may_attach(case, user) -> bool: besides seeing the case, may this user add files here?
    may_attach: Callable[[Any, Any], bool] | None = None
    # describe(obj) -> str: how the object is named in the file list ("申请人 张三").
    describe: Callable[[Any], str] = str

    def resolve(self, case, target_id: int | None):
        """The target object on ``case`` with id ``target_id``, or None."""
        if target_id is None:
            return None
        if self.model is type(case):
            return case if target_id == case.pk else None
        return self.model._default_manager.filter(pk=target_id, **{self.case_path: case}).first()


TARGETS: dict[str, AttachmentTarget] = {}


def register_attachment_target(
    kind: str,
    *,
    label,
    model: type[models.Model],
    case_path: str = "case",
    may_attach: Callable[[Any, Any], bool] | None = None,
    describe: Callable[[Any], str] = str,
) -> AttachmentTarget:
    target = AttachmentTarget(
        kind=kind,
        label=label,
        model=model,
        case_path=case_path,
        may_attach=may_attach,
        describe=describe,
    )
    TARGETS[kind] = target
    return target


def target_choices() -> list[tuple[str, Any]]:
    return [(t.kind, t.label) for t in TARGETS.values()]
