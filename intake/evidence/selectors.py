"""Reads of evidence files for pages and the API (the caller has the visible case)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.urls import reverse

from ..models import Attachment, Case, Party, ProgressNote
from .registry import TARGETS


@dataclass
class FileRow:
    attachment: Attachment
    target_label: str
    target_name: str

    @property
    def download_url(self) -> str:
        return reverse("intake:file_download", args=[self.attachment.pk])

    @property
    def thumbnail_url(self) -> str:
        a = self.attachment
        if a.is_image and not a.personal and not a.purged:
            return reverse("intake:file_thumbnail", args=[a.pk])
        return ""


def case_files(
    *, case: Case, target_kind: str | None = None, target_id: int | None = None
) -> list[FileRow]:
    """The files of ``case`` (or of one object on it), each with the name of what it is on.
    Two queries plus one per kind of target present, however many files."""
    files = Attachment.objects.filter(case=case).select_related("uploaded_by")
    if target_kind is not None:
        files = files.filter(target_kind=target_kind, target_id=target_id)
    files = list(files)
    ids: dict[str, set[int]] = defaultdict(set)
    for f in files:
        ids[f.target_kind].add(f.target_id)
    names: dict[tuple[str, int], str] = {}
    for kind, pks in ids.items():
        target = TARGETS.get(kind)
        if target is None:
            continue
        if target.model is Case:
            objects = {case.pk: case}
        else:
            objects = target.model._default_manager.in_bulk(pks)
        for pk, obj in objects.items():
            names[(kind, pk)] = target.describe(obj)
    rows = []
    for f in files:
        target = TARGETS.get(f.target_kind)
        rows.append(
            FileRow(
                attachment=f,
                target_label=str(target.label) if target else f.target_kind,
                target_name=names.get((f.target_kind, f.target_id), ""),
            )
        )
    return rows


def upload_targets(case: Case) -> list[tuple[str, str]]:
    """(value, label) of what the case page's upload form can attach to: the case, each of
    its parties and its progress notes (the mediation pages attach to their own object)."""
    out = [(f"case:{case.pk}", str(TARGETS["case"].label))]
    label = str(TARGETS["party"].label)
    for party in Party.objects.filter(case=case).order_by("pk"):
        out.append((f"party:{party.pk}", f"{label}:{party.get_role_display()} {party.name}"))
    notes = TARGETS.get("note")
    if notes is not None:
        for note in ProgressNote.objects.filter(case=case).order_by("happened_at", "pk"):
            out.append((f"note:{note.pk}", f"{notes.label}:{notes.describe(note)}"))
    return out
