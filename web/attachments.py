"""The one download view for attachments: ``GET /attachments/<id>/`` (and ``?t=<token>`` for citizens).

Who may have the bytes:
- staff signed in to the console (session) or to the API (``Authorization: Token …``), by the case
  rules (``cases.rules.can_see_case``: all cases for intake, dispatch and oversight roles; a
  department's own and assisted cases);
- the citizen who proved tracking number + access code on the portal: the tracking page's signed,
  expiring token (``t``) names the case, and ``cases.attachments.citizen_may_see`` the files.
Anyone else — no session, another department, a wrong or expired token, an unknown id — gets the same
404 as an unknown case. The answer is always a download (``Content-Disposition: attachment`` with an
RFC 6266 ``filename*``), with the stored content type, ``nosniff`` and a sandboxing CSP, so nothing
in a file can run as a page of this origin. In production ``ATTACHMENTS_X_ACCEL_REDIRECT`` hands the
bytes to nginx after the check (README); otherwise the view streams the file.
"""

from __future__ import annotations

import logging
from urllib.parse import quote, urlencode

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from cases import attachments, rules
from cases.models import Attachment, User
from web.api.authentication import CachedTokenAuthentication

log = logging.getLogger(__name__)

SANDBOX_CSP = "sandbox; default-src 'none'"


def download_url(attachment: Attachment, *, token: str = "") -> str:
    """Where the console, the API and (with the tracking page's token) the portal link a file."""
    url = reverse("attachment", args=[attachment.pk])
    return f"{url}?{urlencode({'t': token})}" if token else url


def content_disposition(name: str, *, fallback: str) -> str:
    """``attachment`` with an ASCII ``filename`` for old clients and the exact name in ``filename*``
    (RFC 6266 / RFC 8187), so no quoting trick in a name can add a parameter."""
    ascii_name = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\%;' else "_" for ch in name).strip()
    if not ascii_name.strip("_. "):
        ascii_name = fallback
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def _staff_user(request: HttpRequest) -> User | None:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    try:
        found = CachedTokenAuthentication().authenticate(Request(request))
    except AuthenticationFailed:
        return None
    return found[0] if found else None


def _not_found() -> Http404:
    return Http404(_("工单不存在。"))


def _may_download(request: HttpRequest, attachment: Attachment) -> bool:
    token = request.GET.get("t", "")
    if token:
        # Imported here: the portal's views import this module for its links.
        from web.portal.views import case_for_track_token

        case = case_for_track_token(token)
        return case is not None and attachments.citizen_may_see(case, attachment)
    return rules.can_see_case(_staff_user(request), attachment.case)


def _serve(attachment: Attachment) -> HttpResponse:
    prefix = getattr(settings, "ATTACHMENTS_X_ACCEL_REDIRECT", "")
    if prefix:
        # nginx serves the bytes from an internal location after this check (README).
        response = HttpResponse()
        response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + quote(attachment.file.name)
    else:
        try:
            handle = attachment.file.open("rb")
        except FileNotFoundError:
            log.error("attachment %s: file %s is missing from storage", attachment.pk, attachment.file.name)
            raise _not_found() from None
        response = FileResponse(handle)
    return response


@require_GET
def download(request: HttpRequest, pk: int) -> HttpResponse:
    attachment = Attachment.objects.select_related("case", "case__department").filter(pk=pk).first()
    if attachment is None or not _may_download(request, attachment):
        raise _not_found()
    response = _serve(attachment)
    ext = attachment.file.name.rsplit(".", 1)[-1] if "." in attachment.file.name else "bin"
    response["Content-Type"] = attachment.content_type
    response["Content-Disposition"] = content_disposition(
        attachments.display_name(attachment.original_name), fallback=f"attachment-{attachment.pk}.{ext}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX_CSP
    response["Cache-Control"] = "private, no-store"
    return response
