"""Every staff page shows the same menu for a role, whichever app renders it."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def menu(client, url: str) -> list[str]:
    html = client.get(url).content.decode()
    nav = re.search(r'<nav class="site-nav">(.*?)</nav>', html, re.S).group(1)
    return re.findall(r'href="([^"]+)"', nav)


@pytest.mark.parametrize(
    ("who", "pages"),
    [
        ("supervisor", ["console:cases", "sla_pages:board", "publication:queue", "reports:monthly"]),
        ("dispatcher", ["console:queue", "console:cases", "publication:queue", "reports:monthly"]),
    ],
)
def test_the_menu_is_the_same_on_console_sla_publication_and_report_pages(users, client, who, pages):
    client.force_login(users[who])
    menus = {name: menu(client, reverse(name)) for name in pages}
    first = next(iter(menus.values()))
    assert all(m == first for m in menus.values()), menus
    # the full menu, not a page's own short list: every oversight page is reachable from every other
    assert reverse("reports:monthly") in first and reverse("publication:queue") in first
    assert (reverse("sla_pages:board") in first) is (who == "supervisor")
