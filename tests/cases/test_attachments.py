"""cases.attachments: the allowlist (content and extension must agree), generated stored names,
sanitised display names, the size limit, who may attach, and the audit event."""

from __future__ import annotations

import re

import pytest

from cases.attachments import attachment_add, check_upload, display_name
from cases.enums import State
from cases.exceptions import AttachmentTooLarge, CaseNotFound, CasePermissionDenied, UnsupportedFileType
from cases.models import Attachment, AttachmentKind
from tests.attachment_files import DOCM, DOCX, HTML, JPEG, OFD, PDF, PLAIN_ZIP, PNG, XLSX, upload
from tests.factories import make_case_in_state

pytestmark = pytest.mark.django_db

STORED = re.compile(r"^attachments/\d{4}/\d{2}/[0-9a-f]{32}\.(pdf|png|jpg|ofd|docx|xlsx)$")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.mark.parametrize(
    ("name", "body", "content_type"),
    [
        ("现场照片.png", PNG, "image/png"),
        ("letter.PDF", PDF, "application/pdf"),
        ("photo.jpeg", JPEG, "image/jpeg"),
        ("发票.ofd", OFD, "application/ofd"),
        ("答复.docx", DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("台账.xlsx", XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ],
)
def test_each_allowed_type_is_stored_under_a_generated_name_with_its_type_from_the_content(
    users, name, body, content_type
):
    case = make_case_in_state(State.IN_PROGRESS, users)
    (stored,) = attachment_add(case=case, actor=users["clerk_cgj"], files=[upload(name, body, "text/html")])
    stored.refresh_from_db()
    assert (stored.original_name, stored.content_type, stored.size, stored.kind) == (
        name,
        content_type,
        len(body),
        AttachmentKind.REPLY,
    )
    assert STORED.match(stored.file.name), stored.file.name
    assert name.rsplit(".", 1)[0] not in stored.file.name
    assert stored.file.read() == body


def test_a_pdf_named_html_is_refused_by_its_extension_and_nothing_is_stored(users):
    case = make_case_in_state(State.IN_PROGRESS, users)
    with pytest.raises(UnsupportedFileType) as refused:
        attachment_add(case=case, actor=users["clerk_cgj"], files=[upload("report.html", PDF + HTML)])
    assert refused.value.code == "unsupported_file_type"
    assert refused.value.fields == {
        "file": ["文件“report.html”的类型不受支持：只接受PDF、JPEG、PNG、OFD、DOCX、XLSX文件。"]
    }
    assert Attachment.objects.count() == 0
    assert not case.events.filter(transition="attach").exists()


@pytest.mark.parametrize(
    ("name", "body", "expected"),
    [
        ("report.pdf", HTML, "PDF"),  # a page posing as a PDF
        ("photo.png", PDF, "PNG"),  # an allowed type, but not the one the name says
        ("macro.docx", DOCM, "DOCX"),  # a macro-enabled document renamed
        ("sheet.docx", XLSX, "DOCX"),  # a spreadsheet renamed
        ("archive.xlsx", PLAIN_ZIP, "XLSX"),  # any other zip
        ("broken.ofd", b"PK\x03\x04 not really a zip", "OFD"),
    ],
)
def test_content_that_is_not_what_the_extension_says_is_refused(users, name, body, expected):
    case = make_case_in_state(State.IN_PROGRESS, users)
    with pytest.raises(UnsupportedFileType) as refused:
        attachment_add(case=case, actor=users["dispatcher"], files=[upload(name, body)])
    assert refused.value.message == f"文件“{name}”的内容不是{expected}文件（按文件内容判断）。"
    assert Attachment.objects.count() == 0


def test_one_refused_file_refuses_the_whole_batch_naming_each(users):
    case = make_case_in_state(State.IN_PROGRESS, users)
    with pytest.raises(UnsupportedFileType) as refused:
        attachment_add(
            case=case,
            actor=users["dispatcher"],
            files=[upload("ok.png", PNG), upload("a.exe", b"MZ"), upload("b.pdf", HTML)],
        )
    assert refused.value.fields["file"] == [
        "文件“a.exe”的类型不受支持：只接受PDF、JPEG、PNG、OFD、DOCX、XLSX文件。",
        "文件“b.pdf”的内容不是PDF文件（按文件内容判断）。",
    ]
    assert Attachment.objects.count() == 0


def test_a_file_over_the_limit_is_refused_as_too_large(users, settings):
    settings.ATTACHMENTS_MAX_FILE_BYTES = 1024
    case = make_case_in_state(State.IN_PROGRESS, users)
    with pytest.raises(AttachmentTooLarge) as refused:
        attachment_add(case=case, actor=users["dispatcher"], files=[upload("big.pdf", PDF + b"0" * 1024)])
    assert refused.value.code == "file_too_large"
    assert refused.value.message == "文件“big.pdf”超过1KB，请压缩后再上传。"


def test_display_names_lose_paths_and_direction_tricks_but_keep_their_words():
    assert display_name("..\\..\\windows/system32/现场.png") == "现场.png"
    assert display_name("invoice\u202egpj.exe") == "invoicegpj.exe"
    assert display_name("a\x00b\nc.pdf") == "a b c.pdf"
    assert display_name("") == "file"
    long = display_name("长" * 300 + ".pdf")
    assert len(long) == 200 and long.endswith(".pdf")


def test_a_right_to_left_override_cannot_make_an_exe_look_like_a_jpg():
    with pytest.raises(UnsupportedFileType):
        check_upload(upload("photo\u202egpj.exe", JPEG))


def test_attaching_writes_one_internal_attach_event_listing_the_files(users):
    case = make_case_in_state(State.IN_PROGRESS, users)
    version = case.version
    stored = attachment_add(
        case=case, actor=users["clerk_cgj"], files=[upload("a.pdf", PDF), upload("b.png", PNG)], client_ip="10.1.2.3"
    )
    event = case.events.order_by("-seq").first()
    assert (event.transition, event.actor_id, event.public, event.client_ip, event.note) == (
        "attach",
        users["clerk_cgj"].pk,
        False,
        "10.1.2.3",
        "a.pdf、b.png",
    )
    assert event.data == {
        "attachments": [
            {"id": stored[0].pk, "name": "a.pdf", "kind": "reply", "content_type": "application/pdf", "size": len(PDF)},
            {"id": stored[1].pk, "name": "b.png", "kind": "reply", "content_type": "image/png", "size": len(PNG)},
        ]
    }
    case.refresh_from_db()
    assert case.version == version  # no column changed: a form open elsewhere stays valid


def test_another_department_cannot_attach_and_is_told_the_case_does_not_exist(users):
    case = make_case_in_state(State.IN_PROGRESS, users)
    with pytest.raises(CaseNotFound):
        attachment_add(case=case, actor=users["clerk_hbj"], files=[upload("a.pdf", PDF)])
    assert Attachment.objects.count() == 0


def test_supervisors_read_files_but_do_not_add_them(users):
    case = make_case_in_state(State.IN_PROGRESS, users)
    with pytest.raises(CasePermissionDenied):
        attachment_add(case=case, actor=users["supervisor"], files=[upload("a.pdf", PDF)])


def test_a_closed_case_takes_no_more_files(users):
    case = make_case_in_state(State.CLOSED, users)
    with pytest.raises(CasePermissionDenied):
        attachment_add(case=case, actor=users["dispatcher"], files=[upload("a.pdf", PDF)])


def test_the_registering_agent_adds_a_scan_to_an_open_case(users):
    case = make_case_in_state(State.REGISTERED, users)  # registered by users["agent"]
    (stored,) = attachment_add(case=case, actor=users["agent"], files=[upload("来信.pdf", PDF)])
    assert stored.kind == AttachmentKind.SCAN
