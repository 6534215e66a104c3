"""manage.py demo_data: demo users that can sign in, cases in every state, idempotent, refused in production."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.http import HttpRequest

from cases.enums import Channel, Kind, Publication, Rating, Role, State
from cases.models import Case, CaseEvent, Category, User
from cases.selectors import verify_chain

pytestmark = pytest.mark.django_db

EXPECTED_USERS = {
    "agent": (Role.AGENT, "XFJ"),
    "dispatcher": (Role.DISPATCHER, "XFJ"),
    "clerk_cgj": (Role.CLERK, "CGJ"),
    "head_cgj": (Role.HEAD, "CGJ"),
    "clerk_hbj": (Role.CLERK, "HBJ"),
    "clerk_cgje": (Role.CLERK, "CGJ-E"),
    "clerk_jde": (Role.CLERK, "JD-E"),
    "clerk_jde01": (Role.CLERK, "JD-E-01"),
    "supervisor": (Role.SUPERVISOR, "GOV"),
    "leader": (Role.LEADER, "GOV"),
    "admin": (Role.ADMIN, "GOV"),
    "clerk_jjz": (Role.CLERK, "JJZ"),
}


def run() -> str:
    out = StringIO()
    call_command("demo_data", stdout=out)
    return out.getvalue()


@pytest.fixture
def demo(org) -> str:
    return run()


def test_demo_users_can_sign_in_are_listed_and_a_second_run_adds_nothing(demo, client):
    users = {u.username: u for u in User.objects.select_related("department")}
    assert {name: (u.role, u.department.code) for name, u in users.items()} == EXPECTED_USERS
    assert all(u.first_name and u.last_name for u in users.values())
    assert (users["admin"].is_superuser, users["admin"].is_staff) == (True, True)
    assert not any(u.is_superuser for name, u in users.items() if name != "admin")
    for name in EXPECTED_USERS:
        assert client.login(request=HttpRequest(), username=name, password="demo12345"), name

    lines = demo.splitlines()
    assert lines[0] == "Created 12 demo users and 48 cases (10 published on the public board)."
    assert lines[1].split() == ["username", "password", "role", "department", "name"]
    assert [line.split()[:2] for line in lines[3:]] == [[name, "demo12345"] for name in EXPECTED_USERS]
    assert lines[3].split()[-2:] == ["XFJ", "李娜"]

    # Running it again creates nothing more (it only prints the logins).
    counts = (User.objects.count(), Case.objects.count(), CaseEvent.objects.count())
    second = run()
    assert second.startswith("Demo users already exist; nothing created")
    assert re.search(r"^agent +demo12345 ", second, re.M)
    assert (User.objects.count(), Case.objects.count(), CaseEvent.objects.count()) == counts


def test_demo_cases_cover_every_state_channel_kind_and_leaf_category(demo):
    cases = Case.objects.all()
    assert set(cases.values_list("state", flat=True)) == set(State.values)
    assert set(cases.values_list("channel", flat=True)) == set(Channel.values)
    assert set(cases.values_list("kind", flat=True)) == set(Kind.values)
    leaves = set(Category.objects.filter(parent__isnull=False).values_list("code", flat=True))
    assert set(cases.values_list("category__code", flat=True)) == leaves
    closed_ratings = set(cases.filter(state=State.CLOSED).values_list("rating", flat=True))
    assert closed_ratings == set(Rating.values)
    assert cases.filter(reopen_count=1, state=State.ASSIGNED).count() == 1
    assert cases.filter(on_hold=True, state=State.IN_PROGRESS).count() == 1
    assert cases.filter(return_count=1, state=State.REGISTERED).count() == 1
    # Closed cases with consent are on the public board (cases/public_demo.py publishes them).
    assert cases.filter(publication=Publication.PUBLISHED).count() == 10
    assert cases.filter(publication=Publication.PENDING).count() == 0
    merged = cases.get(state=State.MERGED)
    assert merged.duplicate_of.state == State.IN_PROGRESS

    # ... and they went through the services: every history is complete and its hash chain intact.
    for case in Case.objects.all():
        events = list(case.events.order_by("seq"))
        assert events[0].transition == "register"
        assert events[-1].to_state == case.state
        assert verify_chain(case.pk)[0]
    reopened = Case.objects.get(reopen_count=1)
    assert [e.transition for e in reopened.events.order_by("seq")] == [
        "register",
        "assign",
        "sign_for",
        "reply",
        "approve",
        "feedback",
        "reopen",
    ]


def test_it_is_refused_when_demo_data_is_not_allowed(org, settings):
    settings.DEMO_DATA_ALLOWED = False
    with pytest.raises(CommandError, match="DEMO_DATA_ALLOWED is False"):
        call_command("demo_data", stdout=StringIO())
    assert User.objects.count() == 0
    assert Case.objects.count() == 0


def test_demo_data_shows_a_forwarded_case_a_disputed_one_and_an_urgent_case_on_top_of_the_queue(demo):
    # Issue 12's screens each have something in them.
    from cases.models import CaseAssignment, Dispute
    from cases.selectors import department_inbox, dispatcher_queue
    from web.console.dispatch import urgent_first

    forwarded = Case.objects.get(state=State.ASSIGNED, handling_department__code="JD-E-01")
    assert list(CaseAssignment.objects.filter(case=forwarded).values_list("department__code", "level")) == [
        ("JD-E", 0),
        ("JD-E-01", 1),
    ]
    sub_replied = Case.objects.get(state=State.SUB_REPLIED)
    assert department_inbox(User.objects.get(username="clerk_jde"))["sub_review"].get() == sub_replied
    assert department_inbox(User.objects.get(username="clerk_jde01"))["to_sign"].get() == forwarded
    dispute = Dispute.objects.get()
    assert (dispute.case.state, dispute.department.code, dispute.decided_at) == (State.DISPUTED, "CGJ", None)
    triage = urgent_first(dispatcher_queue(User.objects.get(username="dispatcher"))["triage"], "registered_at")
    assert triage.first().priority == "urgent"
