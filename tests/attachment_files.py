"""Small, real files of the six allowed types (and near misses) for the attachment tests."""

from __future__ import annotations

import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40
# A page that, served as text/html from the console's origin, reads the case page and the CSRF token.
HTML = b"<html><script>fetch('/console/cases/').then(r => r.text()).then(t => alert(t))</script></html>"

WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
EXCEL_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
WORD_MACRO_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"


def zip_of(entries: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in entries.items():
            archive.writestr(name, body)
    return buffer.getvalue()


def ooxml(main_part: str, main_type: str) -> bytes:
    types = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        f'<Override PartName="/{main_part}" ContentType="{main_type}"/></Types>'
    )
    return zip_of({"[Content_Types].xml": types, "_rels/.rels": "<Relationships/>", main_part: "<document/>"})


DOCX = ooxml("word/document.xml", WORD_MAIN)
XLSX = ooxml("xl/workbook.xml", EXCEL_MAIN)
DOCM = ooxml("word/document.xml", WORD_MACRO_MAIN)
OFD = zip_of({"OFD.xml": '<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"/>', "Doc_0/Document.xml": "<d/>"})
PLAIN_ZIP = zip_of({"readme.txt": "hello"})


def upload(name: str, body: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, body, content_type=content_type)
