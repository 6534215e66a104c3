import pytest

from cases.enums import State
from tests.factories import make_case_in_state

pytestmark = pytest.mark.django_db


def test_happy_path_reaches_closed(users):
    case = make_case_in_state(State.CLOSED, users)
    assert case.state == State.CLOSED
    assert [e.transition for e in case.events.order_by("seq")] == [
        "register",
        "assign",
        "sign_for",
        "reply",
        "approve",
        "feedback",
    ]
