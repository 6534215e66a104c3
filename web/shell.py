"""The staff shell: what every staff page shares, in one place.

@staff_page(roles=None, *, denied=..., ws_topic="")   signed in (else the console login), allowed
                                                      (else the 403 page), inside the menu
error_page(request, message, *, title=..., status=403)  the one error page, with the menu
shell_context(request)                                the context processor that puts the menu
                                                      (nav, role_label, ws_topic) into a staff page
console_nav(user), role_label(user)                   the menu itself; OVERSIGHT_ROLES, has_inbox(user),
                                                      may_see_calls_report(user): the checks it shares
                                                      with the pages it links
safe_next(request, default)                           where a posted form may send the browser back
client_address(request)                               the client's IP, X-Forwarded-For believed only
                                                      from settings.TRUSTED_PROXIES (API.md)
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import lru_cache, wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases import rules
from cases.enums import Role
from cases.models import User
from insight import rules as insight_rules
from notifications.selectors import unread_count
from sla.selectors import calendar_incomplete_years

OVERSIGHT_ROLES = frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN})

# --- the menu ------------------------------------------------------------------------------


def console_nav(user: User) -> list[tuple[str, str]]:
    """(url name, label) pairs for this user's menu, in the order a working day goes."""
    role = rules.role_of(user)
    items: list[tuple[str, str, bool]] = [
        ("console:queue", _("分拨队列"), rules.is_dispatch(user)),
        ("console:inbox", _("本单位待办"), has_inbox(user)),
        ("console:desk", _("来电来信登记"), rules.may_register(user)),
        ("console:cases", _("工单查询"), True),
        ("kb_pages:list", _("知识库"), True),
        ("sla_pages:board", _("超期看板"), rules.is_supervisor(user)),
        ("telephony_desk:dissatisfied", _("不满意工单跟进"), rules.is_supervisor(user)),
        ("telephony_desk:report", _("热线来电日报"), may_see_calls_report(user)),
        ("publication:queue", _("网上公开"), role in OVERSIGHT_ROLES),
        ("reports:monthly", _("月度简报"), role in OVERSIGHT_ROLES or role == Role.LEADER),
        ("console:leader_reports", _("通报工单"), rules.is_leadership(user)),
        ("notifications:list", _("消息"), True),
        ("insight:hotspots", _("热点预警"), insight_rules.may_see_hotspots(user)),
        ("insight:wallboard", _("数据大屏"), insight_rules.may_see_wallboard(user)),
    ]
    return [(name, label) for name, label, allowed in items if allowed]


# The pages' own checks where they are more than one rule, so a menu entry never leads to a 403.


def has_inbox(user: User) -> bool:
    return rules.role_of(user) in rules.DEPARTMENT_ROLES and bool(user.department_id)


def may_see_calls_report(user: User) -> bool:
    return rules.is_supervisor(user) or rules.is_dispatch(user)


def role_label(user: User) -> str:
    return str(Role(user.role).label) if user.role in Role.values else user.role


# --- the page decorator ----------------------------------------------------------------------


@dataclass(frozen=True)
class StaffPage:
    """What the decorator tells the context processor about the page being answered."""

    ws_topic: str = ""


RoleCheck = Collection[str] | Callable[[User], bool] | None


def _allowed(user: User, roles: RoleCheck) -> bool:
    if roles is None:
        return True
    if callable(roles):
        return bool(roles(user))
    return rules.role_of(user) in roles


def staff_page(
    roles: RoleCheck = None, *, denied: str = gettext_lazy("您的岗位不能使用此页面。"), ws_topic: str = ""
) -> Callable:
    """A staff page: signed in (else the console login, coming back here), allowed for ``roles``
    (a set of roles, or a predicate on the user; else the 403 page saying ``denied``), and rendered
    inside the console shell (menu, who is signed in, the page's live topic ``ws_topic``).

    Pass ``denied`` lazily (gettext_lazy): it is read per request, in the user's language.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            request.staff_page = StaffPage(ws_topic=ws_topic)
            if not _allowed(request.user, roles):
                return error_page(request, str(denied))
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def error_page(request: HttpRequest, message: str, *, title: str | None = None, status: int = 403) -> HttpResponse:
    """The console's one error page (403 by default), inside the shell so the way on is one click."""
    request.staff_page = StaffPage()  # inside the shell, and never a live page
    return render(request, "console/error.html", {"title": title or _("无权访问"), "message": message}, status=status)


def shell_context(request: HttpRequest) -> dict[str, Any]:
    """Context processor: the menu, for pages answered through ``staff_page`` (and only those: the
    portal, the public board and the admin have shells of their own)."""
    page = getattr(request, "staff_page", None)
    if page is None or not request.user.is_authenticated:
        return {}
    return {
        "nav": console_nav(request.user),
        "nav_unread": unread_count(request.user),
        "role_label": role_label(request.user),
        "ws_topic": page.ws_topic,
        "ws_heartbeat": settings.LIVE_HEARTBEAT_SECONDS,
        # Issue 12: admins and supervisors see when a running clock counts into a year without holidays.
        "calendar_banner": _calendar_banner(request.user),
    }


def _calendar_banner(user: Any) -> list[dict[str, Any]] | None:
    if not (rules.is_supervisor(user) or rules.role_of(user) == Role.ADMIN):
        return None
    return calendar_incomplete_years() or None


# --- redirects -------------------------------------------------------------------------------


def safe_next(request: HttpRequest, default: str) -> str:
    """The ``next`` the form carried (POST, else the query) if it stays on this host (and on https
    when the request came over https); otherwise ``default``."""
    target = str(request.POST.get("next") or request.GET.get("next") or "")
    # A bare word ("x") is no URL: redirect() would look it up as a view name and fail with a 500.
    if (
        target
        and (target.startswith("/") or "://" in target)
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return default


# --- the client's address ---------------------------------------------------------------------

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _ip(value: str) -> IPAddress | None:
    try:
        ip = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    # A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; they are the IPv4 address.
    return ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped else ip


@lru_cache(maxsize=8)
def _networks(values: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(v, strict=False) for v in values)


def _trusted(ip: IPAddress) -> bool:
    return any(ip in net for net in _networks(tuple(settings.TRUSTED_PROXIES)) if net.version == ip.version)


def client_address(request: Any) -> str | None:
    """The client's IP address: ``REMOTE_ADDR``, unless that is one of ``settings.TRUSTED_PROXIES``;
    then the right-most ``X-Forwarded-For`` entry that is not itself a trusted proxy (entries further
    left were written by the client and prove nothing). ``None`` when there is no usable address.

    Takes a Django or a DRF request (both have ``META``).
    """
    nearest = _ip(request.META.get("REMOTE_ADDR") or "")
    if nearest is None or not _trusted(nearest):
        return str(nearest) if nearest else None
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR") or "")
    for entry in reversed(forwarded.split(",")):
        if not entry.strip():
            continue
        hop = _ip(entry)
        if hop is None:
            break  # garbage where a proxy should have written an address: believe no further
        nearest = hop
        if not _trusted(hop):
            break
    return str(nearest)
