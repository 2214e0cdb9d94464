"""Build the CJK font subset that the PDF documents embed.

Source: Noto Serif CJK SC Regular (SIL Open Font License 1.1; Debian package
``fonts-noto-cjk``). Its outlines are CFF; fpdf2 embeds TrueType (glyf) outlines most
reliably, so the cubic curves are converted to quadratic ones (fontTools.cu2qu) and the
font is subset to what the documents print: ASCII, the GB 2312 punctuation and full-width
rows, all 6,763 GB 2312 hanzi, all 8,105 characters of the 《通用规范汉字表》
(``tongyong_guifan_hanzi_8105.txt``) and every CJK Extension B character Noto has (about
2,000, the ones used in names such as 𠮷). TrueType outlines also give the PDF an
Identity-H encoding, which every text extractor reads (fpdf2's CFF path writes an encoding
CMap that pypdf misreads). The result is committed; rerun only to change the character set:

    .venv/bin/python mediation/fonts/build_subset.py /usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc

The OFL allows subsetting and redistribution; the subset is renamed as the licence's
Reserved Font Name clause asks for modified versions (Noto has no reserved name, but a
distinct name avoids clashing with an installed full Noto font).
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable

HERE = Path(__file__).resolve().parent
OUT = HERE / "LuodianSerifSC-Subset.ttf"
FAMILY = "Luodian Serif SC Subset"


def charset() -> str:
    chars = {chr(c) for c in range(0x20, 0x7F)}
    # GB 2312 rows 1-3 (punctuation, numbers, full-width ASCII) and 16-87 (all 6,763 hanzi,
    # levels 1 and 2: names often use level-2 characters).
    for row in [*range(0xA1, 0xA4), *range(0xB0, 0xF8)]:
        for cell in range(0xA1, 0xFF):
            try:
                chars.add(bytes([row, cell]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    # A few characters the documents print that level 1 lacks.
    chars.update("〔〕・—…“”‘’《》【】、。,;:?!()·")
    # The 8,105 characters of the 《通用规范汉字表》 (2013), 196 of them outside the BMP.
    table = HERE / "tongyong_guifan_hanzi_8105.txt"
    chars.update(line.strip() for line in table.read_text().splitlines() if line and line[0] != "#")
    # Punctuation and full-width forms, and every Extension B character the source font
    # has (rare characters of names: 𠮷).
    chars.update(chr(c) for c in [*range(0x2010, 0x2070), *range(0x3000, 0x3040)])
    chars.update(chr(c) for c in range(0xFF01, 0xFF5F))
    chars.update(chr(c) for c in EXTRA_CODEPOINTS)
    return "".join(sorted(chars))


EXTRA_CODEPOINTS: list[int] = []


def pick_sc(path: str) -> TTFont:
    if path.endswith(".ttc"):
        for font in TTCollection(path).fonts:
            if "SC" in font["name"].getDebugName(1):
                return font
        raise SystemExit("no SC face in the collection")
    return TTFont(path)


def cff_to_glyf(font: TTFont) -> None:
    glyph_set = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = font.getGlyphOrder()
    glyf.glyphs = {}
    for name in glyf.glyphOrder:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyf[name] = pen.glyph()
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for attr in (
        "maxZones",
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, attr, 0)
    maxp.maxZones = 1
    font["head"].indexToLocFormat = 0
    font["head"].glyphDataFormat = 0
    font["post"].formatType = 3.0  # no glyph names: smaller
    font.sfntVersion = "\x00\x01\x00\x00"


def main(source: str) -> None:
    font = pick_sc(source)
    EXTRA_CODEPOINTS.extend(c for c in font.getBestCmap() if 0x20000 <= c <= 0x2A6DF)
    options = subset.Options()
    options.layout_features = ["kern", "vert", "vrt2"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.hinting = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=charset())
    subsetter.subset(font)
    cff_to_glyf(font)
    name = font["name"]
    for record in name.names:
        if record.nameID in (1, 4, 16):
            record.string = FAMILY
        elif record.nameID == 6:
            record.string = FAMILY.replace(" ", "")
    font.save(OUT)
    print(OUT, OUT.stat().st_size, "bytes")


if __name__ == "__main__":
    main(
        sys.argv[1]
        if len(sys.argv) > 1
        else "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"
    )
