"""A WebSocket lives no longer than the session that opened it (web/signout.py, LiveConsumer):
signing out closes that session's sockets, a password change all of the user's, and a session that
went away without a word is noticed at the next re-check. Runs on the in-memory layer, and on Redis
when REDIS_URL is set (tests/notifications/conftest.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.models import Session
from django.http import HttpRequest
from django.test import Client

from casecenter.asgi import application
from cases.models import User
from notifications.consumers import SESSION_RECHECK
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db(transaction=True)

SHANGHAI = ZoneInfo("Asia/Shanghai")
SIGNED_OUT = {"type": "signed_out"}
CLOSED_UNAUTHENTICATED = {"type": "websocket.close", "code": 4401}


def signed_in(username: str) -> Client:
    client = Client()
    assert client.login(request=HttpRequest(), username=username, password="demo12345")
    return client


async def open_desk(client: Client) -> WebsocketCommunicator:
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    comm = WebsocketCommunicator(application, "/ws/", headers=[(b"cookie", cookie), (b"origin", b"http://testserver")])
    connected, _ = await comm.connect()
    assert connected
    await comm.send_json_to({"subscribe": "desk"})
    assert (await comm.receive_json_from(timeout=3))["type"] == "subscribed"
    return comm


async def assert_signed_out(comm: WebsocketCommunicator) -> None:
    assert await comm.receive_json_from(timeout=3) == SIGNED_OUT
    assert await comm.receive_output(timeout=3) == CLOSED_UNAUTHENTICATED


async def register_case(users: dict) -> str:
    case = await sync_to_async(CaseFactory)(actor=users["agent"])
    return case.tracking_no


def test_logging_out_closes_that_sessions_socket_and_it_receives_nothing_more(users):
    async def scenario() -> None:
        browser = await sync_to_async(signed_in)("agent")
        comm = await open_desk(browser)
        # Before: the socket receives the desk's events.
        no = await register_case(users)
        assert (await comm.receive_json_from(timeout=3))["data"]["tracking_no"] == no
        response = await sync_to_async(browser.post)("/console/logout/")
        assert response.status_code == 302
        await assert_signed_out(comm)
        await register_case(users)
        assert await comm.receive_nothing(timeout=0.5)

    async_to_sync(scenario)()


def test_logging_out_of_one_browser_leaves_the_users_other_session_connected(users):
    async def scenario() -> None:
        office, home = await sync_to_async(signed_in)("agent"), await sync_to_async(signed_in)("agent")
        leaving, staying = await open_desk(office), await open_desk(home)
        await sync_to_async(office.post)("/console/logout/")
        await assert_signed_out(leaving)
        no = await register_case(users)
        assert (await staying.receive_json_from(timeout=3))["data"]["tracking_no"] == no
        await staying.disconnect()

    async_to_sync(scenario)()


def test_the_admin_logout_closes_the_admins_socket(users):
    async def scenario() -> None:
        browser = await sync_to_async(signed_in)("admin")
        comm = await open_desk(browser)
        response = await sync_to_async(browser.post)("/admin/logout/")
        assert response.status_code == 302
        await assert_signed_out(comm)

    async_to_sync(scenario)()


def test_a_password_change_closes_every_socket_of_the_user_and_no_one_elses(users):
    def change_password() -> None:
        agent = User.objects.get(username="agent")
        agent.set_password("a-new-secret-2026")
        agent.save()

    async def scenario() -> None:
        first = await open_desk(await sync_to_async(signed_in)("agent"))
        second = await open_desk(await sync_to_async(signed_in)("agent"))
        dispatcher = await open_desk(await sync_to_async(signed_in)("dispatcher"))
        await sync_to_async(change_password)()
        await assert_signed_out(first)
        await assert_signed_out(second)
        no = await register_case(users)
        assert (await dispatcher.receive_json_from(timeout=3))["data"]["tracking_no"] == no
        await dispatcher.disconnect()

    async_to_sync(scenario)()


def test_a_session_gone_without_a_close_message_is_noticed_at_the_next_recheck(users):
    # The close message can be lost (Redis down); the consumer re-reads its session now and then.
    async def scenario(traveller) -> None:
        browser = await sync_to_async(signed_in)("agent")
        comm = await open_desk(browser)
        key = browser.cookies["sessionid"].value
        await sync_to_async(lambda: Session.objects.filter(session_key=key).delete())()
        # Within the re-check interval the socket still believes its session...
        no = await register_case(users)
        assert (await comm.receive_json_from(timeout=3))["data"]["tracking_no"] == no
        # ...after it, the next event finds the session gone and is not delivered.
        traveller.shift(SESSION_RECHECK + timedelta(seconds=1))
        await register_case(users)
        await assert_signed_out(comm)

    with time_machine.travel(datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI), tick=True) as traveller:
        async_to_sync(scenario)(traveller)
