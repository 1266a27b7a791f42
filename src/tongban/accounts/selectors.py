"""Every read of accounts data, scoped to the caller."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from tongban.accounts import access
from tongban.accounts.identifiers import normalise
from tongban.accounts.models import Applicant, RoleAssignment, User
from tongban.core.crypto import blind_index
from tongban.core.errors import not_found
from tongban.regions.models import Jurisdiction


def find_applicant(identifier: str) -> Applicant | None:
    """The applicant with this 公民身份号码 or 统一社会信用代码 (any case, spaces ignored).
    Not scoped: callers that serve a user go through `find_applicant_for`."""
    value = normalise(identifier or "")
    if not value:
        return None
    return (
        Applicant.objects.filter(
            Q(kind=Applicant.Kind.PERSON, id_number_index=blind_index("identifier", value))
            | Q(kind=Applicant.Kind.ENTERPRISE, uscc=value)
        )
        .select_related("user")
        .order_by("pk")
        .first()
    )


def readable_applicants(user: User | AnonymousUser | None) -> QuerySet[Applicant]:
    """Staff (any role) and platform administrators may look applicants up; an applicant
    sees only the applicants their account acts as; anonymous callers see nothing."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Applicant.objects.none()
    if access.is_platform_admin(user) or access.is_staff_member(user):
        return Applicant.objects.all()
    return Applicant.objects.filter(user=user)


def own_applicants(user: User | AnonymousUser) -> list[Applicant]:
    """The applicants an applicant's account acts as: the person (本人) and each
    enterprise it is the agent (经办人) of (本企业), the person first. Staff act for
    others at a window and have none here."""
    if not isinstance(user, User) or not user.is_authenticated:
        return []
    found = Applicant.objects.filter(user=user).order_by("pk")
    return sorted(found, key=lambda a: (a.kind != Applicant.Kind.PERSON, a.pk))


def get_applicant_for(user: User | AnonymousUser, pk: int) -> Applicant:
    applicant = readable_applicants(user).filter(pk=pk).first()
    if applicant is None:
        raise not_found("applicant")
    return applicant


def find_applicant_for(user: User | AnonymousUser, identifier: str) -> Applicant:
    applicant = find_applicant(identifier)
    if applicant is None or not readable_applicants(user).filter(pk=applicant.pk).exists():
        raise not_found("applicant")
    return applicant


def role_assignments_of(user: User) -> QuerySet[RoleAssignment]:
    return (
        RoleAssignment.objects.filter(user=user)
        .select_related("jurisdiction")
        .order_by("jurisdiction__code", "role")
    )


def staff_jurisdictions(user: User | AnonymousUser) -> list[Jurisdiction]:
    """The jurisdictions a staff list (consultations, rectification tasks) can be narrowed
    to: where the user holds any role; every active one for platform admins."""
    qs = (
        Jurisdiction.objects.filter(active=True)
        if access.is_platform_admin(user)
        else Jurisdiction.objects.filter(pk__in=access.jurisdictions_with(user))
    )
    return list(qs.only("code", "name", "short_name").order_by("code"))


def jurisdictions_with_role(user: User | AnonymousUser, roles: Iterable[str]) -> list[Jurisdiction]:
    """The jurisdictions where the user holds one of `roles`, by code."""
    ids = access.jurisdictions_with(user, roles)
    return list(Jurisdiction.objects.filter(pk__in=ids).order_by("code")) if ids else []
