"""Small real files of every accepted type (and some impostors), made here rather than
shipped: PDF, JPEG, PNG, DOCX, XLSX, and OLE2 compound files (.doc/.wps, .xls/.et) written
by a minimal compound-file writer that follows [MS-CFB] (one FAT sector, one directory
sector, the stream in regular sectors)."""

from __future__ import annotations

import io
import struct
import zipfile

ENDOFCHAIN = 0xFFFFFFFE
FREESECT = 0xFFFFFFFF
FATSECT = 0xFFFFFFFD
NOSTREAM = 0xFFFFFFFF


def pdf(text: str = "劳动合同") -> bytes:
    body = text.encode("utf-8")
    return b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>stream\n" + body + b"\nendstream\n%%EOF\n"


def image(fmt: str = "PNG", size=(640, 480), color=(200, 30, 30)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt)
    return out.getvalue()


def png(**kw) -> bytes:
    return image("PNG", **kw)


def jpeg(**kw) -> bytes:
    return image("JPEG", **kw)


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return out.getvalue()


def docx(macro: bool = False) -> bytes:
    files = {
        "[Content_Types].xml": b'<?xml version="1.0"?><Types/>',
        "word/document.xml": "<w:document>工资欠条</w:document>".encode(),
    }
    if macro:
        files["word/vbaProject.bin"] = b"\x00" * 16
    return _zip(files)


def xlsx() -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active["A1"] = "考勤"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _dir_entry(name: str, kind: int, child=NOSTREAM, start=ENDOFCHAIN, size=0) -> bytes:
    encoded = (name + "\0").encode("utf-16-le") if name else b""
    return (
        encoded.ljust(64, b"\0")
        + struct.pack("<HBB", len(encoded), kind, 1)
        + struct.pack("<III", NOSTREAM, NOSTREAM, child)
        + b"\0" * 16
        + struct.pack("<I", 0)
        + b"\0" * 16
        + struct.pack("<IQ", start, size)
    )


def ole(stream: str = "WordDocument") -> bytes:
    """A compound file with one 4096-byte stream named ``stream``."""
    data = ("工资条" * 400).encode("utf-8")[:4096].ljust(4096, b"\0")
    n = len(data) // 512
    header = (
        bytes.fromhex("D0CF11E0A1B11AE1")
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack("<IIII", 0, 1, 1, 0)  # dir sectors, FAT sectors, first dir sector, txn
        + struct.pack("<IIIII", 4096, ENDOFCHAIN, 0, ENDOFCHAIN, 0)
        + struct.pack("<I", 0)  # DIFAT[0]: the FAT is sector 0
        + struct.pack("<I", FREESECT) * 108
    )
    fat = [FATSECT, ENDOFCHAIN] + [3 + i for i in range(n - 1)] + [ENDOFCHAIN]
    fat += [FREESECT] * (128 - len(fat))
    directory = (
        _dir_entry("Root Entry", 5, child=1)
        + _dir_entry(stream, 2, start=2, size=len(data))
        + _dir_entry("", 0)
        + _dir_entry("", 0)
    )
    return header + struct.pack("<128I", *fat) + directory + data


def exe() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 120 + b"This program cannot be run in DOS mode"


def signed_scan(name: str = "协议书签字扫描件.pdf", text: str = "签字页"):
    """The scan of an agreement signed on paper, as an upload (mediation.services.paper)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, pdf(text))
