"""The /ws/ endpoint against the real ASGI application, signed in with a real session cookie."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.http import HttpRequest
from django.test import Client

from casecenter.asgi import application
from cases import services
from notifications import events
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db(transaction=True)


def cookie_for(username: str) -> list[tuple[bytes, bytes]]:
    client = Client()
    assert client.login(request=HttpRequest(), username=username, password="demo12345")
    session = client.cookies["sessionid"].value
    return [(b"cookie", f"sessionid={session}".encode()), (b"origin", b"http://testserver")]


async def connect(username: str | None) -> WebsocketCommunicator:
    headers = await sync_to_async(cookie_for)(username) if username else [(b"origin", b"http://testserver")]
    comm = WebsocketCommunicator(application, "/ws/", headers=headers)
    connected, _ = await comm.connect()
    assert connected
    return comm


async def ask(comm: WebsocketCommunicator, frame: Any) -> dict:
    if isinstance(frame, str):
        await comm.send_to(text_data=frame)
    else:
        await comm.send_json_to(frame)
    return await comm.receive_json_from(timeout=3)


def run(coro_fn):
    return async_to_sync(coro_fn)()


def test_an_anonymous_connection_is_closed_with_4401(users):
    async def scenario() -> None:
        comm = await connect(None)
        assert await comm.receive_output(timeout=3) == {"type": "websocket.close", "code": 4401}

    run(scenario)


def test_an_agent_subscribes_to_the_desk_and_receives_a_registration_after_commit(users):
    async def scenario() -> None:
        comm = await connect("agent")
        assert await ask(comm, {"subscribe": "desk"}) == {"type": "subscribed", "topic": "desk", "seq": 0}
        case = await sync_to_async(CaseFactory)(actor=users["agent"])
        event = await comm.receive_json_from(timeout=3)
        assert event["topic"] == "desk" and event["seq"] == 1 and event["type"] == "case.registered"
        assert event["data"]["tracking_no"] == case.tracking_no
        await comm.disconnect()

    run(scenario)


@pytest.mark.parametrize(
    ("username", "frame", "code"),
    [
        ("agent", {"subscribe": "queue"}, "forbidden"),
        ("agent", {"subscribe": "board"}, "forbidden"),
        ("dispatcher", {"subscribe": "board"}, "forbidden"),
        ("clerk_cgj", {"subscribe": "inbox", "department": "HBJ"}, "forbidden"),
        ("clerk_cgj", {"subscribe": "queue"}, "forbidden"),
        ("clerk_cgj", {"subscribe": "everything"}, "unknown_subscription"),
        ("clerk_cgj", {"subscribe": ["inbox"]}, "unknown_subscription"),
        ("clerk_cgj", {"subscribe": "inbox", "department": {"$ne": 1}}, "forbidden"),
    ],
)
def test_subscriptions_outside_the_users_role_or_department_are_refused_with_an_error_frame(
    users, username, frame, code
):
    async def scenario() -> None:
        comm = await connect(username)
        reply = await ask(comm, frame)
        assert reply["type"] == "error" and reply["code"] == code
        # the connection survives and still works
        assert await ask(comm, {"type": "ping"}) == {"type": "pong"}
        await comm.disconnect()

    run(scenario)


@pytest.mark.parametrize(
    ("username", "frame", "topic"),
    [
        ("dispatcher", {"subscribe": "queue"}, "queue"),
        ("dispatcher", {"subscribe": "desk"}, "desk"),
        ("supervisor", {"subscribe": "board"}, "board"),
        ("supervisor", {"subscribe": "queue"}, "queue"),
        ("supervisor", {"subscribe": "inbox", "department": "HBJ"}, "inbox.HBJ"),
        ("clerk_cgj", {"subscribe": "inbox"}, "inbox.CGJ"),
        ("head_cgj", {"subscribe": "inbox", "department": "CGJ"}, "inbox.CGJ"),
        ("admin", {"subscribe": "inbox", "department": "JTJ"}, "inbox.JTJ"),
        ("admin", {"subscribe": "desk"}, "desk"),
    ],
)
def test_permitted_subscriptions_are_confirmed(users, username, frame, topic):
    async def scenario() -> None:
        comm = await connect(username)
        assert await ask(comm, frame) == {"type": "subscribed", "topic": topic, "seq": 0}
        await comm.disconnect()

    run(scenario)


@pytest.mark.parametrize(
    "frame",
    ["not json", "[1, 2]", '"subscribe"', "{}", '{"resume_from": 3}', '{"subscribe": "inbox", "resume_from": "x"}'],
)
def test_garbage_frames_get_an_error_frame_not_a_crash(users, frame):
    async def scenario() -> None:
        comm = await connect("clerk_cgj")
        reply = await ask(comm, frame)
        assert reply["type"] == "error" and reply["code"] in {"bad_frame", "unknown_command", "not_subscribed"}
        assert await ask(comm, {"subscribe": "inbox"}) == {"type": "subscribed", "topic": "inbox.CGJ", "seq": 0}
        await comm.disconnect()

    run(scenario)


def test_a_clerk_does_not_receive_another_departments_assignments(users):
    async def scenario() -> None:
        comm = await connect("clerk_hbj")
        await ask(comm, {"subscribe": "inbox"})
        case = await sync_to_async(CaseFactory)(actor=users["agent"])
        await sync_to_async(services.case_assign)(case=case, actor=users["dispatcher"], department="CGJ")
        # something that could leak was sent (to inbox.CGJ), and HBJ heard nothing
        assert events.current_seq("inbox.CGJ") == 1
        assert await comm.receive_nothing(timeout=0.3)
        await sync_to_async(services.case_assign)(
            case=await sync_to_async(CaseFactory)(actor=users["agent"]), actor=users["dispatcher"], department="HBJ"
        )
        event = await comm.receive_json_from(timeout=3)
        assert (event["topic"], event["type"], event["seq"]) == ("inbox.HBJ", "case.assigned", 1)
        await comm.disconnect()

    run(scenario)


def test_a_reconnecting_client_gets_the_missed_events_replayed_in_order(users):
    async def scenario() -> None:
        comm = await connect("dispatcher")
        await ask(comm, {"subscribe": "queue"})
        await sync_to_async(CaseFactory)(actor=users["agent"])
        first = await comm.receive_json_from(timeout=3)
        assert first["seq"] == 1
        await comm.disconnect()
        # two cases arrive while the client is away
        missed = [await sync_to_async(CaseFactory)(actor=users["agent"]) for _ in range(2)]
        comm = await connect("dispatcher")
        assert await ask(comm, {"subscribe": "queue", "resume_from": 1}) == {
            "type": "subscribed",
            "topic": "queue",
            "seq": 3,
        }
        replayed = [await comm.receive_json_from(timeout=3) for _ in range(2)]
        assert [(e["seq"], e["data"]["tracking_no"]) for e in replayed] == [
            (2, missed[0].tracking_no),
            (3, missed[1].tracking_no),
        ]
        # resuming later on the same connection works too, and from the present gives nothing
        assert await ask(comm, {"resume_from": 2}) == replayed[1]
        await comm.send_json_to({"resume_from": 3})
        assert await comm.receive_nothing(timeout=0.2)
        await comm.disconnect()

    run(scenario)


def test_resuming_from_a_point_the_server_no_longer_has_asks_the_client_to_refetch(users):
    async def scenario() -> None:
        comm = await connect("dispatcher")
        await ask(comm, {"subscribe": "queue"})
        assert await ask(comm, {"resume_from": 40}) == {"type": "refetch", "topic": "queue"}
        await comm.disconnect()

    run(scenario)


def test_in_app_notifications_reach_their_user_live(users):
    from notifications import worker

    async def scenario() -> None:
        comm = await connect("clerk_cgj")
        other = await connect("clerk_hbj")
        case = await sync_to_async(CaseFactory)(actor=users["agent"])
        await sync_to_async(services.case_assign)(case=case, actor=users["dispatcher"], department="CGJ")
        await sync_to_async(worker.step)("w1")
        event = await comm.receive_json_from(timeout=3)
        assert event["topic"] == f"user.{users['clerk_cgj'].pk}" and event["type"] == "notification.created"
        assert event["data"]["tracking_no"] == case.tracking_no
        assert await other.receive_nothing(timeout=0.2)
        await comm.disconnect()
        await other.disconnect()

    run(scenario)
