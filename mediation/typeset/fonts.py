"""The fonts the PDF documents are set in, and the check that no character is dropped.

A PDF shows only what its embedded fonts can draw: a character missing from every font
prints as nothing, and a name "韦犇" becomes "韦". So before a document is drawn, every
character is given to the first font of the chain that covers it, and a character that
no font covers stops the document with a message naming it (``GlyphMissing``).

The chain (first match wins):

1. Luodian Serif SC, shipped in ``mediation/fonts`` (a subset of Noto Serif CJK SC, OFL,
   built by ``build_subset.py``): ASCII and punctuation, GB 2312, all 8,105 characters of
   the 《通用规范汉字表》 (2013) and every Extension B character Noto has (about 2,000,
   those used in names: 𠮷). Always there, so a fresh machine prints every document whose
   characters are in the table; TrueType outlines, so the text extracts cleanly.
2. HanaMin A / B (Debian ``fonts-hanazono``): the rest of Extension A and almost all of
   Extension B (42,711 of 42,720) and C–F, for rare characters of old names and places.
3. Noto Serif / Sans CJK SC (Debian ``fonts-noto-cjk``): the full fonts (traditional and
   compatibility characters). Their CFF outlines print correctly but some extractors
   (pypdf) read their text badly, hence last.

A character outside all of them is refused, never dropped; the message tells the
administrator to install the packages (``.ci/run`` installs both; README, "System
packages"). ``PDF_FONT_DIRS`` (settings) may name other directories to search. fpdf2
embeds only the glyphs a document uses, so a large font adds kilobytes to a PDF.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from luodian_platform.errors import ServiceError

BUNDLED = Path(__file__).resolve().parent.parent / "fonts" / "LuodianSerifSC-Subset.ttf"
DEFAULT_DIRS = (
    "/usr/share/fonts/opentype/noto",
    "/usr/share/fonts/truetype/hanazono",
    "/usr/share/fonts/opentype/hanazono",
)


@dataclass(frozen=True)
class FontSpec:
    family: str  # the name the PDF uses
    filename: str  # looked up in the font directories
    face: str = ""  # for a collection (.ttc): the face whose family name contains this
    package: str = ""  # the Debian package that installs it


BUNDLED_SPEC = FontSpec("LuodianSerifSC", str(BUNDLED))
CHAIN = (
    BUNDLED_SPEC,
    FontSpec("HanaMinA", "HanaMinA.ttf", "", "fonts-hanazono"),
    FontSpec("HanaMinB", "HanaMinB.ttf", "", "fonts-hanazono"),
    FontSpec("NotoSerifSC", "NotoSerifCJK-Regular.ttc", "SC", "fonts-noto-cjk"),
    FontSpec("NotoSansSC", "NotoSansCJK-Regular.ttc", "SC", "fonts-noto-cjk"),
)

# Characters that need no glyph: line breaks and the like are layout, not ink.
_NO_INK = {"\n", "\r", "\t"}


@dataclass(frozen=True)
class LoadedFont:
    spec: FontSpec
    path: str
    index: int  # face number in a collection
    cmap: frozenset[int]


class GlyphMissing(ServiceError):
    """A character no installed font can draw: the document is refused, not printed
    with a hole in a name or an address."""

    code = "glyph_missing"

    def __init__(self, char: str, where: str = ""):
        self.char = char
        message = _(
            "文书中的字符「%(char)s」(U+%(code)04X)无法用本机已安装的字体打印,"
            "为避免漏字,文书未生成。请管理员安装字体包 fonts-noto-cjk 和 fonts-hanazono,"
            "或核对该字是否录入有误。"
        ) % {"char": char, "code": ord(char)}
        if where:
            message += _("(出现在:%(where)s)") % {"where": where}
        super().__init__(message, fields={"document": message})


def _dirs() -> list[Path]:
    extra = getattr(settings, "PDF_FONT_DIRS", ()) or ()
    return [Path(d) for d in (*extra, *DEFAULT_DIRS)]


def _find(spec: FontSpec) -> Path | None:
    if Path(spec.filename).is_absolute():
        return Path(spec.filename) if Path(spec.filename).exists() else None
    for directory in _dirs():
        candidate = directory / spec.filename
        if candidate.exists():
            return candidate
    return None


def _load(spec: FontSpec, path: Path) -> LoadedFont | None:
    from fontTools.ttLib import TTCollection, TTFont

    if path.suffix.lower() == ".ttc":
        for index, face in enumerate(TTCollection(str(path), lazy=True).fonts):
            if spec.face in face["name"].getDebugName(1):
                return LoadedFont(spec, str(path), index, frozenset(face.getBestCmap()))
        return None
    return LoadedFont(spec, str(path), 0, frozenset(TTFont(str(path), lazy=True).getBestCmap()))


@functools.cache
def available_fonts() -> tuple[LoadedFont, ...]:
    """The chain as installed on this machine, read once per process (the character maps
    of the large CJK fonts take about a second to read)."""
    fonts = []
    for spec in CHAIN:
        path = _find(spec)
        if path is not None:
            loaded = _load(spec, path)
            if loaded is not None:
                fonts.append(loaded)
    return tuple(fonts)


def font_for(char: str) -> LoadedFont | None:
    code = ord(char)
    for font in available_fonts():
        if code in font.cmap:
            return font
    return None


def check_text(text: str, where: str = "") -> None:
    """Raise ``GlyphMissing`` naming the first character no font can draw."""
    for char in text:
        if char in _NO_INK or char == " ":
            continue
        if font_for(char) is None:
            raise GlyphMissing(char, where)


def fonts_needed(text: str) -> list[LoadedFont]:
    """The fonts of the chain that this text uses, in chain order."""
    used = {id(font_for(c)): font_for(c) for c in set(text) if c not in _NO_INK and c != " "}
    return [f for f in available_fonts() if id(f) in used]
