"""Who may see a person's unmasked data, for which purpose, and the record of every such
read (个人信息保护法 §44–45, ADR 0100).

This is the ONE place for that rule: the API, the web, the file download and the admin
ask `may_unmask_case` / `may_unmask_licence` and call `record_read` when they show the
unmasked data. Reads that only show masked data are not recorded. A person reading their
own data is not recorded either: the log answers "who else read my data".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Page, Paginator
from django.utils.translation import gettext_lazy as _

from tongban.accounts import access
from tongban.accounts.models import Applicant, PersonalDataRead, Role, User
from tongban.core.errors import Forbidden

Purpose = PersonalDataRead.Purpose
Channel = PersonalDataRead.Channel

# Who needs the full identity for the case at hand: the clerk of the receiving leg checks
# the person at the window, the officer and head of the handling leg decide on them.
# Administrators and supervisors work on masked data; they can still see the log of reads.
CASE_NEEDS_FULL_IDENTITY = frozenset({Role.CLERK, Role.OFFICER, Role.HEAD})
# Role shown for a reader with several roles in the same jurisdiction: the first listed.
_ROLE_ORDER = [Role.OFFICER, Role.HEAD, Role.CLERK, Role.ADMIN, Role.SUPERVISOR]


def _is_subject(user: User | AnonymousUser, subject: Applicant) -> bool:
    return subject.user_id is not None and subject.user_id == getattr(user, "pk", None)


def may_unmask_case(user: User | AnonymousUser, case: Any) -> bool:
    """The applicant themself, or a case-work role in the receiving or handling leg."""
    if _is_subject(user, case.applicant):
        return True
    return any(
        access.has_role(user, CASE_NEEDS_FULL_IDENTITY, jurisdiction_id)
        for jurisdiction_id in (case.receiving_jurisdiction_id, case.handling_jurisdiction_id)
    )


def may_unmask_licence(user: User | AnonymousUser, licence: Any) -> bool:
    """The holder, or the roles that need the full identity for the case the licence was
    issued in; without a case, the officer and head of the issuing jurisdiction."""
    if _is_subject(user, licence.holder):
        return True
    if licence.case_id is not None:
        return may_unmask_case(user, licence.case)
    return access.has_role(user, {Role.OFFICER, Role.HEAD}, licence.issuing_jurisdiction_id)


def require_unmask_case(user: User | AnonymousUser, case: Any) -> None:
    if not may_unmask_case(user, case):
        raise Forbidden(
            _("Your role does not need this applicant's full personal data."),
            code="unmask_not_allowed",
        )


def _reader_grant(user: User, jurisdiction_ids: Iterable[int | None]) -> tuple[str, int | None]:
    """The role and jurisdiction under which the user reads: the first jurisdiction of the
    case/licence where they hold a role, else their first grant."""
    grants = access.grants(user)
    for jurisdiction_id in jurisdiction_ids:
        roles = {g.role for g in grants if g.jurisdiction_id == jurisdiction_id}
        for role in _ROLE_ORDER:
            if jurisdiction_id is not None and role in roles:
                return role, jurisdiction_id
    if access.is_platform_admin(user):
        return Role.PLATFORM_ADMIN, None
    if grants:
        return grants[0].role, grants[0].jurisdiction_id
    return "", None


def record_read(
    user: User | AnonymousUser,
    subject: Applicant,
    purpose: str,
    reference: str,
    channel: str,
    jurisdiction_ids: Iterable[int | None] = (),
) -> PersonalDataRead | None:
    """Append one row (a single INSERT, no lock, in the caller's transaction if any).
    Not recorded when the person reads their own data or nobody is signed in."""
    if not isinstance(user, User) or _is_subject(user, subject):
        return None
    role, jurisdiction_id = _reader_grant(user, jurisdiction_ids)
    return PersonalDataRead.objects.create(
        subject=subject,
        reader=user,
        reader_role=role,
        jurisdiction_id=jurisdiction_id,
        purpose=purpose,
        reference=str(reference)[:128],
        channel=channel,
    )


def record_case_read(
    user: User | AnonymousUser, case: Any, channel: str
) -> PersonalDataRead | None:
    return record_read(
        user,
        case.applicant,
        Purpose.CASE,
        case.number,
        channel,
        (case.handling_jurisdiction_id, case.receiving_jurisdiction_id),
    )


def reads_of_me(user: User | AnonymousUser, page_number: Any = 1, per_page: int = 20) -> Page:
    """The reads of the data of the applicants the signed-in account acts as, newest
    first. Scoped: only one's own; the reader's personal name is not part of the answer."""
    user = access.signed_in(user)
    queryset = (
        PersonalDataRead.objects.filter(subject__user=user)
        .select_related("jurisdiction")
        .order_by("-read_at", "-pk")
    )
    return Paginator(queryset, per_page).get_page(page_number)


def record_licence_read(
    user: User | AnonymousUser, licence: Any, channel: str
) -> PersonalDataRead | None:
    return record_read(
        user,
        licence.holder,
        Purpose.LICENCE,
        licence.identifier,
        channel,
        (licence.issuing_jurisdiction_id,),
    )


def require_unmask_licence(user: User | AnonymousUser, licence: Any) -> None:
    if not may_unmask_licence(user, licence):
        raise Forbidden(
            _("The licence carries the holder's full identity, which your role does not need."),
            code="unmask_not_allowed",
        )


def record_lookup(
    user: User | AnonymousUser, subject: Applicant, channel: str
) -> PersonalDataRead | None:
    """A found applicant at the window: the clerk learns who is registered under a full ID
    number (and their credit record), so the look-up counts as a read."""
    clerk_at = sorted(access.jurisdictions_with(user, {Role.CLERK}))
    return record_read(user, subject, Purpose.LOOKUP, "", channel, clerk_at)


def read_out(read: PersonalDataRead) -> dict[str, Any]:
    """One read as shown to the person read about (API and portal alike)."""
    role_labels = dict(Role.choices)
    return {
        "read_at": read.read_at,
        "purpose": read.purpose,
        "purpose_label": read.get_purpose_display(),
        "reference": read.reference,
        "channel": read.channel,
        "reader_role": read.reader_role,
        "reader_role_label": role_labels.get(read.reader_role, read.reader_role),
        "jurisdiction": read.jurisdiction.name if read.jurisdiction else None,
    }
