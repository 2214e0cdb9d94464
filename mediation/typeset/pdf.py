"""The page every PDF document is set on: fonts with fallback, Chinese line breaking,
the document and case numbers on every page, "第 X 页 共 Y 页", blocks kept together.

Text goes through ``DocumentPDF.para``/``heading``/``keep_together`` only: each checks that
every character has a font (``fonts.check_text``, which refuses rather than drops), makes
the punctuation full-width (``layout.full_width``) and breaks lines by the Chinese rules
(``layout.break_lines``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _
from fpdf import FPDF

from . import fonts, layout

# fpdf2 subsets the fonts through fontTools, which logs every glyph list at INFO.
logging.getLogger("fontTools").setLevel(logging.WARNING)

BODY_SIZE = 11.5
LINE_HEIGHT = 7.0
MARGIN_X = 24
MARGIN_TOP = 24
MARGIN_BOTTOM = 22


@dataclass
class Block:
    """A paragraph, heading or image to be set; ``keep_together`` measures a list of them."""

    text: str = ""
    size: float = BODY_SIZE
    height: float = LINE_HEIGHT
    image: bytes | None = None  # a PNG (a signature), drawn after the text
    image_height: float = 0.0
    align: str = "L"
    space_before: float = 0.0
    lines: list[str] = field(default_factory=list)
    # lines that end a paragraph: set flush left; the others are justified
    last: set[int] = field(default_factory=set)


class DocumentPDF(FPDF):
    def __init__(self, title: str, number: str, case_number: str = ""):
        super().__init__(format="A4", unit="mm")
        self.doc_title = title
        self.doc_number = number or _("(草稿,未编号)")
        self.case_number = case_number
        self.keep = [n for n in (number, case_number) if n]
        self._families: list[str] = []
        self.set_margins(MARGIN_X, MARGIN_TOP, MARGIN_X)
        self.set_auto_page_break(True, margin=MARGIN_BOTTOM)
        self.alias_nb_pages("{nb}")
        self.set_title(f"{title} {self.doc_number}")
        self.set_creator(f"{settings.COUNTY_NAME}一站式矛盾纠纷化解平台")
        self._ensure(title + self.doc_number + self.case_number + "第页共0123456789:")
        self.add_page()
        self.set_font(self._families[0], size=20)
        self.cell(0, 14, title, align="C", new_x="LMARGIN", new_y="NEXT")
        self.set_font(self._families[0], size=BODY_SIZE)
        self.ln(2)

    # --- fonts ---------------------------------------------------------------------
    def _ensure(self, text: str, where: str = "") -> None:
        fonts.check_text(text, where)
        needed = fonts.fonts_needed(text) or list(fonts.available_fonts()[:1])
        added = False
        for font in needed:
            if font.spec.family not in self._families:
                self.add_font(font.spec.family, "", font.path, collection_font_number=font.index)
                self._families.append(font.spec.family)
                added = True
        if added and len(self._families) > 1:
            # Fallbacks in chain order, whatever order they were first needed in.
            order = [f.spec.family for f in fonts.available_fonts()]
            fallbacks = sorted(self._families[1:], key=order.index)
            self.set_fallback_fonts(fallbacks)

    def _font(self, size: float) -> None:
        self.set_font(self._families[0], size=size)

    # --- page furniture --------------------------------------------------------------
    def header(self) -> None:
        self._font(9)
        self.set_y(10)
        left = _("文书编号:%(n)s") % {"n": self.doc_number}
        right = _("案件编号:%(n)s") % {"n": self.case_number} if self.case_number else ""
        self.cell(0, 6, left, align="L")
        self.set_x(self.l_margin)
        self.cell(0, 6, right, align="R", new_x="LMARGIN", new_y="NEXT")
        self.line(self.l_margin, 16.5, self.w - self.r_margin, 16.5)
        self.set_y(MARGIN_TOP)
        self._font(BODY_SIZE)

    def footer(self) -> None:
        self.set_y(-15)
        self._font(9)
        self.cell(
            0, 8, _("第 %(x)s 页 共 %(y)s 页") % {"x": self.page_no(), "y": "{nb}"}, align="C"
        )

    # --- text ------------------------------------------------------------------------
    def _lines(self, text: str, size: float) -> list[str]:
        self._font(size)
        width = self.w - self.l_margin - self.r_margin - 2 * self.c_margin
        return layout.break_lines(text, width, self.get_string_width, keep=self.keep)

    def prepare(self, block: Block) -> Block:
        text = layout.full_width(block.text or "")
        self._ensure(text, where=text[:30])
        block.lines, block.last = [], set()
        for paragraph in text.split("\n") if text else []:
            block.lines += self._lines(paragraph, block.size)
            block.last.add(len(block.lines) - 1)
        return block

    def block_height(self, block: Block) -> float:
        return (
            block.space_before
            + len(block.lines) * block.height
            + (block.image_height + 2 if block.image else 0)
        )

    def draw(self, block: Block) -> None:
        if block.space_before:
            self.ln(block.space_before)
        self._font(block.size)
        width = self.w - self.l_margin - self.r_margin - 2 * self.c_margin
        for i, line in enumerate(block.lines):
            # Chinese text is set justified: the space left on a full line is spread
            # between its characters (not between "words", which Chinese has none of).
            spacing = 0.0
            if block.align == "L" and i not in block.last and len(line) > 1:
                spare = width - self.get_string_width(line)
                spacing = max(0.0, spare / (len(line) - 1)) * self.k  # in points
            self.set_char_spacing(spacing)
            self.cell(0, block.height, line, align=block.align, new_x="LMARGIN", new_y="NEXT")
            self.set_char_spacing(0)
        if block.image:
            import io

            if self.will_page_break(block.image_height + 2):
                self.add_page()
            self.image(io.BytesIO(block.image), x=self.l_margin + 8, h=block.image_height)
            self.ln(2)

    def para(self, text: str, size: float = BODY_SIZE) -> None:
        self.draw(self.prepare(Block(text=text or "—", size=size)))

    def heading(self, text: str) -> None:
        self.draw(self.prepare(Block(text=text, size=13, height=8, space_before=2)))

    def keep_together(self, blocks: list[Block]) -> None:
        """Draw the blocks on one page: if they do not fit below, start a new page (the
        signature area stays with the paragraph that it signs)."""
        blocks = [self.prepare(b) for b in blocks]
        total = sum(self.block_height(b) for b in blocks)
        room = self.page_break_trigger - self.get_y()
        if total > room and total <= self.page_break_trigger - MARGIN_TOP:
            self.add_page()
        for block in blocks:
            self.draw(block)

    def output_bytes(self) -> bytes:
        return bytes(self.output())
