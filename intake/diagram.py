"""The lifecycle as a Mermaid state diagram, generated from the django_fsm transitions."""

from __future__ import annotations

from django_fsm import RETURN_VALUE

from .models import Case, State


def lifecycle_mermaid() -> str:
    field = Case._meta.get_field("state")
    edges: set[tuple[str, str, str]] = set()
    for t in field.get_all_transitions(Case):
        targets = t.target.allowed_states if isinstance(t.target, RETURN_VALUE) else [t.target]
        for target in targets:
            edges.add((str(t.source), str(target), t.name))
    lines = ["stateDiagram-v2", "    [*] --> received: receive", "    [*] --> registered: register"]
    for source, target, name in sorted(edges):
        lines.append(f"    {source} --> {target}: {name}")
    lines.append("    archived --> [*]")
    for value, label in State.choices:
        lines.append(f"    {value}: {value} {label}")
    return "\n".join(lines)
