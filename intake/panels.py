"""Case page panels registered by downstream apps (routing suggestion, deadlines and
extensions, mediation sessions and documents, visits…). The case page renders each panel's
template with the context its function returns; upstream code never imports downstream."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .models import Case


@dataclass(frozen=True)
class CasePanel:
    key: str
    template: str
    # context(case=..., user=..., request=...) -> dict, or None to hide the panel
    context: Callable[..., dict | None]
    order: int = 100
    column: str = "main"  # "main" (left, wide) or "side" (right, next to the timeline)
    # Action pages that show this panel above their form (the approval page shows the
    # documents a reply rests on).
    actions: tuple[str, ...] = ()


PANELS: dict[str, CasePanel] = {}


def register_panel(panel: CasePanel) -> None:
    PANELS[panel.key] = panel


def panels_for(
    *, case: Case, user, request, action: str | None = None
) -> list[tuple[CasePanel, dict]]:
    """The panels of the case page, or with ``action`` those shown on that action's page."""
    out = []
    for panel in sorted(PANELS.values(), key=lambda p: (p.order, p.key)):
        if action is not None and action not in panel.actions:
            continue
        ctx = panel.context(case=case, user=user, request=request)
        if ctx is not None:
            out.append((panel, ctx))
    return out
