"""Staff pages: my notifications, mark read, preferences."""

from __future__ import annotations

import pytest
from django.urls import reverse

from notifications.models import Notification, NotificationPreference
from notifications.outbox import notify_users

pytestmark = pytest.mark.django_db


def make_notes(user, n=2):
    return [
        Notification.objects.create(user=user, template="case_assigned", title=f"新转办工单 {i}", body="请签收")
        for i in range(n)
    ]


def test_the_list_shows_only_my_notifications_with_the_unread_count(client, users, django_assert_max_num_queries):
    make_notes(users["clerk_cgj"], 3)
    Notification.objects.create(user=users["clerk_hbj"], template="case_assigned", title="别人的通知")
    client.force_login(users["clerk_cgj"])
    with django_assert_max_num_queries(8):
        resp = client.get(reverse("notifications:list"))
    html = resp.content.decode()
    assert resp.status_code == 200
    assert html.count('class="notification unread"') == 3 and "别人的通知" not in html
    assert 'data-ws-topic=""' in html and "js/live.js" in html and 'id="live-region"' in html


def test_mark_read_changes_only_my_own_notification(client, users):
    mine = make_notes(users["clerk_cgj"], 1)[0]
    theirs = make_notes(users["clerk_hbj"], 1)[0]
    client.force_login(users["clerk_cgj"])
    assert client.post(reverse("notifications:mark_read", args=[theirs.pk])).status_code == 302
    assert client.post(reverse("notifications:mark_read", args=[mine.pk])).status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at is not None and theirs.read_at is None


def test_mark_all_read_ignores_an_offsite_next_url(client, users):
    make_notes(users["clerk_cgj"], 2)
    client.force_login(users["clerk_cgj"])
    resp = client.post(reverse("notifications:mark_all_read"), {"next": "https://evil.example/"})
    assert resp["Location"] == reverse("notifications:list")
    assert not Notification.objects.filter(user=users["clerk_cgj"], read_at__isnull=True).exists()


def test_mark_read_needs_post_and_a_signed_in_user(client, users):
    note = make_notes(users["clerk_cgj"], 1)[0]
    assert client.post(reverse("notifications:mark_read", args=[note.pk])).status_code == 302  # to login
    client.force_login(users["clerk_cgj"])
    assert client.get(reverse("notifications:mark_read", args=[note.pk])).status_code == 405


def test_preferences_switch_channels_off_and_the_outbox_honours_them(client, users):
    users["clerk_cgj"].email = "clerk@cgj.example"
    users["clerk_cgj"].save()
    client.force_login(users["clerk_cgj"])
    page = client.get(reverse("notifications:preferences")).content.decode()
    # Two channels for each staff template (STAFF_TEMPLATES), all on by default: main's 9, answer's
    # 5 (drafts, opinion, escalation) and citizen's 3 (supplement, urge, dissatisfied) — 17
    # templates. Insight's hotspot alert is not listed: an early warning cannot be switched off.
    assert page.count('type="checkbox"') == 34 and page.count(" checked") == 34
    resp = client.post(
        reverse("notifications:preferences"),
        {"on": ["case_assigned:inapp", "timer_breached:email", "bogus:sms"], "language": "en"},
    )
    assert resp.status_code == 302
    pref = NotificationPreference.objects.get(user=users["clerk_cgj"])
    assert pref.language == "en" and len(pref.disabled) == 32  # 34 less the two kept on
    assert pref.allows("case_assigned", "inapp") and not pref.allows("case_assigned", "email")
    rows = notify_users([users["clerk_cgj"]], "case_assigned", {}, "k")
    assert [(r.channel, r.language) for r in rows] == [("inapp", "en")]


def test_an_unknown_language_falls_back_to_chinese(client, users):
    client.force_login(users["clerk_cgj"])
    client.post(reverse("notifications:preferences"), {"on": [], "language": "xx"})
    assert NotificationPreference.objects.get(user=users["clerk_cgj"]).language == "zh-hans"
