"""The process's fan-out (notifications/fanout.py): one channel-layer member per process, each event
encoded once and handed to every local socket without a task per socket; a slow socket delays no
other and keeps its order; the fan-out survives a layer that fails and rejoins its groups. Runs on
the in-memory layer, and on Redis' pub/sub layer when REDIS_URL is set (conftest.py)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.utils import timezone

from notifications import consumers, events, fanout
from tests.factories import CaseFactory
from tests.notifications.test_consumer import ask, connect

BOARD = events.group_name("board")


def board_event(n: int) -> dict[str, Any]:
    event = {"topic": "board", "seq": n, "type": "timer.breached", "data": {"n": n}}
    return {"type": events.EVENT_MESSAGE_TYPE, "event": event}


class Recorder:
    """A local socket that keeps what it is handed."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.closed = asyncio.Event()

    def deliver(self, text: str, now: Any) -> None:
        self.texts.append(text)

    async def end_signed_out(self) -> None:
        self.closed.set()


async def until(condition, seconds: float = 3.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


def test_one_member_per_process_and_one_encoding_per_event():
    layer = InMemoryChannelLayer()

    async def scenario() -> list[Recorder]:
        hub = fanout.LocalFanout(layer)
        sockets = [Recorder() for _ in range(50)]
        for socket in sockets:
            await hub.join(BOARD, socket)
        assert list(layer.groups[BOARD]) == [hub.channel]
        await layer.group_send(BOARD, board_event(1))
        await until(lambda: all(s.texts for s in sockets))
        # the last socket leaves: so does the process
        for socket in sockets[:-1]:
            await hub.leave(BOARD, socket)
        assert list(layer.groups[BOARD]) == [hub.channel]
        await hub.leave(BOARD, sockets[-1])
        assert not layer.groups.get(BOARD)
        hub.stop()
        return sockets

    sockets = async_to_sync(scenario)()
    assert sockets[0].texts == ['{"topic": "board", "seq": 1, "type": "timer.breached", "data": {"n": 1}}']
    # every socket was handed the very same text: encoded once for all of them
    assert all(s.texts[0] is sockets[0].texts[0] for s in sockets)


def test_a_close_message_ends_only_the_sockets_of_its_group():
    layer = InMemoryChannelLayer()

    async def scenario() -> tuple[Recorder, Recorder]:
        hub = fanout.LocalFanout(layer)
        mine, other = Recorder(), Recorder()
        await hub.join("cc.session.a", mine)
        await hub.join("cc.session.b", other)
        await layer.group_send("cc.session.a", {"type": events.CLOSE_MESSAGE_TYPE, "topic": "session.a"})
        await asyncio.wait_for(mine.closed.wait(), timeout=3)
        await asyncio.sleep(0.05)
        hub.stop()
        return mine, other

    mine, other = async_to_sync(scenario)()
    assert mine.closed.is_set() and not other.closed.is_set()


class FlakyLayer(InMemoryChannelLayer):
    """Fails its first receive, as a Redis that restarted (and forgot its groups) does."""

    def __init__(self) -> None:
        super().__init__()
        self.adds: list[str] = []
        self.failed = False

    async def group_add(self, group: str, channel: str) -> None:
        self.adds.append(group)
        await super().group_add(group, channel)

    async def receive(self, channel: str) -> dict:
        if not self.failed:
            self.failed = True
            self.groups.clear()  # the restarted server has no members
            raise ConnectionError("Connection refused")
        return await super().receive(channel)


def test_after_a_failed_read_the_fan_out_rejoins_its_groups_and_delivers_again(monkeypatch):
    monkeypatch.setattr(fanout, "RETRY_SECONDS", (0.01,))
    layer = FlakyLayer()

    async def scenario() -> Recorder:
        hub = fanout.LocalFanout(layer)
        socket = Recorder()
        await hub.join(BOARD, socket)
        await until(lambda: layer.adds == [BOARD, BOARD])  # joined, then rejoined after the failure
        await layer.group_send(BOARD, board_event(2))
        await until(lambda: socket.texts)
        hub.stop()
        return socket

    assert '"seq": 2' in async_to_sync(scenario)().texts[0]


def idle_consumer(base_send) -> consumers.LiveConsumer:
    """A LiveConsumer as connect() leaves it, writing to ``base_send``."""
    consumer = consumers.LiveConsumer()
    consumer.ended, consumer.backlog, consumer.topics = False, None, set()
    consumer.session_checked_at = timezone.now()
    consumer.base_send = base_send
    return consumer


def test_a_socket_whose_send_cannot_finish_delays_no_other_and_keeps_its_order():
    async def scenario() -> tuple[list[str], list[str], bool]:
        fast: list[str] = []
        slow: list[str] = []
        drained = asyncio.Event()

        async def fast_send(message: dict) -> None:
            fast.append(message["text"])

        async def slow_send(message: dict) -> None:
            await drained.wait()  # the client's buffer is full until then
            slow.append(message["text"])

        quick, stuck = idle_consumer(fast_send), idle_consumer(slow_send)
        now = timezone.now()
        for text in ("1", "2", "3"):
            stuck.deliver(text, now)
            quick.deliver(text, now)
            # sent before deliver returned: no task, no await
            assert fast[-1] == text
        assert slow == []
        drained.set()
        await asyncio.wait_for(stuck.sending, timeout=3)
        return fast, slow, stuck.backlog is None

    fast, slow, idle_again = async_to_sync(scenario)()
    assert fast == slow == ["1", "2", "3"]
    assert idle_again


def test_a_socket_due_for_a_session_reread_sends_after_it_in_order(monkeypatch):
    reads: list[str] = []

    async def scenario() -> list[str]:
        sent: list[str] = []
        answer = asyncio.Event()

        async def send(message: dict) -> None:
            sent.append(message["text"])

        class SlowChecks:
            async def check(self, session_key, user_id) -> bool:
                reads.append(session_key)
                await answer.wait()
                return True

        monkeypatch.setattr(consumers, "session_checks", lambda: SlowChecks())
        consumer = idle_consumer(send)
        consumer.session_key, consumer.user_id = "k", 1
        consumer.session_checked_at = timezone.now() - consumers.SESSION_RECHECK - timedelta(seconds=1)
        now = timezone.now()
        consumer.deliver("1", now)
        consumer.deliver("2", now)
        await asyncio.sleep(0.05)
        assert sent == []  # waiting for the session
        answer.set()
        await asyncio.wait_for(consumer.sending, timeout=3)
        consumer.deliver("3", timezone.now())  # fresh again: at once
        return sent

    assert async_to_sync(scenario)() == ["1", "2", "3"]
    assert reads == ["k"]


@pytest.mark.django_db(transaction=True)
def test_sockets_of_one_process_share_one_group_member_and_all_hear_the_event(users, monkeypatch):
    layer = get_channel_layer()
    added: list[tuple[str, str]] = []
    discarded: list[tuple[str, str]] = []
    group_add, group_discard = layer.group_add, layer.group_discard

    async def spy_add(group: str, channel: str) -> None:
        added.append((group, channel))
        await group_add(group, channel)

    async def spy_discard(group: str, channel: str) -> None:
        discarded.append((group, channel))
        await group_discard(group, channel)

    monkeypatch.setattr(layer, "group_add", spy_add, raising=False)
    monkeypatch.setattr(layer, "group_discard", spy_discard, raising=False)

    async def scenario() -> None:
        comms = [await connect("supervisor") for _ in range(3)]
        for comm in comms:
            assert (await ask(comm, {"subscribe": "board"}))["type"] == "subscribed"
        assert [group for group, _ in added].count(BOARD) == 1
        assert len({channel for _, channel in added}) == 1  # one member for every group
        await sync_to_async(events._send_now_rollback_unsafe)("board", "timer.breached", {"n": 1})
        for comm in comms:
            event = await comm.receive_json_from(timeout=3)
            assert (event["type"], event["seq"]) == ("timer.breached", 1)
        for comm in comms[:2]:
            await comm.disconnect()
        assert BOARD not in [group for group, _ in discarded]
        await sync_to_async(CaseFactory)(actor=users["agent"])  # desk and queue only: board hears nothing
        assert await comms[2].receive_nothing(timeout=0.2)
        await comms[2].disconnect()
        assert [group for group, _ in discarded].count(BOARD) == 1

    async_to_sync(scenario)()
