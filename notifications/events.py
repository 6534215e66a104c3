"""Real-time events: built here, sent only after commit. (Minimal; the real-time issue extends it.)

Topics (channel-layer groups): ``desk`` (agents), ``queue`` (dispatchers), ``board``
(supervisors), ``inbox.<DEPARTMENT CODE>`` (a department's staff).
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

log = logging.getLogger(__name__)


def group_name(topic: str) -> str:
    return "cc." + topic.replace(" ", "_")


def _send_now_rollback_unsafe(topic: str, type_: str, data: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group_name(topic), {"type": "cc.event", "event": {"type": type_, "data": data}})
    except Exception:  # Redis down: pages still work on reload; never fail the request.
        log.warning("real-time event %s to %s dropped", type_, topic, exc_info=True)


def publish(topic: str, type_: str, data: dict[str, Any]) -> None:
    """Send ``{type, data}`` to everyone subscribed to ``topic`` once the transaction commits."""
    transaction.on_commit(lambda: _send_now_rollback_unsafe(topic, type_, data))
