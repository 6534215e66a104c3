"""The overdue board counts cases, not clocks, and every count links to the case list of exactly
the cases it counts (console case list filters department / stage / colour)."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client

from sla import board
from sla.enums import Stage
from sla.models import Timer
from tests.sla.fixtures import clock  # noqa: F401
from tests.sla.test_board import NOW, scene  # noqa: F401

pytestmark = pytest.mark.django_db


def _clone(timer: Timer, **changes) -> Timer:
    timer.pk = None
    for name, value in changes.items():
        setattr(timer, name, value)
    timer.save()
    return timer


@pytest.fixture
def doubled(scene):
    """The unsigned CGJ case gets a second red sign-for clock (same row) and a red reply clock
    (another row): three red clocks, still one case."""
    unsigned = scene["cgj_unsigned"]
    red = Timer.objects.get(case=unsigned, stage=Stage.SIGN_FOR, stopped_at__isnull=True)
    _clone(Timer.objects.get(pk=red.pk))
    _clone(Timer.objects.get(pk=red.pk), stage=Stage.REPLY)
    return scene


def test_a_case_with_several_red_clocks_counts_once_per_row_and_once_in_the_totals(doubled, clock):
    clock.set(NOW)
    rows = {((r["department"] or {}).get("code"), r["stage"]): r for r in board.board_rows(NOW)}
    assert rows[("CGJ", Stage.SIGN_FOR)]["breached"] == 1  # two red sign-for clocks, one case
    assert rows[("CGJ", Stage.REPLY)]["breached"] == 1
    totals = board.totals(NOW)
    # Red cases: triage_late and cgj_unsigned (the fresh triage clock is amber at 10:00) — not 4.
    assert totals["breached"] == 2
    assert sum(r["breached"] for r in rows.values()) == 3  # what summing the rows used to say
    assert totals["escalated"] == 2


def _links(page: str) -> list[tuple[str, int]]:
    """(href, number shown) of every count link on the board."""
    found = []
    for href, text in re.findall(r'<a[^>]*href="(/console/cases/\?[^"]*colour=[^"]*)"[^>]*>([^<]*)</a>', page):
        found.append((html.unescape(href), int(re.findall(r"\d+", text)[-1])))
    return found


def _listed(client: Client, href: str) -> set[str]:
    page = client.get(href).content.decode()
    assert 'id="id_colour"' in page
    return set(re.findall(r'<tr id="case-(\d+)">', page))


def test_every_count_links_to_exactly_the_cases_it_counts(doubled, clock, users):
    clock.set(NOW)
    client = Client()
    client.force_login(users["supervisor"])
    page = client.get("/console/sla/board/").content.decode()
    links = _links(page)
    assert len(links) == 5 + 5 * len(board.board_rows(NOW))  # five totals, five counts a row
    by_href = dict(links)
    for href, shown in links:
        assert len(_listed(client, href)) == shown, href
    # The red total lists the two red cases, each once; the CGJ sign-for red count lists one.
    red = {doubled["triage_late"].tracking_no, doubled["cgj_unsigned"].tracking_no}
    assert _listed(client, "/console/cases/?colour=breached") == red
    assert by_href["/console/cases/?colour=breached"] == 2
    cgj_red = "/console/cases/?department=CGJ&stage=sign_for&colour=breached"
    assert _listed(client, cgj_red) == {doubled["cgj_unsigned"].tracking_no}
    assert _listed(client, "/console/cases/?department=HBJ&stage=reply&colour=paused") == {
        doubled["hbj_paused"].tracking_no
    }
    assert _listed(client, "/console/cases/?department=XFJ&stage=triage&colour=warning") == {
        doubled["triage_fresh"].tracking_no
    }


def test_a_bad_colour_filter_is_a_form_error_not_a_500(users):
    client = Client()
    client.force_login(users["supervisor"])
    response = client.get("/console/cases/?colour=purple")
    assert response.status_code == 200
    assert "purple" in response.content.decode()  # "选择一个有效的选项。purple 不在可用的选项中。"
