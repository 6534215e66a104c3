"""Publication of closed cases on the public board: draft, publish, withdraw; and the board's search.

A closed case whose citizen consented becomes ``pending`` (cases/services.py). A
dispatcher opens it, gets a redacted draft of the question and the answer,
edits it, and publishes. The public copy lives in ``public_title/public_content/
public_answer``; the original text is never altered. Publishing writes the
``PublicSearch`` row in the same transaction; withdrawing deletes it.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import connection, transaction
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from . import services
from .enums import Publication, Transition
from .exceptions import CaseValidationError, PersonalDataRemains
from .models import Case, PublicSearch, User
from .redaction import check_public_text, find_spans, leaks, redact
from .validation import MAX_CONTENT, MAX_TITLE, clean_text

MAX_QUERY = 100
PUBLICATION_EDITED = "publication.edited"
PUBLIC_FIELDS = ("title", "content", "answer")
# Characters that make up search terms; everything else separates them.
_TERM = re.compile(r"[0-9a-z\u3400-\u9fff\uf900-\ufaff]+")


def publication_draft(case: Case) -> dict[str, str]:
    """The public copy to start from: what the dispatcher saved, or a fresh redaction of the original."""
    names = [case.citizen_name]
    return {
        "title": case.public_title or redact(case.title, names=names),
        "content": case.public_content or redact(case.content, names=names),
        "answer": case.public_answer or redact(case.answer, names=names),
    }


def publication_warnings(case: Case, copy: dict[str, str]) -> list[dict[str, Any]]:
    """What in a public copy must not be published: every ID-, phone- or card-like run of digits
    (after normalising full-width digits, Chinese numerals and separators) that is not a date, an
    amount, a reference or the case's own tracking number; e-mail addresses; passport numbers.
    One ``{"field", "start", "end", "text", "kind"}`` per span."""
    warnings = []
    for field in PUBLIC_FIELDS:
        text = copy.get(field) or ""
        for span in check_public_text(text, safe=[case.tracking_no]):
            warnings.append(
                {
                    "field": field,
                    "start": span.start,
                    "end": span.end,
                    "text": text[span.start : span.end],
                    "kind": span.kind,
                }
            )
    return warnings


def publication_prepare(*, case: Case) -> dict[str, Any]:
    """The draft plus what the redactor still sees in it (for the review page). Changes nothing."""
    draft = publication_draft(case)
    names = [case.citizen_name]
    remaining = {key: [text[s.start : s.end] for s in find_spans(text, names=names)] for key, text in draft.items()}
    return {
        "draft": draft,
        "remaining": {k: v for k, v in remaining.items() if v},
        "warnings": publication_warnings(case, draft),
    }


def _check_public_copy(case: Case, title: str, content: str, answer: str) -> tuple[str, str, str]:
    title = clean_text(title, field="public_title", label=_("公开标题"), max_length=MAX_TITLE)
    content = clean_text(content, field="public_content", label=_("公开诉求内容"), max_length=MAX_CONTENT)
    answer = clean_text(answer, field="public_answer", label=_("公开答复内容"), max_length=MAX_CONTENT)
    # A last guard for the human in the loop: the citizen's own contact data never goes out.
    secrets = [case.citizen_phone, case.citizen_id_no, case.citizen_email]
    if case.citizen_name and len(case.citizen_name) >= 2:
        secrets.append(case.citizen_name)
    errors: dict[str, list[str]] = {}
    for field, text in (("public_title", title), ("public_content", content), ("public_answer", answer)):
        if leaks(text, secrets=secrets):
            errors[field] = [_("公开文本仍含有群众的姓名、电话、证件号或邮箱，请先遮盖。")]
    if errors:
        raise CaseValidationError(next(iter(errors.values()))[0], fields=errors)
    return title, content, answer


def _refuse_personal_data(case: Case, title: str, content: str, answer: str) -> None:
    warnings = publication_warnings(case, {"title": title, "content": content, "answer": answer})
    if warnings:
        raise PersonalDataRemains(
            _("公开文本仍含有疑似证件号、电话、银行卡号等个人信息（%(spans)s），请先遮盖。")
            % {"spans": "、".join(w["text"] for w in warnings)},
            warnings=warnings,
            state=case.state,
        )


def publication_save(
    *,
    case: Case,
    actor: User,
    title: str,
    content: str,
    answer: str,
    client_ip: str | None = None,
) -> Case:
    """Save the dispatcher's edit of the public copy without changing the publication state.
    Side effects: a ``publication.edited`` event; if the case is on the board, its public text
    and search row change in the same transaction — so the same personal-data check as
    publishing applies then (``PersonalDataRemains``)."""
    if not case.publish_consent:
        msg = _("群众未同意公开，不能公开此件。")
        raise CaseValidationError(msg, fields={"publication": [msg]})
    title, content, answer = _check_public_copy(case, title, content, answer)
    if case.publication == Publication.PUBLISHED:
        _refuse_personal_data(case, title, content, answer)
    with transaction.atomic():
        locked = services.case_set_publication(
            case=case,
            actor=actor,
            action=PUBLICATION_EDITED,
            allowed_from={Publication.PENDING, Publication.WITHDRAWN, Publication.PUBLISHED},
            fields={"public_title": title, "public_content": content, "public_answer": answer},
            client_ip=client_ip,
        )
        if locked.publication == Publication.PUBLISHED:
            _refuse_personal_data(locked, title, content, answer)  # it was published meanwhile
            index_case(locked)
    return locked


def publication_publish(
    *,
    case: Case,
    actor: User,
    title: str,
    content: str,
    answer: str,
    client_ip: str | None = None,
) -> Case:
    """Publish (or republish after withdrawal, or correct) the public copy. Refused with
    ``PersonalDataRemains`` (409, the offending spans) while an ID-, phone- or card-like number
    remains. Side effects: the case appears on the public board and in its search index; a
    ``publish`` event on the timeline."""
    if not case.publish_consent:
        msg = _("群众未同意公开，不能公开此件。")
        raise CaseValidationError(msg, fields={"publication": [msg]})
    title, content, answer = _check_public_copy(case, title, content, answer)
    _refuse_personal_data(case, title, content, answer)
    now = timezone.now()
    with transaction.atomic():
        locked = services.case_set_publication(
            case=case,
            actor=actor,
            action=Transition.PUBLISH,
            allowed_from={Publication.PENDING, Publication.WITHDRAWN, Publication.PUBLISHED},
            fields={
                "publication": Publication.PUBLISHED,
                "public_title": title,
                "public_content": content,
                "public_answer": answer,
                "published_at": now,
            },
            client_ip=client_ip,
            now=now,
        )
        index_case(locked)
    return locked


def publication_withdraw(*, case: Case, actor: User, reason: str, client_ip: str | None = None) -> Case:
    """Take a published item off the board (it can be republished). Side effects: removed from the
    search index; a ``withdraw`` event with the reason."""
    reason = clean_text(reason, field="reason", label=_("撤回理由"), max_length=2000)
    with transaction.atomic():
        locked = services.case_set_publication(
            case=case,
            actor=actor,
            action=Transition.WITHDRAW,
            allowed_from={Publication.PUBLISHED},
            fields={"publication": Publication.WITHDRAWN},
            note=reason,
            client_ip=client_ip,
        )
        PublicSearch.objects.filter(case=locked).delete()
    return locked


# --- search -------------------------------------------------------------------------


def _document(case: Case) -> str:
    return "\n".join([case.tracking_no, case.public_title, case.public_content, case.public_answer]).lower()


def bigrams(text: str) -> list[str]:
    """Distinct character bigrams of every term (runs of letters, digits, CJK) in ``text``."""
    seen: dict[str, None] = {}
    for term in _TERM.findall(text.lower()):
        for i in range(len(term) - 1):
            seen[term[i : i + 2]] = None
    return list(seen)


def index_case(case: Case) -> None:
    """Write the case's search row (call inside the publishing transaction)."""
    document = _document(case)
    category_parent = Case.objects.filter(pk=case.pk).values_list("category__parent_id", flat=True).first()
    PublicSearch.objects.update_or_create(
        case=case,
        defaults={
            "document": document,
            "published_at": case.published_at,
            "registered_at": case.registered_at,
            "department_id_copy": case.department_id,
            "category_id_copy": case.category_id,
            "category_parent_id_copy": category_parent,
            "kind": case.kind,
        },
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE cases_publicsearch SET vector = array_to_tsvector(%s::text[]) WHERE case_id = %s",
                [bigrams(document) or [], case.pk],
            )


def normalise_query(q: str | None) -> str:
    return (q or "").strip()[:MAX_QUERY]


def search_published(qs: QuerySet[Case], q: str | None) -> QuerySet[Case]:
    """Cases of ``qs`` whose public text matches ``q`` (see ``search_rows``)."""
    if not _TERM.findall(normalise_query(q).lower()):
        return qs
    return qs.filter(pk__in=search_rows(PublicSearch.objects.all(), q).values("case_id"))


def search_rows(rows: QuerySet[PublicSearch], q: str | None) -> QuerySet[PublicSearch]:
    """Filter search rows (one per published case) by a Chinese (or any) query.

    Terms are runs of letters, digits and CJK (anything else separates them); all
    terms must match. PostgreSQL: a term of two or more characters must have all
    its bigrams in the GIN-indexed tsvector, then appear as a substring; a
    one-character term is a substring match. SQLite: substring (LIKE) per term.
    Eight or more digits search tracking numbers by prefix. Any input is safe:
    the query is truncated and the tsquery holds only letters, digits and CJK.
    """
    terms = _TERM.findall(normalise_query(q).lower())
    words = []
    for term in terms:
        if term.isdigit() and len(term) >= 8:
            # A tracking number (or its start): the unique index answers it directly.
            rows = rows.filter(case__tracking_no__startswith=term)
        else:
            words.append(term)
    return match_terms(rows, words)


def query_terms(q: str | None) -> list[str]:
    """The search terms of ``q`` (runs of letters, digits, CJK), lower-cased."""
    return _TERM.findall(normalise_query(q).lower())


def match_terms(rows: QuerySet, words: list[str]) -> QuerySet:
    """Rows (of any model with a lower-cased ``document`` text and its bigrams in a ``vector``
    tsvector on PostgreSQL) matching every one of ``words``: the board's search, reused by the
    knowledge base (kb.search)."""
    exact = connection.vendor == "postgresql"
    if exact:
        grams = [g for t in words if len(t) >= 2 for g in bigrams(t)]
        if grams:
            tsquery = " & ".join(f"'{g}'" for g in dict.fromkeys(grams))
            rows = rows.annotate(hit=RawSQL("vector @@ %s::tsquery", [tsquery], output_field=BooleanField())).filter(
                hit=True
            )
    # The bigram match narrows the rows through the GIN index; the substring check keeps each
    # term's characters in order (and is the whole search on SQLite and for one-character terms).
    # A two-character term on PostgreSQL is its own bigram: the vector match is already exact.
    for term in words:
        if not (exact and len(term) == 2):
            rows = rows.filter(document__contains=term)
    return rows
