"""Errors the case services raise; the edges map them to 400/403/404/409."""

from __future__ import annotations


class CaseError(Exception):
    code = "error"

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class CaseValidationError(CaseError):
    """Bad input: 400."""

    code = "invalid"


class UnsupportedFileType(CaseValidationError):
    """An upload that is not one of the allowed types by both content and extension: 400."""

    code = "unsupported_file_type"


class AttachmentTooLarge(CaseValidationError):
    """An upload over the size limit: 413."""

    code = "file_too_large"


class CasePermissionDenied(CaseError):
    """The actor may see the case but may not do this: 403."""

    code = "forbidden"


class CaseNotFound(CaseError):
    """Unknown case, or one the actor may not see: 404."""

    code = "not_found"


class CaseConflict(CaseError):
    """Not allowed from the current state, or the case changed meanwhile: 409."""

    code = "conflict"

    def __init__(self, message: str, *, state: str | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.state = state


class PersonalDataRemains(CaseConflict):
    """The public copy still carries ID-, phone- or card-like numbers (or e-mail, passports): 409,
    with ``warnings`` listing each offending span."""

    code = "personal_data"

    def __init__(self, message: str, *, warnings: list[dict], **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.warnings = warnings


class CaseRateLimited(CaseError):
    """The same request again too soon (a citizen's second urge on one day): 429."""

    code = "too_many_requests"
