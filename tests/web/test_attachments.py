"""Attachments at the edges: the one download view (who gets the bytes, with which headers), the
staff API's upload endpoint, the size limit enforced while the body streams in, and the console and
portal pages that link files through the view. /media/ serves nothing."""

from __future__ import annotations

import io
import re
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import ClientHandler
from django.urls import reverse
from rest_framework.authtoken.models import Token

from cases import services
from cases.attachments import attachment_add
from cases.enums import Channel, State
from cases.models import Attachment, AttachmentKind, Case
from tests.attachment_files import DOCX, HTML, PDF, PNG, upload
from tests.factories import CaseFactory, make_case_in_state, reply_form, reply_kwargs
from tests.web.api.api_helpers import assert_error, staff_client

pytestmark = pytest.mark.django_db

THREE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox; default-src 'none'",
}


@pytest.fixture(autouse=True)
def _media_and_cache(settings, tmp_path, request):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": f"att-{request.node.name}"}
    }


@pytest.fixture
def filed(users):
    """A CGJ case in progress whose citizen has a full phone number (what a leak would show), with
    the citizen's PNG and the department's PDF."""
    case = make_case_in_state(State.IN_PROGRESS, users)
    (photo,) = attachment_add(case=case, actor=users["dispatcher"], files=[upload("现场 照片.png", PNG)])
    (reply,) = attachment_add(case=case, actor=users["clerk_cgj"], files=[upload("答复.pdf", PDF)])
    return case, photo, reply


def url_of(attachment: Attachment) -> str:
    return f"/attachments/{attachment.pk}/"


def assert_download(response, attachment: Attachment, body: bytes) -> None:
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == body
    assert response["Content-Type"] == attachment.content_type
    for header, value in THREE_HEADERS.items():
        assert response[header] == value
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename=")
    assert f"filename*=UTF-8''{quote(attachment.original_name, safe='')}" in disposition


# --- who gets the bytes ------------------------------------------------------------------


def test_without_a_session_a_file_is_the_same_404_as_an_unknown_one(client, filed):
    _case, photo, _reply = filed
    anonymous = client.get(url_of(photo))
    unknown = client.get("/attachments/999999/")
    assert anonymous.status_code == unknown.status_code == 404
    assert anonymous.content == unknown.content


def test_media_no_longer_serves_attachments(client, settings, filed):
    settings.DEBUG = True  # the old leak lived under DEBUG
    _case, photo, _reply = filed
    assert photo.file.name.startswith("attachments/")
    assert client.get(f"/media/{photo.file.name}").status_code == 404


def test_a_clerk_of_another_department_gets_404(client, users, filed):
    _case, photo, _reply = filed
    client.force_login(users["clerk_hbj"])
    assert client.get(url_of(photo)).status_code == 404


def test_staff_who_may_see_the_case_download_it_with_the_safe_headers(client, users, filed):
    _case, photo, reply = filed
    client.force_login(users["clerk_cgj"])
    assert_download(client.get(url_of(photo)), photo, PNG)
    client.force_login(users["supervisor"])
    assert_download(client.get(url_of(reply)), reply, PDF)


def test_an_api_token_downloads_too(client, users, filed):
    _case, photo, _reply = filed
    token = Token.objects.create(user=users["dispatcher"])
    assert_download(client.get(url_of(photo), HTTP_AUTHORIZATION=f"Token {token.key}"), photo, PNG)
    assert client.get(url_of(photo), HTTP_AUTHORIZATION="Token not-a-token").status_code == 404


def test_the_ascii_fallback_name_cannot_smuggle_a_parameter(client, users):
    case = make_case_in_state(State.IN_PROGRESS, users)
    (odd,) = attachment_add(case=case, actor=users["dispatcher"], files=[upload('a";filename=x.html;.pdf', PDF)])
    client.force_login(users["dispatcher"])
    disposition = client.get(url_of(odd))["Content-Disposition"]
    fallback = re.match(r'attachment; filename="([^"]*)"; filename\*=', disposition)
    assert fallback is not None and fallback.group(1) == "a__filename=x.html_.pdf"


def track(client, case: Case, code: str):
    return client.post("/track/", {"tracking_no": case.tracking_no, "access_code": code}, REMOTE_ADDR="10.9.9.9")


def test_the_citizen_with_the_right_access_code_downloads_from_the_tracking_page(client, filed):
    case, photo, reply = filed
    page_url = track(client, case, case.access_code)["Location"]
    html = client.get(page_url).content.decode()
    token = page_url.strip("/").split("/")[-1]
    link = f"/attachments/{photo.pk}/?t={quote(token, safe='')}"
    assert f'href="{link}"' in html
    assert "/media/" not in html
    assert f"/attachments/{reply.pk}/" not in html  # the reply's files come with the answer
    client.cookies.clear()  # the token is the proof, not a session
    assert_download(client.get(link), photo, PNG)
    assert client.get(f"/attachments/{reply.pk}/?t={quote(token, safe='')}").status_code == 404


def test_the_citizen_sees_the_reply_files_once_answered(client, users, filed):
    case, _photo, reply = filed
    services.case_reply(**reply_kwargs(), case=case, actor=users["clerk_cgj"], text="已处理。", attachments=[reply.pk])
    services.case_approve(case=case, actor=users["dispatcher"], answer="")
    case.refresh_from_db()
    page_url = track(client, case, case.access_code)["Location"]
    token = page_url.strip("/").split("/")[-1]
    assert f"/attachments/{reply.pk}/?t=" in client.get(page_url).content.decode()
    assert_download(client.get(f"/attachments/{reply.pk}/", {"t": token}), reply, PDF)


def test_a_wrong_access_code_or_another_cases_token_gets_404(client, users, filed):
    case, photo, _reply = filed
    wrong = "ZZZZZZ" if case.access_code != "ZZZZZZ" else "YYYYYY"
    assert track(client, case, wrong).status_code == 404
    other = CaseFactory(actor=users["agent"])
    other_token = track(client, other, other.access_code)["Location"].strip("/").split("/")[-1]
    assert client.get(f"/attachments/{photo.pk}/", {"t": other_token}).status_code == 404
    assert client.get(f"/attachments/{photo.pk}/", {"t": f"{case.pk}:forged:signature"}).status_code == 404


# --- the staff API -------------------------------------------------------------------------


def api_upload(client, case: Case, *files: SimpleUploadedFile):
    return client.post(f"/api/v1/cases/{case.tracking_no}/attachments/", {"file": list(files)}, format="multipart")


def test_the_api_stores_several_files_and_answers_201_with_each(users):
    case = make_case_in_state(State.IN_PROGRESS, users)
    response = api_upload(staff_client(users["clerk_cgj"]), case, upload("a.pdf", PDF), upload("b.docx", DOCX))
    assert response.status_code == 201, response.content
    stored = list(Attachment.objects.filter(case=case).order_by("pk"))
    assert response.json() == [
        {"id": a.pk, "name": a.original_name, "size": a.size, "content_type": a.content_type, "url": url_of(a)}
        for a in stored
    ]
    assert [a.original_name for a in stored] == ["a.pdf", "b.docx"]


def test_the_api_refuses_a_wrong_type_with_400_unsupported_file_type(users):
    case = make_case_in_state(State.IN_PROGRESS, users)
    response = api_upload(staff_client(users["dispatcher"]), case, upload("report.html", PDF))
    error = assert_error(response, 400, "unsupported_file_type")
    assert error["fields"] == {"file": ["文件“report.html”的类型不受支持：只接受PDF、JPEG、PNG、OFD、DOCX、XLSX文件。"]}
    assert Attachment.objects.count() == 0


def test_the_api_refuses_a_big_file_with_413_file_too_large(users, settings):
    settings.ATTACHMENTS_MAX_FILE_BYTES = 100 * 1024
    case = make_case_in_state(State.IN_PROGRESS, users)
    response = api_upload(staff_client(users["dispatcher"]), case, upload("big.pdf", PDF + b"0" * 200 * 1024))
    error = assert_error(response, 413, "file_too_large")
    assert error["fields"] == {"file": ["文件“big.pdf”超过100KB，请压缩后再上传。"]}
    assert Attachment.objects.count() == 0


def test_the_api_wants_a_file(users):
    case = make_case_in_state(State.IN_PROGRESS, users)
    error = assert_error(api_upload(staff_client(users["dispatcher"]), case), 400, "invalid")
    assert error["fields"] == {"file": ["请选择要上传的文件。"]}


def test_the_api_hides_a_case_of_another_department_and_forbids_supervisors(users):
    case = make_case_in_state(State.IN_PROGRESS, users)
    assert_error(api_upload(staff_client(users["clerk_hbj"]), case, upload("a.pdf", PDF)), 404, "not_found")
    assert_error(api_upload(staff_client(users["supervisor"]), case, upload("a.pdf", PDF)), 403, "forbidden")
    assert Attachment.objects.count() == 0


def test_the_case_detail_lists_attachments_with_their_url(users, filed):
    case, photo, reply = filed
    body = staff_client(users["clerk_cgj"]).get(f"/api/v1/cases/{case.tracking_no}/").json()
    assert [(a["id"], a["name"], a["kind"], a["url"]) for a in body["attachments"]] == [
        (photo.pk, "现场 照片.png", "scan", url_of(photo)),
        (reply.pk, "答复.pdf", "reply", url_of(reply)),
    ]


# --- the size limit while streaming -----------------------------------------------------------


class CountingBody(io.RawIOBase):
    """A multipart body of one huge file produced on the fly (never held in memory), counting
    how much of it the server reads."""

    def __init__(self, boundary: str, size: int) -> None:
        self.head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="huge.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n%PDF-1.7\n"
        ).encode()
        self.tail = f"\r\n--{boundary}--\r\n".encode()
        self.total = len(self.head) + size + len(self.tail)
        self.filler = size
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        pos, out = self.read_bytes, bytearray()
        want = len(buffer)
        while len(out) < want and pos < self.total:
            if pos < len(self.head):
                piece = self.head[pos : pos + want - len(out)]
            elif pos < len(self.head) + self.filler:
                piece = b"0" * min(want - len(out), len(self.head) + self.filler - pos)
            else:
                start = pos - len(self.head) - self.filler
                piece = self.tail[start : start + want - len(out)]
            out += piece
            pos += len(piece)
        buffer[: len(out)] = out
        self.read_bytes = pos
        return len(out)


def wsgi_post(path: str, body: CountingBody, boundary: str, token: str) -> tuple[str, bytes]:
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "REMOTE_ADDR": "10.7.7.7",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BufferedReader(body),
        "CONTENT_TYPE": f"multipart/form-data; boundary={boundary}",
        "CONTENT_LENGTH": str(body.total),
        "HTTP_AUTHORIZATION": f"Token {token}",
    }
    # Django's own test handler (it keeps the test's database connection open), fed a real stream.
    response = ClientHandler(enforce_csrf_checks=False)(environ)
    return str(response.status_code), response.content


@pytest.mark.parametrize("size_mb", [40, 80])
def test_an_over_limit_body_is_cut_off_while_streaming_not_read_whole(users, size_mb):
    """5 MB per file: a 40 MB file stops being read just past 5 MB; an 80 MB body (bigger than any
    acceptable request) is refused at its first file chunk."""
    case = make_case_in_state(State.IN_PROGRESS, users)
    token = Token.objects.create(user=users["dispatcher"]).key
    boundary = "----casecenter-test-boundary"
    body = CountingBody(boundary, size_mb * 1024 * 1024)
    status, content = wsgi_post(f"/api/v1/cases/{case.tracking_no}/attachments/", body, boundary, token)
    assert status.startswith("413"), content[:300]
    assert b'"code":"file_too_large"' in content
    limit = 5 * 1024 * 1024
    assert body.read_bytes <= limit + 256 * 1024, body.read_bytes
    assert body.read_bytes < body.total // 7
    assert Attachment.objects.count() == 0


# --- the pages ------------------------------------------------------------------------------


def test_the_console_case_page_links_files_through_the_download_view(client, users, filed):
    case, photo, reply = filed
    client.force_login(users["clerk_cgj"])
    html = client.get(reverse("console:case", args=[case.tracking_no])).content.decode()
    assert f'href="/attachments/{photo.pk}/"' in html and f'href="/attachments/{reply.pk}/"' in html
    assert "/media/" not in html


def test_the_desk_registers_a_letter_with_its_scan(client, users):
    client.force_login(users["agent"])
    response = client.post(
        reverse("console:desk"),
        {
            "channel": Channel.LETTER,
            "citizen_phone": "13912345678",
            "citizen_name": "李四",
            "kind": "complaint",
            "category": "CITY-VEND",
            "title": "来信反映占道经营",
            "content": "信件内容见扫描件。",
            "priority": "normal",
            "publish_consent": "on",
            "attachments": [upload("来信扫描.pdf", PDF)],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    case = Case.objects.get(title="来信反映占道经营")
    scan = case.attachments.get()
    assert (scan.kind, scan.original_name, scan.uploaded_by_id) == (
        AttachmentKind.SCAN,
        "来信扫描.pdf",
        users["agent"].pk,
    )
    register = case.events.get(transition="register")
    assert register.data["attachments"][0]["id"] == scan.pk


def test_the_desk_refuses_a_bad_scan_and_registers_nothing(client, users):
    client.force_login(users["agent"])
    response = client.post(
        reverse("console:desk"),
        {
            "channel": Channel.LETTER,
            "citizen_phone": "13912345678",
            "kind": "complaint",
            "category": "CITY-VEND",
            "title": "来信",
            "content": "内容",
            "priority": "normal",
            "attachments": [upload("scan.pdf", HTML)],
        },
    )
    assert response.status_code == 400
    assert "文件“scan.pdf”的内容不是PDF文件（按文件内容判断）。" in response.content.decode()
    assert not Case.objects.filter(title="来信").exists()


def reply_post(client, case: Case, *files):
    return client.post(
        reverse("console:case_action", args=[case.tracking_no, "reply"]),
        {"version": case.version, "text": "已安排执法队员现场处理。", "attachments": list(files), **reply_form()},
    )


def test_a_department_replies_with_files(client, users):
    case = make_case_in_state(State.IN_PROGRESS, users)
    client.force_login(users["clerk_cgj"])
    assert reply_post(client, case, upload("处理照片.png", PNG)).status_code == 302
    case.refresh_from_db()
    assert case.state == State.REPLIED
    assert list(case.attachments.values_list("kind", "original_name")) == [(AttachmentKind.REPLY, "处理照片.png")]


def test_a_reply_with_a_refused_file_is_not_sent(client, users):
    case = make_case_in_state(State.IN_PROGRESS, users)
    client.force_login(users["clerk_cgj"])
    response = reply_post(client, case, upload("report.html", PDF))
    assert response.status_code == 400
    assert "文件“report.html”的类型不受支持" in response.content.decode()
    case.refresh_from_db()
    assert case.state == State.IN_PROGRESS and case.attachments.count() == 0


def test_the_portal_refuses_a_pdf_named_html(client):
    from web.portal import captcha

    challenge = captcha.new_challenge()
    response = client.post(
        "/write/",
        {
            "name": "王小明",
            "phone": "13912345678",
            "kind": "complaint",
            "category": "ENV-NOISE",
            "title": "噪声",
            "content": "夜间施工。",
            "reply_channel": "sms",
            "captcha_token": challenge.token,
            "captcha_answer": str(challenge.answer),
            "attachments": [upload("report.html", PDF + HTML, "text/html")],
        },
        REMOTE_ADDR="10.8.8.8",
    )
    assert response.status_code == 400
    assert "文件“report.html”的类型不受支持：只接受PDF、JPEG、PNG、OFD、DOCX、XLSX文件。" in response.content.decode()
    assert Case.objects.count() == 0 and Attachment.objects.count() == 0


def test_with_x_accel_redirect_nginx_gets_the_path_after_the_check_and_the_same_headers(client, users, settings, filed):
    settings.ATTACHMENTS_X_ACCEL_REDIRECT = "/protected-attachments/"
    _case, photo, _reply = filed
    assert client.get(url_of(photo)).status_code == 404  # still checked first
    assert "X-Accel-Redirect" not in client.get(url_of(photo))
    client.force_login(users["clerk_cgj"])
    response = client.get(url_of(photo))
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/protected-attachments/{photo.file.name}"
    assert response.content == b""
    assert response["Content-Type"] == "image/png"
    for header, value in THREE_HEADERS.items():
        assert response[header] == value
    assert response["Content-Disposition"].startswith("attachment; ")


@pytest.mark.parametrize(
    ("name", "value"), [("ATTACHMENTS_MAX_FILE_BYTES", "5MB"), ("ATTACHMENTS_X_ACCEL_REDIRECT", "protected")]
)
def test_a_bad_attachment_setting_stops_the_process_naming_it(name, value):
    from tests.test_settings import run_manage

    result = run_manage("check", **{name: value})
    assert result.returncode != 0
    assert f"{name}={value!r}" in result.stderr


def test_a_portal_upload_cut_off_at_the_limit_says_why_and_keeps_what_arrived(client, settings):
    from web.portal import captcha

    settings.ATTACHMENTS_MAX_FILE_BYTES = 64 * 1024
    challenge = captcha.new_challenge()
    data = {
        "title": "工地夜间施工噪声",  # before the file: arrives
        "attachments": [upload("现场.png", PNG + b"\x00" * 200 * 1024)],
        "name": "王小明",  # after the file: never read
        "phone": "13912345678",
        "kind": "complaint",
        "category": "ENV-NOISE",
        "content": "夜间施工。",
        "reply_channel": "sms",
        "captcha_token": challenge.token,
        "captcha_answer": str(challenge.answer),
    }
    response = client.post("/write/", data, REMOTE_ADDR="10.8.8.9")
    html = response.content.decode()
    assert response.status_code == 400
    assert "文件“现场.png”超过64KB，请压缩后再上传。" in html
    assert 'value="工地夜间施工噪声"' in html
    assert Case.objects.count() == 0 and Attachment.objects.count() == 0
