"""The audit vocabulary: every action name a ``CaseEvent`` may carry, with the label shown for it.

The vocabulary is open. The cases app registers its own transition names (``assign``, ``reply``,
…, the API's ``events[].transition``); any other app registers dotted names it owns
(``sla.extension.granted``) from its ``AppConfig.ready()``, without touching ``cases``::

    from cases.audit import register_actions
    register_actions({"sla.extension.granted": _("批准延期")}, public=True, public_note=True)

Appending an event whose action is not registered fails loudly (``UnknownAction``). Names an app
used before it moved to dotted names are registered with ``legacy=True``: stored events keep them
(the hash covers the name, so they are never rewritten), they still display their label and still
verify, but no new event may use them.

This module imports nothing of the cases models, so every app may import it at any time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import Promise

# ``CaseEvent.transition`` is a CharField of this length.
MAX_ACTION_LENGTH = 64
# Lower-case words joined by dots: ``assign``, ``sla.extension.granted``.
_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")


class UnknownAction(LookupError):
    """An event was about to be written with an action nobody registered (or a legacy one)."""


@dataclass(frozen=True)
class ActionInfo:
    name: str
    label: str | Promise
    # Shown on the citizen's tracking page unless the writer says otherwise.
    public: bool = False
    # The event's note is shown there too (an answer, a reason, a new deadline).
    public_note: bool = False
    # Kept only so stored events display and verify; refused for new events.
    legacy: bool = False


_ACTIONS: dict[str, ActionInfo] = {}


def register_actions(
    actions: Mapping[str, str | Promise],
    *,
    public: bool = False,
    public_note: bool = False,
    legacy: bool = False,
) -> None:
    """Add ``{name: label}`` to the vocabulary. Registering the same name again with the same
    settings is harmless (``ready()`` may run twice in tests); with different ones it is a
    configuration error, because two apps would then disagree about what a stored event means."""
    for name, label in actions.items():
        name = str(name)
        if not _NAME.match(name) or len(name) > MAX_ACTION_LENGTH:
            raise ImproperlyConfigured(
                f"Audit action {name!r}: use lower-case words joined by dots, at most {MAX_ACTION_LENGTH} "
                "characters (e.g. 'sla.extension.granted')."
            )
        info = ActionInfo(name=name, label=label, public=public, public_note=public_note, legacy=legacy)
        known = _ACTIONS.get(name)
        if known is not None and known != info:
            raise ImproperlyConfigured(f"Audit action {name!r} is already registered differently: {known}.")
        _ACTIONS[name] = info


def is_registered(name: str) -> bool:
    """True for every name a stored event may carry, legacy names included."""
    return name in _ACTIONS


def action_info(name: str) -> ActionInfo:
    try:
        return _ACTIONS[name]
    except KeyError:
        raise UnknownAction(
            f"Audit action {name!r} is not registered. The app that writes it registers it in its "
            "AppConfig.ready() with cases.audit.register_actions()."
        ) from None


def action_for_new_event(name: str) -> ActionInfo:
    """The registration of an action about to be written; legacy names are refused."""
    info = action_info(name)
    if info.legacy:
        raise UnknownAction(
            f"Audit action {name!r} is a legacy name kept for stored events; new events use "
            "the owning app's dotted name."
        )
    return info


def action_label(name: str) -> str | Promise:
    """The label shown for an event's action. An unregistered name (an app since removed) shows as
    itself rather than breaking the page; ``verify_audit`` reports it."""
    info = _ACTIONS.get(name)
    return info.label if info is not None else name


def note_is_public(name: str) -> bool:
    info = _ACTIONS.get(name)
    return info is not None and info.public_note
