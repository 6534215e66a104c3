"""Attachments: the one way a file joins a case, whoever sends it.

Every file that comes in — the citizen's portal upload, the scan of a paper letter registered at the
desk, a department's reply, the staff API — goes through ``check_uploads`` (allowlist by content
*and* extension, size) and is stored under a name the server makes up (``models.attachment_upload_to``):
nothing the sender chose reaches the file system. The original name is kept only as metadata,
sanitised for display (``display_name``). Files sent with a new case are stored by
``services.case_register`` (its ``register`` event lists them); later ones by ``attachment_add``,
which writes an ``attach`` event. Who may read them is ``citizen_may_see`` / ``rules.can_see_case``;
the web layer's one download view asks them.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from . import rules
from .enums import ANSWER_SHOWN_STATES, Transition
from .exceptions import AttachmentTooLarge, CaseValidationError, UnsupportedFileType
from .models import Attachment, AttachmentKind, Case, User

DEFAULT_MAX_FILE_BYTES = 5 * 1024 * 1024
# Files in one request (the staff API; the portal form allows fewer). The upload handler uses it to
# bound a whole request body.
MAX_FILES_PER_REQUEST = 10
MAX_NAME = 200


def max_file_bytes() -> int:
    """The size limit of one file (settings.ATTACHMENTS_MAX_FILE_BYTES, default 5 MB)."""
    return int(getattr(settings, "ATTACHMENTS_MAX_FILE_BYTES", DEFAULT_MAX_FILE_BYTES))


def max_request_bytes() -> int:
    """No acceptable multipart body is bigger than this: the most files at the most size each, plus
    the form fields Django accepts (DATA_UPLOAD_MAX_MEMORY_SIZE) and room for the part headers."""
    fields = getattr(settings, "DATA_UPLOAD_MAX_MEMORY_SIZE", None) or 2_621_440
    return MAX_FILES_PER_REQUEST * max_file_bytes() + fields + 64 * 1024


def size_label(n: int) -> str:
    return f"{n // (1024 * 1024)}MB" if n >= 1024 * 1024 and n % (1024 * 1024) == 0 else f"{n // 1024}KB"


# --- the allowlist: six types, each recognised by its bytes and named by its extension ----------


@dataclass(frozen=True)
class FileType:
    key: str
    label: str
    content_type: str
    extensions: tuple[str, ...]


PDF = FileType("pdf", "PDF", "application/pdf", (".pdf",))
JPEG = FileType("jpeg", "JPEG", "image/jpeg", (".jpg", ".jpeg"))
PNG = FileType("png", "PNG", "image/png", (".png",))
OFD = FileType("ofd", "OFD", "application/ofd", (".ofd",))
DOCX = FileType("docx", "DOCX", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",))
XLSX = FileType("xlsx", "XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",))
FILE_TYPES = (PDF, JPEG, PNG, OFD, DOCX, XLSX)
BY_EXTENSION = {ext: t for t in FILE_TYPES for ext in t.extensions}
# What the portal's file input offers (a hint for the browser; the server decides).
ACCEPT = ",".join([*(t.content_type for t in FILE_TYPES), *BY_EXTENSION])

_ZIP_MAGIC = b"PK\x03\x04"
# The main part's content type in an Office Open XML package's [Content_Types].xml. A macro-enabled
# document (docm/xlsm) or a template declares a different one and is refused.
_OOXML_MAIN = {
    DOCX: ("word/document.xml", b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"),
    XLSX: ("xl/workbook.xml", b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
}
# [Content_Types].xml is a few KB; a bigger one (or a zip bomb posing as it) is not a document.
_MAX_CONTENT_TYPES_BYTES = 256 * 1024


def _zip_type(upload: Any) -> FileType | None:
    """OFD (GB/T 33190: an OFD.xml entry file at the root) or DOCX/XLSX (the right main part declared
    in [Content_Types].xml and present); None for any other zip, or a damaged one."""
    try:
        upload.seek(0)
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
            if "OFD.xml" in names:
                return OFD
            info = archive.getinfo("[Content_Types].xml") if "[Content_Types].xml" in names else None
            if info is None or info.file_size > _MAX_CONTENT_TYPES_BYTES:
                return None
            with archive.open(info) as fh:
                declared = fh.read(_MAX_CONTENT_TYPES_BYTES + 1)
            for file_type, (part, main) in _OOXML_MAIN.items():
                if part in names and main in declared:
                    return file_type
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError):
        return None
    finally:
        upload.seek(0)
    return None


def identify(upload: Any) -> FileType | None:
    """The allowed type these bytes are, judged by content alone; None for anything else."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(_ZIP_MAGIC):
        return _zip_type(upload)
    return None


# --- names ---------------------------------------------------------------------------------

# Bidirectional controls make "gpj.exe" display as "exe.jpg"; zero-width ones hide characters.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def display_name(raw: str | None) -> str:
    """The sender's file name as metadata to show: no path, no control or direction characters,
    spaces collapsed, at most 200 characters with the extension kept. Never used as a path."""
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _INVISIBLE.sub("", name)
    name = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        name = f"{stem[: MAX_NAME - len(ext) - 1]}.{ext}" if dot and len(ext) <= 10 else name[:MAX_NAME]
    return name or "file"


def extension_of(name: str) -> str:
    _stem, dot, ext = name.rpartition(".")
    return f".{ext.lower()}" if dot else ""


# --- checking ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed: its bytes, its type by content and extension, its name to show."""

    upload: Any
    file_type: FileType
    name: str
    size: int


def _upload_size(upload: Any) -> int:
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, 2)
        size = upload.tell()
        upload.seek(0)
    return int(size)


def check_upload(upload: Any, *, field: str = "file") -> CheckedUpload:
    """One file, or ``AttachmentTooLarge`` / ``UnsupportedFileType`` naming it. Both the extension
    and the content must be one of the six types, and the same one."""
    name = display_name(getattr(upload, "name", ""))
    size = _upload_size(upload)
    limit = max_file_bytes()
    if size > limit:
        msg = _("文件“%(name)s”超过%(max)s，请压缩后再上传。") % {"name": name, "max": size_label(limit)}
        raise AttachmentTooLarge(msg, fields={field: [msg]})
    if size == 0:
        msg = _("文件“%(name)s”是空的。") % {"name": name}
        raise UnsupportedFileType(msg, fields={field: [msg]})
    by_name = BY_EXTENSION.get(extension_of(name))
    if by_name is None:
        types = pgettext("list separator", "、").join(t.label for t in FILE_TYPES)
        msg = _("文件“%(name)s”的类型不受支持：只接受%(types)s文件。") % {"name": name, "types": types}
        raise UnsupportedFileType(msg, fields={field: [msg]})
    by_content = identify(upload)
    if by_content is not by_name:
        msg = _("文件“%(name)s”的内容不是%(type)s文件（按文件内容判断）。") % {"name": name, "type": by_name.label}
        raise UnsupportedFileType(msg, fields={field: [msg]})
    return CheckedUpload(upload=upload, file_type=by_name, name=name, size=size)


def check_uploads(
    uploads: Iterable[Any], *, field: str = "file", max_files: int = MAX_FILES_PER_REQUEST
) -> list[CheckedUpload]:
    """Every file checked; one error naming every refused file (a too-large one makes it
    ``AttachmentTooLarge``, the API's 413), so a sender fixes them all at once."""
    uploads = list(uploads)
    if len(uploads) > max_files:
        msg = _("最多上传%(n)d个附件（您选择了%(m)d个）。") % {"n": max_files, "m": len(uploads)}
        raise CaseValidationError(msg, fields={field: [msg]})
    checked, errors, too_large = [], [], False
    for upload in uploads:
        try:
            checked.append(check_upload(upload, field=field))
        except (AttachmentTooLarge, UnsupportedFileType) as exc:
            too_large = too_large or isinstance(exc, AttachmentTooLarge)
            errors.append(exc.message)
    if errors:
        error_class = AttachmentTooLarge if too_large else UnsupportedFileType
        raise error_class(errors[0], fields={field: errors})
    return checked


# --- storing -------------------------------------------------------------------------------


def store(
    *, case: Case, checked: Sequence[CheckedUpload], kind: str, actor: User | None, now: dt.datetime
) -> list[Attachment]:
    """Write the rows and the files (names from ``models.attachment_upload_to``). The caller holds the
    case (a new one, or the row lock of ``attachment_add``) inside its transaction; the caller's event
    lists what ``describe`` returns."""
    stored = []
    for item in checked:
        attachment = Attachment(
            case=case,
            kind=kind,
            original_name=item.name,
            content_type=item.file_type.content_type,
            size=item.size,
            uploaded_by=actor,
            uploaded_at=now,
        )
        item.upload.seek(0)
        # Only the extension of this name is used, and only if it is one of the six.
        attachment.file.save(f"upload{item.file_type.extensions[0]}", item.upload, save=False)
        attachment.save()
        stored.append(attachment)
    return stored


def describe(stored: Sequence[Attachment]) -> list[dict[str, Any]]:
    """The audit event's record of the files."""
    return [
        {"id": a.pk, "name": a.original_name, "kind": a.kind, "content_type": a.content_type, "size": a.size}
        for a in stored
    ]


def attachment_add(
    *,
    case: Case | int,
    actor: User | None,
    files: Iterable[Any],
    kind: str | None = None,
    field: str = "file",
    client_ip: str | None = None,
    now: dt.datetime | None = None,
) -> list[Attachment]:
    """Add files to an existing case. Checks every file first (nothing stored if one is refused:
    ``UnsupportedFileType`` 400, ``AttachmentTooLarge`` 413); then, under the case's row lock, 404 if
    the actor may not see the case and 403 unless ``rules.may_attach``; stores them and writes one
    ``attach`` event (internal) listing them. ``kind`` defaults to ``reply`` for the case's
    department and ``scan`` for anyone else. No state change, no version bump."""
    # services imports this module (registration stores its files here), so import it late.
    from .services import case_action

    checked = check_uploads(files, field=field)
    if not checked:
        msg = _("请选择要上传的文件。")
        raise CaseValidationError(msg, fields={field: [msg]})
    with case_action(
        case,
        actor=actor,
        action=Transition.ATTACH,
        may=rules.may_attach,
        denied=_("您无权为此工单添加附件。"),
        client_ip=client_ip,
        now=now,
    ) as act:
        chosen = kind or (AttachmentKind.REPLY if rules.is_case_department(actor, act.case) else AttachmentKind.SCAN)
        if chosen not in AttachmentKind.values:
            raise CaseValidationError(_("未知的附件类别：%(v)s") % {"v": chosen})
        stored = store(case=act.case, checked=checked, kind=chosen, actor=actor, now=act.now)
        act.note = "、".join(a.original_name for a in stored)
        act.data = {"attachments": describe(stored)}
    return stored


# --- reading -------------------------------------------------------------------------------


def citizen_may_see(case: Case, attachment: Attachment) -> bool:
    """The citizen who holds the access code sees what came with the case (their files, the scan of
    their letter) and the department's reply files once the answer has been given to them."""
    if attachment.case_id != case.pk:
        return False
    if attachment.kind == AttachmentKind.REPLY:
        return attachment.in_reply and case.state in ANSWER_SHOWN_STATES
    return True


def for_citizen(case: Case) -> QuerySet[Attachment]:
    """What ``citizen_may_see`` allows. Of the department's files only those its reply listed
    (``in_reply``), and only once the answer is given: a department's working papers (an internal
    inspection note, a file uploaded and not sent) never reach the citizen. The public board never
    shows files at all — a photo or a penalty decision (处罚决定书) carries names, faces and plates
    that the text redaction (cases.redaction) cannot check."""
    qs = case.attachments.all()
    if case.state not in ANSWER_SHOWN_STATES:
        return qs.exclude(kind=AttachmentKind.REPLY)
    return qs.exclude(kind=AttachmentKind.REPLY, in_reply=False)
