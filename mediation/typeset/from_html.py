"""The PDF is set from the same template as the printable HTML page (one source): the
document's ``<article>`` is rendered once and read back here into blocks for
``DocumentPDF``.

What is read: ``<h1>`` the title; ``<h2>`` headings; ``<p>`` paragraphs; ``<li>`` numbered
paragraphs; a table row ``<tr>`` as "header: cell" (the signature lines); ``<br>`` a line
break; ``<img data-png="key">`` an image taken from ``images[key]`` (a drawn signature);
``<div class="keep-together">`` blocks set on one page. ``.doc-number`` (the page header
carries it), ``.no-print`` and ``.visually-hidden`` are skipped, as the browser's print
does."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from .pdf import BODY_SIZE, LINE_HEIGHT, Block

SKIP_CLASSES = {"doc-number", "no-print", "visually-hidden"}
VOID = {"br", "img", "hr", "input", "meta", "link"}
_SPACE = re.compile(r"\s+")


@dataclass
class Parsed:
    title: str = ""
    # each item is a Block, or a list of Blocks kept together
    items: list = field(default_factory=list)


class _Reader(HTMLParser):
    def __init__(self, images: dict[str, bytes]):
        super().__init__(convert_charrefs=True)
        self.images = images
        self.out = Parsed()
        self.stack: list[tuple[str, bool]] = []  # (tag, skipping)
        self.text: list[str] | None = None
        self.kind = ""
        self.image: bytes | None = None
        self.group: list[Block] | None = None
        self.item_no = 0

    def _skipping(self) -> bool:
        return any(skip for _tag, skip in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = set((attrs.get("class") or "").split())
        if tag == "br":
            if self.text is not None and not self._skipping():
                self.text.append("\n")
            return
        if tag == "img":
            key = attrs.get("data-png")
            if key and self.images.get(key) and not self._skipping():
                self.image = self.images[key]
            return
        if tag in VOID:
            return
        self.stack.append((tag, bool(classes & SKIP_CLASSES)))
        if self._skipping():
            return
        if tag == "div" and "keep-together" in classes:
            self.group = []
        elif tag == "ol":
            self.item_no = 0
        elif tag in ("h1", "h2", "p", "li", "tr") and self.text is None:
            self.text, self.kind, self.image = [], tag, None
            if tag == "li":
                self.item_no += 1
                self.text.append(f"{self.item_no}. ")
        elif tag == "td" and self.text is not None and self.kind == "tr":
            self.text.append(":")

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        skipping = self._skipping()
        while self.stack:
            open_tag, _skip = self.stack.pop()
            if open_tag == tag:
                break
        if skipping:
            return
        if tag == "div" and self.group is not None:
            if self.group:
                self.out.items.append(self.group)
            self.group = None
        elif tag == self.kind and self.text is not None:
            self._flush()

    def handle_data(self, data):
        if self.text is not None and not self._skipping():
            self.text.append(data)

    def _flush(self):
        raw = "".join(self.text or [])
        text = "\n".join(_SPACE.sub(" ", part).strip() for part in raw.split("\n")).strip()
        kind, image = self.kind, self.image
        self.text, self.kind, self.image = None, "", None
        if kind == "h1":
            self.out.title = text
            return
        if kind == "h2":
            block = Block(text=text, size=13, height=8, space_before=2)
        else:
            block = Block(
                text=text or "—",
                size=BODY_SIZE,
                height=LINE_HEIGHT,
                image=image,
                image_height=16 if image else 0,
            )
        (self.group if self.group is not None else self.out.items).append(block)


def parse_document(html: str, images: dict[str, bytes] | None = None) -> Parsed:
    start = html.find("<article")
    end = html.rfind("</article>")
    reader = _Reader(images or {})
    reader.feed(html[start : end + len("</article>")] if start >= 0 else html)
    reader.close()
    return reader.out
