"""What a file is, from its bytes (magic numbers and container structure), never its name.

Accepted (docs/intake.md, "Evidence and documents"):

| type | extensions | how it is recognised |
|------|------------|----------------------|
| PDF | .pdf | ``%PDF-`` at the start |
| JPEG | .jpg .jpeg | ``FF D8 FF``, and Pillow decodes it |
| PNG | .png | the 8-byte PNG signature, and Pillow decodes it |
| Word / WPS 文字 (OOXML) | .docx | a ZIP with ``[Content_Types].xml`` and ``word/document.xml`` |
| Excel / WPS 表格 (OOXML) | .xlsx | a ZIP with ``[Content_Types].xml`` and ``xl/workbook.xml`` |
| Word 97-2003, WPS 文字 | .doc .wps | an OLE2 compound file with a ``WordDocument`` stream |
| Excel 97-2003, WPS 表格 | .xls .et | an OLE2 compound file with a ``Workbook`` (or ``Book``) stream |

WPS Office (2005 and later) writes .wps and .et as the same OLE2 compound files as .doc and
.xls; the pre-2005 WPS formats are not accepted. Office files with macros (a VBA project)
and password-encrypted Office files are refused: their content cannot be checked and
macros are a known way in for malware. The ZIP is read through its central directory only
(nothing is decompressed), so a ZIP bomb costs nothing.
"""

from __future__ import annotations

import io
import warnings
import zipfile
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

PDF = b"%PDF-"
JPEG = b"\xff\xd8\xff"
PNG = b"\x89PNG\r\n\x1a\n"
ZIP = b"PK\x03\x04"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class FileType:
    code: str
    label: str
    content_type: str
    extensions: tuple[str, ...]


TYPES = {
    t.code: t
    for t in (
        FileType("pdf", "PDF", "application/pdf", ("pdf",)),
        FileType("jpeg", "JPEG", "image/jpeg", ("jpg", "jpeg")),
        FileType("png", "PNG", "image/png", ("png",)),
        FileType(
            "docx",
            "Word (DOCX)",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ("docx",),
        ),
        FileType(
            "xlsx",
            "Excel (XLSX)",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ("xlsx",),
        ),
        FileType("doc", "Word 97-2003 / WPS", "application/msword", ("doc", "wps")),
        FileType("xls", "Excel 97-2003 / WPS", "application/vnd.ms-excel", ("xls", "et")),
    )
}
EXTENSIONS = {ext: t for t in TYPES.values() for ext in t.extensions}
ALLOWED_LABEL = gettext_lazy("PDF、JPG、PNG、DOCX、XLSX、DOC、XLS、WPS、ET")


class Refused(ValueError):
    """The file is not one we accept; the message says why, in Chinese."""


def extension_of(name: str) -> str:
    return name.rsplit(".", 1)[1].lower() if "." in name else ""


def _zip_type(data: bytes) -> str | None:
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        raise Refused(_("文件含有宏(VBA),出于安全考虑不能上传。请另存为不含宏的文档后再上传。"))
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    return None


def _ole_type(data: bytes) -> str | None:
    import olefile

    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except (OSError, ValueError, IndexError, TypeError, AttributeError):
        return None
    try:
        streams = {"/".join(entry).lower() for entry in ole.listdir(streams=True, storages=True)}
    except (OSError, ValueError, IndexError, TypeError, AttributeError):
        return None
    finally:
        ole.close()
    if "encryptedpackage" in streams or "encryptioninfo" in streams:
        raise Refused(_("文件已加密(设置了打开密码),无法检查内容。请取消密码后再上传。"))
    if "macros" in streams or "_vba_project_cur" in streams:
        raise Refused(_("文件含有宏(VBA),出于安全考虑不能上传。请另存为不含宏的文档后再上传。"))
    if "worddocument" in streams:
        return "doc"
    if "workbook" in streams or "book" in streams:
        return "xls"
    return None


def _image_decodes(data: bytes) -> bool:
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image.verify()
    except Exception:
        return False
    return True


def sniff(data: bytes) -> str | None:
    """The type code of ``data`` from its content, or None if it is none we accept."""
    if data.startswith(PDF):
        return "pdf"
    if data.startswith(JPEG):
        return "jpeg" if _image_decodes(data) else None
    if data.startswith(PNG):
        return "png" if _image_decodes(data) else None
    if data.startswith(ZIP):
        return _zip_type(data)
    if data.startswith(OLE2):
        return _ole_type(data)
    return None


def check(name: str, data: bytes) -> FileType:
    """The file's type if its content is one we accept and matches its extension; else
    :class:`Refused` with a message a clerk can act on."""
    ext = extension_of(name)
    if ext not in EXTENSIONS:
        raise Refused(
            _("不支持的文件类型「%(ext)s」。可以上传:%(allowed)s。")
            % {"ext": f".{ext}" if ext else _("无扩展名"), "allowed": ALLOWED_LABEL}
        )
    code = sniff(data)
    if code is None:
        raise Refused(
            _(
                "文件内容不是可识别的 %(allowed)s 文件(文件名为 .%(ext)s,但内容不符或已损坏),"
                "不能上传。"
            )
            % {"allowed": ALLOWED_LABEL, "ext": ext}
        )
    if EXTENSIONS[ext].code != code:
        raise Refused(
            _("文件内容与扩展名不符:文件名为 .%(ext)s,内容却是 %(actual)s 文件。请核对后重新选择。")
            % {"ext": ext, "actual": TYPES[code].label}
        )
    return TYPES[code]
