"""The size limit on uploads, enforced while the body streams in (settings.FILE_UPLOAD_HANDLERS).

Django's multipart parser hands each file to the upload handlers chunk by chunk. This one, first
in the list, counts the bytes of each file as they arrive and stops the parse the moment one passes
``cases.attachments.max_file_bytes()``, or at the first file chunk when the declared Content-Length
is bigger than any acceptable request (``max_request_bytes``). It raises ``StopUpload`` with
``connection_reset=True``, so the rest of the body is never read; the fields that came before the
file (the CSRF token among them) are kept. The view then asks ``refusal(request)`` and answers with
the limit's message (the API's 413 ``file_too_large``, the page's form error) instead of looking
at a file that never arrived.

Under daphne (ASGI) Django spools the whole body to a temporary file before the parser runs, so
the proxy's body limit (nginx ``client_max_body_size``, README) is what stops the bytes there.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest
from django.utils.translation import gettext as _

from cases.attachments import ACCEPT, MAX_FILES_PER_REQUEST, display_name, max_file_bytes, max_request_bytes, size_label

_ATTRIBUTE = "_attachment_upload_refused"


def refusal(request: Any) -> str | None:
    """The message for an upload this request's handler cut off, or None. Parses the body first if
    nothing has yet (Django's request or DRF's, whichever the view holds)."""
    request.FILES  # noqa: B018 (the parse is lazy: this runs it, and with it the handler)
    return getattr(getattr(request, "_request", request), _ATTRIBUTE, None)


class LimitedUploadHandler(FileUploadHandler):
    """Counts each file's bytes as they arrive; stops reading at the limit (see the module doc)."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.limit = max_file_bytes()
        self.body_too_large = False
        self.received = 0

    def handle_raw_input(self, input_data: Any, meta: dict, content_length: int, *args: Any, **kwargs: Any) -> None:
        # Fields before the first file are still parsed (CSRF needs its token); files are not.
        self.body_too_large = content_length > max_request_bytes()
        return None

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.body_too_large or self.received > self.limit:
            self._refuse()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handlers (memory, temporary file) keep the bytes

    def _refuse(self) -> None:
        if self.body_too_large:
            message = _("上传的内容过大：每个文件不超过%(max)s，一次最多%(n)d个文件。") % {
                "max": size_label(self.limit),
                "n": MAX_FILES_PER_REQUEST,
            }
        else:
            name = display_name(self.file_name)
            message = _("文件“%(name)s”超过%(max)s，请压缩后再上传。") % {"name": name, "max": size_label(self.limit)}
        if self.request is not None:
            setattr(self.request, _ATTRIBUTE, message)
        raise StopUpload(connection_reset=True)


# --- the form field every page with a file input uses -------------------------------------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented recipe); cleans to a list. The rules on what
    a file may be are cases.attachments'; ``accept`` only helps the browser's picker."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        items = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        return [super(MultipleFileField, self).clean(item, initial) for item in items if item]
