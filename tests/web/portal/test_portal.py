"""The citizen portal: submit, receipt, track, feedback — with every refusal saying why."""

from __future__ import annotations

import time
from datetime import timedelta
from unittest import mock

import pytest
from captcha.models import CaptchaStore
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.enums import Channel, Kind, Rating, ReplyChannel, State
from cases.models import Attachment, AttachmentKind, Case
from tests.factories import CaseFactory, make_case_in_state
from web.portal import captcha

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%fake but well-started\n"


@pytest.fixture(autouse=True)
def fresh_cache_and_media(settings, tmp_path, request):
    # A private cache per test: limits and burnt captchas must not leak between tests, and the
    # shared Redis (if configured) must never be cleared.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"portal-test-{request.node.name}",
        }
    }
    settings.MEDIA_ROOT = str(tmp_path)


def solved() -> dict[str, str]:
    ch = captcha.new_challenge()
    return {"captcha_token": ch.token, "captcha_answer": str(ch.answer)}


def form_data(**overrides: object) -> dict:
    data = {
        "name": "王小明",
        "phone": "139-1234-5678",
        "email": "wxm@example.com",
        "kind": Kind.COMPLAINT,
        "category": "ENV-NOISE",
        "title": "工地夜间施工噪声",
        "content": "幸福路工地每晚十一点后仍在打桩，影响休息。",
        "location": "幸福路与长江路交口",
        "reply_channel": ReplyChannel.SMS,
        **solved(),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def post_form(client, data: dict, url: str = "/write/", ip: str = "10.0.0.1"):
    return client.post(url, data, REMOTE_ADDR=ip)


# --- home -------------------------------------------------------------------------------


def test_home_page_explains_the_hotline_and_links_to_every_public_entry(client):
    html = client.get("/").content.decode()
    assert "12345" in html
    for name in ("portal:write", "portal:mailbox", "portal:track", "board:list", "stats:index"):
        assert f'href="{reverse(name)}"' in html


# --- submission -------------------------------------------------------------------------


def test_web_message_creates_a_case_with_exactly_what_the_citizen_typed(client):
    upload = SimpleUploadedFile("现场.png", PNG, content_type="application/octet-stream")
    response = post_form(client, form_data(private="on", attachments=[upload]))

    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"].startswith("/receipt/")
    assert str(case.pk) != response["Location"].split("/")[2]
    assert (case.channel, case.kind, case.category.code, case.state) == (
        Channel.WEB,
        Kind.COMPLAINT,
        "ENV-NOISE",
        State.REGISTERED,
    )
    assert (case.title, case.content, case.location) == (
        "工地夜间施工噪声",
        "幸福路工地每晚十一点后仍在打桩，影响休息。",
        "幸福路与长江路交口",
    )
    assert (case.citizen_name, case.citizen_phone, case.citizen_email) == ("王小明", "13912345678", "wxm@example.com")
    assert case.publish_consent is False
    assert case.reply_channel == ReplyChannel.SMS
    assert case.registered_by is None
    event = case.events.get()
    assert (event.transition, event.actor_id, event.role, event.client_ip) == ("register", None, "citizen", "10.0.0.1")
    attachment = Attachment.objects.get()
    assert (
        attachment.case_id,
        attachment.kind,
        attachment.original_name,
        attachment.content_type,
        attachment.size,
    ) == (case.pk, AttachmentKind.CITIZEN, "现场.png", "image/png", len(PNG))
    assert attachment.file.read() == PNG


def test_mailbox_letter_is_registered_on_the_mailbox_channel_and_public_by_default(client):
    post_form(client, form_data(), url="/mailbox/")
    case = Case.objects.get()
    assert case.channel == Channel.MAILBOX
    assert case.publish_consent is True


def test_form_offers_leaf_categories_grouped_by_parent(client):
    html = client.get("/write/").content.decode()
    assert '<optgroup label="生态环境">' in html
    assert '<option value="ENV-NOISE">噪声扰民</option>' in html
    assert 'value="ENV"' not in html  # a parent is a heading, not a choice


def test_up_to_three_pdf_and_jpeg_files_are_accepted(client):
    files = [
        SimpleUploadedFile("a.pdf", PDF),
        SimpleUploadedFile("b.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 20),
        SimpleUploadedFile("c.png", PNG),
    ]
    post_form(client, form_data(attachments=files))
    assert sorted(Attachment.objects.values_list("content_type", flat=True)) == [
        "application/pdf",
        "image/jpeg",
        "image/png",
    ]


def _big_file() -> SimpleUploadedFile:
    return SimpleUploadedFile("big.png", PNG + b"\x00" * (5 * 1024 * 1024))


def _expired_captcha() -> dict[str, str]:
    ch = captcha.new_challenge()
    CaptchaStore.objects.filter(hashkey=ch.key).update(expiration=timezone.now() - timedelta(seconds=1))
    return {"captcha_token": ch.token, "captcha_answer": str(ch.answer)}


BAD_INPUTS = {
    "missing title": (lambda: {"title": ""}, "请填写标题。"),
    "bad phone": (lambda: {"phone": "12345"}, "电话号码格式不正确：应为11位手机号或带区号的固定电话。"),
    "missing phone": (lambda: {"phone": ""}, "请填写联系电话。"),
    "unknown category": (lambda: {"category": "NOPE"}, "请从列表中选择业务分类。"),
    "no kind": (lambda: {"kind": ""}, "请选择诉求类型。"),
    "email reply without email": (lambda: {"email": "", "reply_channel": "email"}, "选择邮件答复时请填写电子邮箱。"),
    "wrong captcha": (lambda: {"captcha_answer": "99"}, "验证码不正确，请输入新图片中的字符。"),
    "no captcha answer": (lambda: {"captcha_answer": ""}, "请输入图片中的验证码。"),
    "captcha answer in superscript": (lambda: {"captcha_answer": "²"}, "验证码不正确，请输入新图片中的字符。"),
    "forged captcha": (lambda: {"captcha_token": "forged:token"}, "验证码无效或已使用过，请输入新图片中的字符。"),
    "expired captcha": (_expired_captcha, "验证码已过期（有效期10分钟），请输入新图片中的字符。"),
    "oversized file": (lambda: {"attachments": [_big_file()]}, "文件“big.png”超过5MB，请压缩后再上传。"),
    "text posing as a jpg": (
        lambda: {
            "attachments": [SimpleUploadedFile("photo.jpg", b"just some text, not an image", content_type="image/jpeg")]
        },
        "文件“photo.jpg”的内容不是JPEG文件（按文件内容判断）。",
    ),
    "four files": (
        lambda: {"attachments": [SimpleUploadedFile(f"{i}.pdf", PDF) for i in range(4)]},
        "最多上传3个附件（您选择了4个）。",
    ),
}


@pytest.mark.parametrize("label", list(BAD_INPUTS))
def test_bad_input_is_refused_with_its_reason_and_creates_nothing(client, label):
    make_overrides, message = BAD_INPUTS[label]
    response = post_form(client, form_data(**make_overrides()))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Case.objects.count() == 0
    assert Attachment.objects.count() == 0


def test_a_captcha_cannot_be_used_twice(client):
    data = form_data()
    assert post_form(client, data).status_code == 302
    again = post_form(client, {**data, "title": "另一件事"})
    assert again.status_code == 400
    assert "验证码无效或已使用过，请输入新图片中的字符。" in again.content.decode()
    assert Case.objects.count() == 1


def test_a_wrong_answer_burns_the_captcha_so_it_cannot_be_guessed(client):
    data = form_data()
    right = data["captcha_answer"]
    post_form(client, {**data, "captcha_answer": right + "x"})
    retry = post_form(client, {**data, "captcha_answer": right})
    assert "验证码无效或已使用过，请输入新图片中的字符。" in retry.content.decode()
    assert Case.objects.count() == 0


def test_the_real_check_refuses_the_test_mode_answer_and_a_replayed_solution(client, settings):
    settings.CAPTCHA_TEST_MODE = False  # as in production
    page = client.get(reverse("portal:write")).content.decode()
    assert "captcha-question" not in page  # nothing to read off the page: the challenge is an image
    ch = captcha.new_challenge()
    assert ch.answer.lower() not in page.lower()
    assert client.get(ch.image_url)["Content-Type"] == "image/png"
    data = form_data(captcha_token=ch.key, captcha_answer="passed")
    assert "验证码不正确，请输入新图片中的字符。" in post_form(client, data).content.decode()
    # The right answer, replayed with a key that has been tried once, is refused too.
    replay = post_form(client, {**data, "captcha_answer": ch.answer})
    assert "验证码无效或已使用过，请输入新图片中的字符。" in replay.content.decode()
    fresh = captcha.new_challenge()
    solved_once = form_data(captcha_token=fresh.key, captcha_answer=fresh.answer.upper())
    assert post_form(client, solved_once).status_code == 302
    assert post_form(client, {**solved_once, "title": "再来一件"}).status_code == 400
    assert Case.objects.count() == 1


def test_test_mode_accepts_passed_but_uses_the_challenge_up(client, settings):
    settings.CAPTCHA_TEST_MODE = True
    ch = captcha.new_challenge()
    data = form_data(captcha_token=ch.key, captcha_answer="PASSED")
    assert post_form(client, data).status_code == 302
    assert post_form(client, {**data, "title": "另一件"}).status_code == 400
    assert not CaptchaStore.objects.filter(hashkey=ch.key).exists()


def test_a_refused_form_keeps_the_text_and_asks_a_fresh_question(client):
    data = form_data(title="")
    html = post_form(client, data).content.decode()
    assert "幸福路工地每晚十一点后仍在打桩" in html
    assert data["captcha_token"] not in html


def test_sixth_submission_from_one_address_within_ten_minutes_is_refused(client):
    for i in range(5):
        assert post_form(client, form_data(title=f"第{i}件")).status_code == 302
    refused = post_form(client, form_data(title="第六件"))
    assert refused.status_code == 429
    html = refused.content.decode()
    assert "提交过于频繁：同一网络10分钟内最多提交5件，请稍后再试；紧急事项请拨打12345。" in html
    assert "第六件" in html  # what was typed is kept
    assert Case.objects.count() == 5
    assert post_form(client, form_data(title="别的网络"), ip="10.0.0.2").status_code == 302


# --- receipt ----------------------------------------------------------------------------


def test_receipt_shows_tracking_number_and_access_code(client):
    response = post_form(client, form_data())
    case = Case.objects.get()
    page = client.get(response["Location"])
    html = page.content.decode()
    assert f'<dd class="code" id="tracking-no">{case.tracking_no}</dd>' in html
    assert f'<dd class="code" id="access-code">{case.access_code}</dd>' in html
    assert page["Cache-Control"] == "no-store"


def test_receipt_url_cannot_be_guessed_from_the_case_id(client):
    case = CaseFactory()
    response = client.get(f"/receipt/{case.pk}/")
    assert response.status_code == 302 and response["Location"] == "/track/"
    assert case.access_code not in client.get("/track/").content.decode()


def test_receipt_link_expires_after_an_hour(client):
    with mock.patch("django.core.signing.time.time", return_value=time.time() - 3601):
        location = post_form(client, form_data())["Location"]
    response = client.get(location)
    assert response.status_code == 302 and response["Location"] == "/track/"
    assert "回执链接已失效。请使用流水号和查询码查询办理进度。" in client.get("/track/").content.decode()


# --- tracking ---------------------------------------------------------------------------


def track(client, tracking_no: str, access_code: str, ip: str = "10.0.0.9"):
    return client.post("/track/", {"tracking_no": tracking_no, "access_code": access_code}, REMOTE_ADDR=ip)


def test_wrong_access_code_looks_exactly_like_an_unknown_number(client):
    case = CaseFactory()
    wrong_code = track(client, case.tracking_no, "ZZZZZZ" if case.access_code != "ZZZZZZ" else "YYYYYY")
    unknown = track(client, "2099010199999", case.access_code)
    assert wrong_code.status_code == unknown.status_code == 404
    for response in (wrong_code, unknown):
        assert "流水号或查询码不正确。" in response.content.decode()
        assert case.title not in response.content.decode()


def test_correct_pair_leads_to_the_case_page_by_post_or_get(client, users):
    case = make_case_in_state(State.ASSIGNED, users)
    response = track(client, case.tracking_no, case.access_code.lower())
    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    assert '<span class="badge state-assigned" id="case-state">已转办</span>' in html
    assert "示范区城市管理和综合执法局" in html
    assert "<strong>登记</strong>" in html and "<strong>转办</strong>" in html
    via_get = client.get("/track/", {"tracking_no": case.tracking_no, "access_code": case.access_code})
    assert via_get.status_code == 302
    assert 'id="case-state">已转办</span>' in client.get(via_get["Location"]).content.decode()


def test_repeated_failures_from_one_address_are_refused_even_with_the_right_code(client):
    case = CaseFactory()
    for _ in range(10):
        track(client, case.tracking_no, "WRONG1")
    refused = track(client, case.tracking_no, case.access_code)
    assert refused.status_code == 429
    assert "查询失败次数过多，请10分钟后再试。如忘记查询码，请拨打12345热线。" in refused.content.decode()
    assert track(client, case.tracking_no, case.access_code, ip="10.0.0.10").status_code == 302


def test_case_link_expires_after_half_an_hour(client):
    case = CaseFactory()
    with mock.patch("django.core.signing.time.time", return_value=time.time() - 1801):
        location = track(client, case.tracking_no, case.access_code)["Location"]
    response = client.get(location, follow=True)
    assert response.redirect_chain == [("/track/", 302)]
    assert "查询已超时，请重新输入流水号和查询码。" in response.content.decode()


def test_tampered_case_link_sends_the_citizen_back_to_the_lookup(client):
    case = CaseFactory()
    response = client.get(f"/track/{case.pk}:forged:sig/")
    assert response.status_code == 302 and response["Location"] == "/track/"


def test_tracking_page_shows_the_running_deadline_when_timers_exist(client):
    case = CaseFactory()
    due = timezone.localtime(case.timers.get(stage="triage").due_at)
    html = client.get(track(client, case.tracking_no, case.access_code)["Location"]).content.decode()
    assert (
        f'<dd id="deadline" data-status="running"><time datetime="{due.isoformat()}">{due:%Y-%m-%d %H:%M}</time>'
        in html
    )


def test_answered_case_shows_the_answer_and_the_feedback_form_closes_it(client, users):
    case = make_case_in_state(State.ANSWERED, users)
    page_url = track(client, case.tracking_no, case.access_code)["Location"]
    html = client.get(page_url).content.decode()
    assert "已安排执法队员现场劝离，并加强夜间巡查。" in html
    assert 'name="rating"' in html

    response = client.post(
        page_url + "feedback/", {"rating": Rating.BASICALLY_SATISFIED, "comment": "还可以"}, REMOTE_ADDR="10.0.0.9"
    )
    assert response.status_code == 302 and response["Location"] == page_url
    case.refresh_from_db()
    assert (case.state, case.rating, case.feedback_comment) == (State.CLOSED, Rating.BASICALLY_SATISFIED, "还可以")
    event = case.events.order_by("-seq").first()
    assert (event.transition, event.actor_id, event.role, event.client_ip) == ("feedback", None, "citizen", "10.0.0.9")
    after = client.get(page_url).content.decode()
    assert "感谢您的评价！" in after
    assert 'name="rating"' not in after


def test_feedback_without_a_rating_says_so_and_changes_nothing(client, users):
    case = make_case_in_state(State.ANSWERED, users)
    page_url = track(client, case.tracking_no, case.access_code)["Location"]
    response = client.post(page_url + "feedback/", {"comment": "?"})
    assert response.status_code == 400
    assert "请选择满意、基本满意或不满意。" in response.content.decode()
    case.refresh_from_db()
    assert case.state == State.ANSWERED


def test_second_feedback_is_refused_with_a_reason(client, users):
    case = make_case_in_state(State.ANSWERED, users)
    page_url = track(client, case.tracking_no, case.access_code)["Location"]
    client.post(page_url + "feedback/", {"rating": Rating.SATISFIED})
    response = client.post(page_url + "feedback/", {"rating": Rating.BASICALLY_SATISFIED}, follow=True)
    assert "该工单当前不能评价（可能已评价或已办结）。" in response.content.decode()
    case.refresh_from_db()
    assert case.rating == Rating.SATISFIED


def test_tracking_page_shows_no_personal_data(client, users):
    citizen = services.Citizen(name="欧阳娜娜", phone="13987654321", email="nana@example.com")
    case = make_case_in_state(State.ANSWERED, users, citizen=citizen)
    assert (case.citizen_phone, case.citizen_name) == ("13987654321", "欧阳娜娜")  # there is something to leak
    html = client.get(track(client, case.tracking_no, case.access_code)["Location"]).content.decode()
    assert case.title in html  # it is the case's page
    for secret in ("13987654321", "139****4321", "欧阳娜娜", "nana@example.com"):
        assert secret not in html


# --- language -----------------------------------------------------------------------------


def test_portal_speaks_english_to_an_english_browser(client):
    html = client.get("/write/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<h1>Web message</h1>" in html
    assert "Captcha: type the characters in the picture" in html
    refused = client.post("/write/", form_data(title="", phone="12345"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Please fill in Title." in refused
    assert "The phone number is not valid: give an 11-digit mobile number or a landline with its area code." in refused
