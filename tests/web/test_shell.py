"""The staff shell (web/shell.py): one menu on every staff page, one 403 page, one redirect guard,
one client address."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.http import HttpRequest
from django.test import RequestFactory
from django.urls import reverse

from cases.enums import Publication, State
from cases.models import Case, CaseEvent
from tests.factories import PASSWORD, make_case_in_state
from tests.web.api.api_helpers import assert_error, unique_ip
from web.shell import client_address, safe_next

pytestmark = pytest.mark.django_db

ALL = {"agent", "dispatcher", "clerk_cgj", "supervisor", "admin"}
OVERSIGHT = {"dispatcher", "supervisor", "admin"}

# Every staff page a person opens (GET), with who may see it. "{no}" is a case every role can see.
PAGES: dict[str, set[str]] = {
    "console:desk": {"agent", "dispatcher", "clerk_cgj", "admin"},
    "console:queue": {"dispatcher", "admin"},
    "console:inbox": {"clerk_cgj"},
    "console:cases": ALL,
    "console:case": ALL,
    "sla_pages:board": {"supervisor", "admin"},
    "publication:queue": OVERSIGHT,
    "publication:edit": OVERSIGHT,
    "reports:monthly": OVERSIGHT,
    "telephony_desk:dissatisfied": {"supervisor", "admin"},
    "telephony_desk:report": OVERSIGHT,
    "notifications:list": ALL,
    "notifications:preferences": ALL,
    "kb_pages:list": ALL,
    "kb_pages:create": {"dispatcher", "clerk_cgj", "admin"},
    "insight:hotspots": {"supervisor", "admin"},
    "insight:wallboard": OVERSIGHT,
}
WITH_CASE = {"console:case", "publication:edit"}

# Each role's whole menu, in order: the same on every page (insight's hotspots and wallboard last).
MENUS = {
    "agent": ["/console/desk/", "/console/cases/", "/console/kb/", "/notifications/"],
    "clerk_cgj": ["/console/inbox/", "/console/desk/", "/console/cases/", "/console/kb/", "/notifications/"],
    "dispatcher": [
        "/console/queue/",
        "/console/desk/",
        "/console/cases/",
        "/console/kb/",
        "/telephony/desk/calls/report/",
        "/console/publication/",
        "/console/reports/",
        "/notifications/",
        "/console/insight/wallboard/",
    ],
    "supervisor": [
        "/console/cases/",
        "/console/kb/",
        "/console/sla/board/",
        "/telephony/desk/dissatisfied/",
        "/telephony/desk/calls/report/",
        "/console/publication/",
        "/console/reports/",
        "/notifications/",
        "/console/insight/hotspots/",
        "/console/insight/wallboard/",
    ],
    "admin": [
        "/console/queue/",
        "/console/desk/",
        "/console/cases/",
        "/console/kb/",
        "/console/sla/board/",
        "/telephony/desk/dissatisfied/",
        "/telephony/desk/calls/report/",
        "/console/publication/",
        "/console/reports/",
        "/console/leader/reports/",
        "/notifications/",
        "/console/insight/hotspots/",
        "/console/insight/wallboard/",
    ],
}


@pytest.fixture
def shared_case(users):
    """Assigned to CGJ (so clerk_cgj sees it) and awaiting publication (so the edit page opens)."""
    case = make_case_in_state(State.ASSIGNED, users)
    Case.objects.filter(pk=case.pk).update(publication=Publication.PENDING)
    return case


def url_of(name: str, case: Case) -> str:
    return reverse(name, args=[case.tracking_no]) if name in WITH_CASE else reverse(name)


def menu(html: str) -> list[str]:
    nav = re.search(r'<nav class="site-nav">(.*?)</nav>', html, re.DOTALL)
    assert nav, "no console menu on the page"
    return re.findall(r'<a href="([^"]+)"', nav.group(1))


def signed_in(client, user):
    assert client.login(request=HttpRequest(), username=user.username, password=PASSWORD)
    return client


@pytest.mark.parametrize("page", sorted(PAGES))
def test_every_staff_page_shows_each_role_its_one_whole_menu(client, users, shared_case, page):
    for who in sorted(PAGES[page]):
        signed_in(client, users[who])
        response = client.get(url_of(page, shared_case))
        assert response.status_code == 200, (page, who)
        assert menu(response.content.decode()) == MENUS[who], (page, who)
        assert f"{users[who].username} · " in response.content.decode()  # who is signed in, with the role
        client.logout()


@pytest.mark.parametrize("who", sorted(ALL))
def test_no_menu_entry_leads_to_a_403(client, users, who):
    signed_in(client, users[who])
    assert {href: client.get(href).status_code for href in MENUS[who]} == dict.fromkeys(MENUS[who], 200)


def test_a_clerk_without_a_department_has_no_inbox_in_the_menu(client, users):
    clerk = users["clerk_hbj"]
    clerk.department = None
    clerk.save(update_fields=["department"])
    signed_in(client, clerk)
    assert client.get(reverse("console:inbox")).status_code == 403
    assert menu(client.get(reverse("console:cases")).content.decode()) == [
        "/console/desk/",
        "/console/cases/",
        "/console/kb/",
        "/notifications/",
    ]


@pytest.mark.parametrize("page", sorted(p for p, allowed in PAGES.items() if allowed != ALL))
def test_a_role_that_may_not_see_a_page_gets_the_one_403_page_with_its_menu(client, users, shared_case, page):
    for who in sorted(ALL - PAGES[page]):
        signed_in(client, users[who])
        response = client.get(url_of(page, shared_case))
        html = response.content.decode()
        assert response.status_code == 403, (page, who)
        assert response.templates[0].name == "console/error.html", (page, who)
        assert "<h1>无权访问</h1>" in html
        assert menu(html) == MENUS[who], (page, who)
        assert "data-ws-topic" not in html  # an error page is never a live page
        client.logout()


@pytest.mark.parametrize("page", sorted(PAGES))
def test_signed_out_a_staff_page_sends_to_the_console_login_and_back(client, org, shared_case, page):
    url = url_of(page, shared_case)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('console:login')}?next={url}"


def test_a_page_keeps_its_live_topic_and_the_menu_marks_where_you_are(client, users):
    signed_in(client, users["supervisor"])
    html = client.get(reverse("sla_pages:board")).content.decode()
    assert 'data-ws-topic="board"' in html
    assert '<a href="/console/sla/board/" aria-current="page" class="current">' in html


def test_portal_pages_carry_no_staff_menu_even_for_a_signed_in_clerk(client, users):
    signed_in(client, users["clerk_cgj"])
    html = client.get(reverse("portal:track")).content.decode()
    assert "/console/inbox/" not in html


# --- safe_next ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "secure", "expected"),
    [
        ("/console/cases/?page=2", False, "/console/cases/?page=2"),
        ("http://testserver/console/queue/", False, "http://testserver/console/queue/"),
        ("https://testserver/console/queue/", True, "https://testserver/console/queue/"),
        ("http://testserver/console/queue/", True, "/fallback/"),  # never from https down to http
        ("https://evil.example/console/", False, "/fallback/"),
        ("//evil.example/console/", False, "/fallback/"),
        ("javascript:alert(1)", False, "/fallback/"),
        ("", False, "/fallback/"),
    ],
)
def test_safe_next_stays_on_this_host(target, secure, expected):
    request = RequestFactory().post("/x/", {"next": target}, secure=secure)
    assert safe_next(request, "/fallback/") == expected


def test_safe_next_reads_the_query_when_the_form_has_none():
    request = RequestFactory().get("/x/", {"next": "/console/inbox/"})
    assert safe_next(request, "/fallback/") == "/console/inbox/"


def test_staff_posts_refuse_to_redirect_off_site_and_follow_a_local_next(client, users):
    signed_in(client, users["clerk_cgj"])
    off_site = client.post(reverse("notifications:mark_all_read"), {"next": "https://evil.example/"})
    assert off_site["Location"] == reverse("notifications:list")
    local = client.post(reverse("notifications:mark_all_read"), {"next": "/console/inbox/"})
    assert local["Location"] == "/console/inbox/"
    # The SLA forms take any page of this site now (before: only /console/ ones), never another site.
    # (no decision chosen: the form goes back with a message before anything is looked up)
    decide = reverse("sla_pages:extension_decide", args=[999999])
    assert client.post(decide, {"next": "/notifications/"})["Location"] == "/notifications/"
    assert client.post(decide, {"next": "//evil.example/"})["Location"] == reverse("sla_pages:board")


# --- client_address ------------------------------------------------------------------------------


def request_from(remote: str | None, forwarded: str | None = None):
    meta = {}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    request = RequestFactory().get("/", **meta)
    if remote is None:
        del request.META["REMOTE_ADDR"]
    else:
        request.META["REMOTE_ADDR"] = remote
    return request


@pytest.fixture
def behind_proxies(settings):
    settings.TRUSTED_PROXIES = ("10.0.0.0/8", "2001:db8::/32")
    return settings


def test_without_trusted_proxies_x_forwarded_for_is_ignored(settings):
    settings.TRUSTED_PROXIES = ()
    assert client_address(request_from("198.51.100.7", "203.0.113.1")) == "198.51.100.7"


def test_a_spoofed_x_forwarded_for_from_an_untrusted_peer_is_ignored(behind_proxies):
    assert client_address(request_from("198.51.100.7", "10.0.0.1, 203.0.113.1")) == "198.51.100.7"


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        ("203.0.113.5", "203.0.113.5"),
        # The client wrote the left part itself: only the entry our proxy appended counts.
        ("6.6.6.6, 203.0.113.5", "203.0.113.5"),
        # Two of our proxies in a row: skip both, take the first address they did not write.
        ("6.6.6.6, 203.0.113.5, 10.2.3.4", "203.0.113.5"),
        ("203.0.113.5 ,  10.2.3.4 ", "203.0.113.5"),
        ("2001:db8::1, 2001:db8:1::9", "2001:db8::1"),  # every hop a trusted proxy: the farthest one
        ("::ffff:203.0.113.5", "203.0.113.5"),
        ("", "10.0.0.2"),  # a request from the proxy itself (health check)
    ],
)
def test_from_a_trusted_proxy_the_client_address_it_forwarded_is_used(behind_proxies, forwarded, expected):
    assert client_address(request_from("10.0.0.2", forwarded)) == expected


@pytest.mark.parametrize(
    "forwarded",
    [
        "unknown",
        "203.0.113.5:443",
        "<script>",
        "999.1.1.1",
        "\x00",
        ",,,",
        "1.2.3.4, not-an-ip",
        "a" * 5000,
        "203.0.113.5\n10.0.0.9",
    ],
)
def test_malformed_x_forwarded_for_never_crashes_and_never_invents_an_address(behind_proxies, forwarded):
    address = client_address(request_from("10.0.0.2", forwarded))
    assert address in {"10.0.0.2", "1.2.3.4"}


@pytest.mark.parametrize("remote", [None, "", "not-an-ip"])
def test_no_usable_peer_address_is_none(behind_proxies, remote):
    assert client_address(request_from(remote, "203.0.113.5")) is None


def test_ipv4_mapped_peer_is_matched_against_ipv4_proxies(behind_proxies):
    assert client_address(request_from("::ffff:10.0.0.2", "203.0.113.5")) == "203.0.113.5"


def test_the_audit_trail_records_the_forwarded_client_behind_a_trusted_proxy(client, users, behind_proxies):
    case = make_case_in_state(State.ASSIGNED, users)
    signed_in(client, users["clerk_cgj"])
    client.post(
        reverse("console:case_reveal", args=[case.tracking_no]),
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.77",
    )
    client.post(
        reverse("console:case_reveal", args=[case.tracking_no]),
        REMOTE_ADDR="198.51.100.3",
        HTTP_X_FORWARDED_FOR="203.0.113.77",
    )
    reveals = CaseEvent.objects.filter(case=case, transition="reveal").order_by("seq")
    assert [e.client_ip for e in reveals] == ["203.0.113.77", "198.51.100.3"]


def test_a_citizen_without_a_usable_address_is_recorded_without_one(client, users):
    # Before: the portal recorded "unknown" in an IP column (PostgreSQL refuses it for inet).
    case = make_case_in_state(State.ANSWERED, users)
    page_url = client.post(
        "/track/", {"tracking_no": case.tracking_no, "access_code": case.access_code}, REMOTE_ADDR=""
    )["Location"]
    response = client.post(page_url + "feedback/", {"rating": "satisfied", "comment": ""}, REMOTE_ADDR="")
    assert response.status_code == 302
    event = CaseEvent.objects.filter(case=case).order_by("-seq").first()
    assert (event.transition, event.client_ip) == ("feedback", None)


def fresh(prefix: str) -> str:
    """An address of ``prefix`` (two octets) no other run has used: the throttles' cache may be shared."""
    return f"{prefix}.{unique_ip().split('.', 2)[2]}"


def failed_lookup(client, **headers: str) -> int:
    return client.get(
        "/api/v1/public/track/", {"tracking_no": "2026110100001", "access_code": "XXXXXX"}, **headers
    ).status_code


def test_the_lookup_failure_limit_cannot_be_dodged_by_rewriting_x_forwarded_for(
    org, monkeypatch, behind_proxies, request
):
    from rest_framework.test import APIClient

    from web.portal import limits

    monkeypatch.setattr(limits, "TRACK_FAILURES", limits.Limit("track-fail", count=3, window_seconds=3600))
    # A fixed window: pin the clock inside one, so the count cannot roll over mid-test.
    traveller = time_machine.travel(datetime(2026, 11, 23, 9, 10, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)
    traveller.start()
    request.addfinalizer(traveller.stop)
    direct = APIClient(REMOTE_ADDR=fresh("198.51"))  # not one of our proxies
    answers = [failed_lookup(direct, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}") for n in range(5)]
    assert answers == [404, 404, 404, 429, 429]
    # Behind our proxy two citizens are two addresses: one guessing does not block the other.
    proxied = APIClient(REMOTE_ADDR="10.0.0.2")
    guesser, neighbour = fresh("203.0"), fresh("192.0")
    answers = [failed_lookup(proxied, HTTP_X_FORWARDED_FOR=guesser) for _ in range(4)]
    assert answers == [404, 404, 404, 429]
    assert failed_lookup(proxied, HTTP_X_FORWARDED_FOR=f"{guesser}, {neighbour}") == 404


def test_token_login_lockout_cannot_be_dodged_by_rewriting_x_forwarded_for(org, settings):
    # Was a DRF throttle ("auth_failures"); now django-axes keyed on client_address (web/signin.py).
    from rest_framework.test import APIClient

    settings.TRUSTED_PROXIES = ()
    client = APIClient(REMOTE_ADDR=fresh("198.51"))
    answers = [
        client.post(
            "/api/v1/auth/token/",
            {"username": "agent", "password": "wrong"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        )
        for n in range(settings.AXES_FAILURE_LIMIT + 1)
    ]
    assert [r.status_code for r in answers] == [400] * (settings.AXES_FAILURE_LIMIT - 1) + [429, 429]
    assert_error(answers[0], 400, "invalid_credentials")
    assert_error(answers[-1], 429, "too_many_attempts")


def test_open311_records_the_client_address_behind_a_trusted_proxy(client, org, behind_proxies):
    from cases.models import Open311ApiKey

    key = Open311ApiKey.objects.create(key="shell-open311-key", name="shell").key
    response = client.post(
        "/open311/v2/requests.json",
        {
            "api_key": key,
            "service_code": "CITY-VEND",
            "description": "人行道被摊贩占满",
            "address_string": "幸福路",
            "phone": "13800138000",
        },
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9",
    )
    assert response.status_code == 201, response.content
    no = response.json()[0]["service_request_id"]
    assert CaseEvent.objects.get(case__tracking_no=no).client_ip == "203.0.113.9"
