"""Reading PDFs back in tests (pypdf).

fpdf2 embeds CFF-outline CJK fonts (Noto CJK) with a two-byte encoding CMap; pypdf reads
the text right but emits a NUL before each character. The characters and their order
are what the tests check, so the NULs are dropped here. (poppler's pdftotext reads the
same files without them.)"""

from __future__ import annotations

import io

from pypdf import PdfReader


def pdf_pages(content: bytes) -> list[str]:
    return [
        (page.extract_text() or "").replace("\x00", "")
        for page in PdfReader(io.BytesIO(content)).pages
    ]


def pdf_text(content: bytes) -> str:
    return "".join(pdf_pages(content))


def pdf_lines(content: bytes) -> list[str]:
    return [line.strip() for page in pdf_pages(content) for line in page.split("\n")]
