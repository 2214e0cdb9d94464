"""Chinese line breaking and punctuation for the PDF documents (pure functions).

The rules are those of 《中文排版需求》 (W3C, clreq §3.1 "行首行尾禁则") and GB/T 15834-2011
《标点符号用法》 as printers apply them:

- a closing mark (。,、;:?!)」』】〕》〉” and the like) never starts a line: it stays on
  the line of the character before it;
- an opening mark ((「『【〔《〈“ and the like) never ends a line: it moves to the next
  line with the character after it;
- "……" and "——" are one mark and are not split;
- numbers, phone numbers (0854-7611234, 13885412301), ID numbers (52272819900101123X),
  amounts (12,000.50), dates and case numbers (a run of Latin letters and digits joined by
  - . / : _ ,) are never split; so is any string the caller names in ``keep`` (a document
  number such as "LD调协〔2026〕12号").

A line is filled greedily with these unbreakable units ("push out": a mark that does not
fit pulls the character before it to the next line). A unit wider than a whole line (a
pathological 200-digit number) is cut by character as the last resort, so nothing is lost.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

# clreq 3.1.7: characters not allowed at the start of a line.
NO_START = set("。.,,、;;::??!!))]]}}」』】〕〗》〉”’\"'%‰℃°·・…—～~々〻ゝゞ")
# characters not allowed at the end of a line.
NO_END = set("((［[{{「『【〔〖《〈“‘")

_RUN = re.compile(r"[0-9A-Za-z]+(?:[-./:_,][0-9A-Za-z]+)*")
_DOUBLE = re.compile(r"……|——")


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return (
        0x3400 <= code <= 0x9FFF
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x3134F
        or 0x3000 <= code <= 0x303F
        or 0xFF00 <= code <= 0xFFEF
    )


# Escaped: the full-width forms look like their ASCII twins in an editor (and have been
# lost to that before): U+FF0C ，U+FF1B ；U+FF1A ：U+FF1F ？U+FF01 ！
_HALF_TO_FULL = {",": "\uff0c", ";": "\uff1b", ":": "\uff1a", "?": "\uff1f", "!": "\uff01"}


def full_width(text: str) -> str:
    """GB/T 15834: Chinese text takes full-width marks. ASCII , ; : ? ! written after a
    Chinese character, parentheses around Chinese text and straight double quotes in a
    Chinese sentence become their full-width forms; marks inside numbers (12,000.50;
    10:30) and Latin text are left as they are."""
    if not text:
        return text
    chars = list(text)
    out = []
    quote_open = True
    for i, c in enumerate(chars):
        prev = out[-1] if out else ""  # as written so far: "）;" follows Chinese too
        nxt = chars[i + 1] if i + 1 < len(chars) else ""
        if c in _HALF_TO_FULL and prev and _is_cjk(prev):
            out.append(_HALF_TO_FULL[c])
        elif c == "(" and nxt and _is_cjk(nxt):
            out.append("\uff08")
        elif c == ")" and prev and _is_cjk(prev):
            out.append("\uff09")
        elif c == '"' and ((prev and _is_cjk(prev)) or (nxt and _is_cjk(nxt))):
            out.append("“" if quote_open else "”")
            quote_open = not quote_open
        else:
            out.append(c)
    return "".join(out)


def units(text: str, keep: Iterable[str] = ()) -> list[str]:
    """The text cut into pieces that a line break may fall between (and spaces)."""
    keep = sorted({k for k in keep if k}, key=len, reverse=True)
    pieces: list[str] = []
    i = 0
    while i < len(text):
        hit = next((k for k in keep if text.startswith(k, i)), None)
        if hit:
            pieces.append(hit)
            i += len(hit)
            continue
        match = _RUN.match(text, i) or _DOUBLE.match(text, i)
        if match:
            run = match.group()
            pieces.append(run)
            i += len(run)
            continue
        pieces.append(text[i])
        i += 1
    # Glue: a closing mark joins the piece before it, an opening mark the piece after it.
    glued: list[str] = []
    carry = ""
    for piece in pieces:
        if piece == " ":
            if carry:
                glued.append(carry)
                carry = ""
            glued.append(piece)
            continue
        if piece[0] in NO_START and glued and glued[-1] != " " and not carry:
            glued[-1] += piece
            continue
        piece = carry + piece
        carry = ""
        if piece[-1] in NO_END:
            carry = piece
            continue
        glued.append(piece)
    if carry:
        glued.append(carry)
    return glued


def break_lines(
    text: str, width: float, measure: Callable[[str], float], keep: Iterable[str] = ()
) -> list[str]:
    """The lines of one paragraph (``\\n`` starts a new line), each no wider than
    ``width`` by ``measure`` unless a single unbreakable unit is wider."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for piece in units(paragraph, keep):
            candidate = line + piece
            if not line or measure(candidate) <= width:
                if not line and piece == " ":
                    continue
                line = candidate
                if measure(line) > width:  # a single unit wider than a line
                    lines.extend(_cut(line, width, measure)[:-1])
                    line = _cut(line, width, measure)[-1]
                continue
            lines.append(line.rstrip())
            line = "" if piece == " " else piece
            if measure(line) > width:
                lines.extend(_cut(line, width, measure)[:-1])
                line = _cut(line, width, measure)[-1]
        lines.append(line.rstrip())
    return lines


def _cut(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    out, line = [], ""
    for char in text:
        if line and measure(line + char) > width:
            out.append(line)
            line = ""
        line += char
    out.append(line)
    return out
