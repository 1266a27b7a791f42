"""Every change to accounts data: staff users and their roles, applicants, API tokens.

Each action checks its own rules, runs in one transaction, locks what it changes and
appends an audit row. `actor=None` means the system itself (a management command run by
someone with shell access, or the demo seed); every other actor is checked.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy

from tongban.accounts import access, credentials, trust
from tongban.accounts.auth import hash_token
from tongban.accounts.identifiers import validate_id_number, validate_uscc
from tongban.accounts.models import ApiToken, Applicant, Role, RoleAssignment, TrustSource, User
from tongban.core.audit import record_audit
from tongban.core.crypto import blind_index
from tongban.core.errors import (
    Conflict,
    FieldErrors,
    Forbidden,
    Invalid,
    NotAuthenticated,
    not_found,
)
from tongban.core.masking import mask_id_number, mask_name
from tongban.regions.models import Jurisdiction

# Django admin access for jurisdiction administrators: a group with view/add/change (never
# delete) on the master data they maintain. Read-only on the shared basic catalogue.
ADMIN_GROUP_NAME = "管辖地管理员"
ADMIN_GROUP_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "regions.jurisdiction": ("view",),
    "regions.administrativeregion": ("view",),
    "regions.department": ("view", "add", "change"),
    "regions.calendaryear": ("view", "add", "change"),
    "regions.calendarday": ("view", "add", "change"),
    "centres.servicecentre": ("view", "add", "change"),
    "centres.window": ("view", "add", "change"),
    "catalog.serviceitem": ("view",),
    "catalog.itemimplementation": ("view", "add", "change"),
    "catalog.material": ("view", "add", "change"),
    "agreements.agreement": ("view", "add", "change"),
    "agreements.agreementparty": ("view", "add", "change"),
    "agreements.agreementitem": ("view", "add", "change"),
}

# roles a jurisdiction administrator may grant in their own jurisdiction; admin and
# platform_admin are granted by a platform administrator only
GRANTABLE_BY_JURISDICTION_ADMIN = frozenset({Role.CLERK, Role.OFFICER, Role.HEAD, Role.SUPERVISOR})

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")

RoleSpec = tuple[str, Jurisdiction | None]


# ---------------------------------------------------------------- input checks


def _clean_username(username: str) -> str:
    username = (username or "").strip()
    try:
        if not username:
            raise ValidationError("empty")
        User.username_validator(username)
    except ValidationError as exc:
        raise Invalid(
            gettext_lazy("A username may contain only letters, digits and @/./+/-/_."),
            code="invalid_username",
        ) from exc
    if len(username) > 150:
        raise Invalid(gettext_lazy("The username is too long."), code="invalid_username")
    return username


def _check_password(password: str | None, password_hash: str | None, user: User) -> None:
    if (password is None) == (password_hash is None):
        raise ValueError("pass exactly one of password and password_hash")
    if password is None:
        return
    try:
        validate_password(password, user)
    except ValidationError as exc:
        problems = "; ".join(str(m) for m in exc.messages)
        raise Invalid(
            gettext_lazy("The password is too weak: %(problems)s"),
            code="weak_password",
            details={"errors": list(exc.messages)},
            params={"problems": problems},
        ) from exc


def _set_password(user: User, password: str | None, password_hash: str | None) -> None:
    if password_hash is not None:
        # bulk imports and the demo seed hash one password once (PBKDF2 is slow on purpose)
        user.password = password_hash
    else:
        user.set_password(password)


def _clean_name(value: str, *, field: str = "name", max_length: int = 128) -> str:
    value = (value or "").strip()
    if not value:
        raise Invalid(gettext_lazy("A name is required."), code=f"{field}_required")
    if len(value) > max_length:
        raise Invalid(gettext_lazy("The name is too long."), code=f"{field}_too_long")
    return value


def _clean_phone(value: str) -> str:
    value = (value or "").strip().replace(" ", "")
    if value and not (_MOBILE.match(value) or _LANDLINE.match(value)):
        raise Invalid(
            gettext_lazy("The phone number is not valid (11-digit mobile or area code-landline)."),
            code="invalid_phone",
        )
    return value


def _clean_email(value: str) -> str:
    value = (value or "").strip()
    if value:
        try:
            validate_email(value)
        except ValidationError as exc:
            raise Invalid(
                gettext_lazy("The e-mail address is not valid."), code="invalid_email"
            ) from exc
    return value


def _clean_address(value: str) -> str:
    value = (value or "").strip()
    if len(value) > 255:
        raise Invalid(gettext_lazy("The address is too long."), code="address_too_long")
    return value


def _check_role_spec(role: str, jurisdiction: Jurisdiction | None) -> None:
    if role not in Role.values:
        raise Invalid(
            gettext_lazy("Unknown role %(role)s."),
            code="unknown_role",
            params={"role": f"{role!r}"},
        )
    if role == Role.PLATFORM_ADMIN and jurisdiction is not None:
        raise Invalid(
            gettext_lazy("A platform administrator has no jurisdiction."),
            code="platform_admin_without_jurisdiction",
        )
    if role != Role.PLATFORM_ADMIN and jurisdiction is None:
        raise Invalid(gettext_lazy("This role needs a jurisdiction."), code="jurisdiction_required")


def _check_may_grant(
    actor: User | AnonymousUser | None, role: str, jurisdiction: Jurisdiction | None
) -> None:
    if actor is None or access.is_platform_admin(actor):
        return
    access.require_authenticated(actor)
    if (
        role in GRANTABLE_BY_JURISDICTION_ADMIN
        and jurisdiction is not None
        and access.has_role(actor, [Role.ADMIN], jurisdiction.pk)
    ):
        return
    raise Forbidden(
        gettext_lazy("You may not grant this role in this jurisdiction."), code="may_not_grant_role"
    )


def _forget_grants(user: User) -> None:
    if hasattr(user, "_tongban_grants"):
        del user._tongban_grants


# ---------------------------------------------------------------- Django admin flags


def admin_group() -> Group:
    """The group giving jurisdiction administrators their Django admin permissions."""
    group, _ = Group.objects.get_or_create(name=ADMIN_GROUP_NAME)
    wanted = set()
    for label, verbs in ADMIN_GROUP_PERMISSIONS.items():
        app_label, model = label.split(".")
        for verb in verbs:
            wanted.add((app_label, f"{verb}_{model}"))
    permissions = [
        p
        for p in Permission.objects.filter(
            content_type__app_label__in={a for a, _ in wanted}
        ).select_related("content_type")
        if (p.content_type.app_label, p.codename) in wanted
    ]
    have = set(group.permissions.values_list("pk", flat=True))
    missing = [p for p in permissions if p.pk not in have]
    if missing:
        group.permissions.add(*missing)
    return group


def sync_admin_flags(user: User, changed_role: str) -> None:
    """Platform administrators are Django superusers; jurisdiction administrators are staff
    of the admin site with the group's permissions. Only the changed role's flags move."""
    roles = set(RoleAssignment.objects.filter(user=user).values_list("role", flat=True))
    if changed_role == Role.PLATFORM_ADMIN:
        user.is_superuser = Role.PLATFORM_ADMIN in roles
    elif changed_role == Role.ADMIN:
        if Role.ADMIN in roles:
            user.groups.add(admin_group())
        else:
            user.groups.remove(*Group.objects.filter(name=ADMIN_GROUP_NAME))
    else:
        return
    user.is_staff = user.is_superuser or Role.ADMIN in roles
    user.save(update_fields=["is_superuser", "is_staff"])


# ---------------------------------------------------------------- staff and roles


def _role_data(role: str, jurisdiction: Jurisdiction | None) -> dict[str, Any]:
    return {"role": role, "jurisdiction": jurisdiction.code if jurisdiction else None}


def create_staff_user(
    actor: User | AnonymousUser | None,
    username: str,
    password: str | None = None,
    display_name: str = "",
    roles: Sequence[RoleSpec] = (),
    *,
    password_hash: str | None = None,
    phone: str = "",
    email: str = "",
) -> User:
    """Create a staff account with its roles. A jurisdiction administrator may create
    clerks, officers, heads and supervisors of their own jurisdiction."""
    username = _clean_username(username)
    display_name = (display_name or "").strip()[:64]
    phone = _clean_phone(phone)
    email = _clean_email(email)
    if not roles:
        raise Invalid(
            gettext_lazy("A staff account needs at least one role."), code="roles_required"
        )
    for role, jurisdiction in roles:
        _check_role_spec(role, jurisdiction)
        _check_may_grant(actor, role, jurisdiction)
    user = User(
        username=username,
        kind=User.Kind.STAFF,
        display_name=display_name,
        phone=phone,
        email=email,
    )
    _check_password(password, password_hash, user)
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise Conflict(gettext_lazy("This username is already taken."), code="username_taken")
        _set_password(user, password, password_hash)
        user.save()
        for role, jurisdiction in roles:
            RoleAssignment.objects.create(user=user, role=role, jurisdiction=jurisdiction)
        for role in {r for r, _ in roles}:
            sync_admin_flags(user, role)
        record_audit(
            actor,
            "create_staff_user",
            user,
            f"创建工作人员账号 {username}",
            {"roles": [_role_data(r, j) for r, j in roles]},
        )
    return user


def assign_role(
    actor: User | AnonymousUser | None,
    user: User,
    role: str,
    jurisdiction: Jurisdiction | None = None,
    window: Any = None,
) -> RoleAssignment:
    """Grant `role` in `jurisdiction` (none for a platform administrator). Granting a role
    the user already holds changes nothing and returns the existing assignment, except
    that a different window is recorded."""
    _check_role_spec(role, jurisdiction)
    _check_may_grant(actor, role, jurisdiction)
    if user.kind != User.Kind.STAFF:
        raise Invalid(
            gettext_lazy("An applicant account cannot hold a staff role."), code="not_staff_account"
        )
    if window is not None and (
        jurisdiction is None or window.centre.jurisdiction_id != jurisdiction.pk
    ):
        raise Invalid(
            gettext_lazy("The window does not belong to this jurisdiction."),
            code="window_not_in_jurisdiction",
        )
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        existing = (
            RoleAssignment.objects.select_for_update()
            .filter(user=user, role=role, jurisdiction=jurisdiction)
            .first()
        )
        if existing is not None:
            if window is not None and existing.window_id != window.pk:
                existing.window = window
                existing.save(update_fields=["window"])
                record_audit(
                    actor,
                    "assign_role_window",
                    existing,
                    f"{user.username} 调整窗口 {window.code}",
                    {**_role_data(role, jurisdiction), "window": window.code},
                )
            return existing
        assignment = RoleAssignment.objects.create(
            user=user, role=role, jurisdiction=jurisdiction, window=window
        )
        sync_admin_flags(user, role)
        record_audit(
            actor,
            "assign_role",
            assignment,
            f"授予 {user.username} 角色 {role}",
            {"user": user.username, **_role_data(role, jurisdiction)},
        )
    _forget_grants(user)
    return assignment


def revoke_role(
    actor: User | AnonymousUser | None,
    user: User,
    role: str,
    jurisdiction: Jurisdiction | None = None,
) -> None:
    _check_role_spec(role, jurisdiction)
    _check_may_grant(actor, role, jurisdiction)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        assignment = (
            RoleAssignment.objects.select_for_update()
            .filter(user=user, role=role, jurisdiction=jurisdiction)
            .first()
        )
        if assignment is None:
            raise not_found("role assignment")
        if (
            role == Role.PLATFORM_ADMIN
            and not RoleAssignment.objects.filter(role=Role.PLATFORM_ADMIN, user__is_active=True)
            .exclude(user=user)
            .exists()
        ):
            raise Conflict(
                gettext_lazy("The last platform administrator cannot be removed."),
                code="last_platform_admin",
            )
        data = {"user": user.username, **_role_data(role, jurisdiction)}
        record_audit(actor, "revoke_role", assignment, f"撤销 {user.username} 角色 {role}", data)
        assignment.delete()
        sync_admin_flags(user, role)
    _forget_grants(user)


# ---------------------------------------------------------------- applicants


def _check_may_register(actor: User | AnonymousUser | None, user: User | None) -> None:
    if user is not None and user.kind != User.Kind.APPLICANT:
        raise Invalid(
            gettext_lazy("Only an applicant account can be linked."), code="not_applicant_account"
        )
    if actor is None or access.is_platform_admin(actor) or access.is_staff_member(actor):
        return
    access.require_authenticated(actor)
    raise Forbidden(
        gettext_lazy("Only staff may register applicants."), code="may_not_register_applicant"
    )


def _applicant_exists() -> Conflict:
    return Conflict(gettext_lazy("This applicant is already registered."), code="applicant_exists")


def _create_person(
    actor: User | AnonymousUser | None,
    name: str,
    id_number: str,
    phone: str,
    email: str,
    address: str,
    user: User | None,
) -> Applicant:
    # the user row is locked by the caller when there is one; the duplicate check below
    # cannot lock a row that does not exist yet, so PostgreSQL relies on the caller's
    # transaction being short (a duplicate is harmless: both rows are valid)
    return _create_applicant(
        actor,
        {"id_number_index": blind_index("identifier", id_number)},
        f"登记自然人申请人 {mask_name(name)}",
        {"kind": "person", "id_number": mask_id_number(id_number)},
        kind=Applicant.Kind.PERSON,
        name=name,
        id_number=id_number,
        phone=phone,
        email=email,
        address=address,
        user=user,
    )


def _create_applicant(
    actor: User | AnonymousUser | None,
    same: dict[str, Any],
    summary: str,
    audit_data: dict[str, Any],
    **fields: Any,
) -> Applicant:
    """Create the applicant unless one of its kind with the `same` identifier exists."""
    if Applicant.objects.filter(kind=fields["kind"], **same).exists():
        raise _applicant_exists()
    applicant = Applicant.objects.create(**fields)
    record_audit(actor, "register_applicant", applicant, summary, audit_data)
    return applicant


def register_applicant_person(
    actor: User | AnonymousUser | None,
    name: str,
    id_number: str,
    phone: str = "",
    email: str = "",
    address: str = "",
    user: User | None = None,
) -> Applicant:
    """Register a natural person (公民身份号码) as an applicant, e.g. at a window."""
    _check_may_register(actor, user)
    name = _clean_name(name)
    id_number = validate_id_number(id_number)
    phone, email, address = _clean_phone(phone), _clean_email(email), _clean_address(address)
    with transaction.atomic():
        if user is not None:
            User.objects.select_for_update().filter(pk=user.pk).first()
        return _create_person(actor, name, id_number, phone, email, address, user)


def register_applicant_enterprise(
    actor: User | AnonymousUser | None,
    name: str,
    uscc: str,
    agent_name: str,
    agent_id_number: str,
    phone: str = "",
    email: str = "",
    address: str = "",
    user: User | None = None,
) -> Applicant:
    """Register an enterprise (统一社会信用代码) and the agent (经办人) who acts for it."""
    _check_may_register(actor, user)
    name = _clean_name(name)
    uscc = validate_uscc(uscc)
    agent_name = _clean_name(agent_name, field="agent_name", max_length=64)
    agent_id_number = validate_id_number(agent_id_number)
    phone, email, address = _clean_phone(phone), _clean_email(email), _clean_address(address)
    with transaction.atomic():
        if user is not None:
            User.objects.select_for_update().filter(pk=user.pk).first()
        return _create_applicant(
            actor,
            {"uscc": uscc},
            f"登记企业申请人 {name}",
            {
                "kind": "enterprise",
                "uscc": uscc,
                "agent_id_number": mask_id_number(agent_id_number),
            },
            kind=Applicant.Kind.ENTERPRISE,
            name=name,
            uscc=uscc,
            agent_name=agent_name,
            agent_id_number=agent_id_number,
            phone=phone,
            email=email,
            address=address,
            user=user,
        )


def register_established_enterprise(
    actor: User | AnonymousUser,
    *,
    name: str,
    region_code: str,
    kind: str,
    agent: Applicant,
    address: str,
) -> Applicant:
    """An enterprise comes into being with its business licence (企业设立登记): create its
    applicant record with a newly assigned 统一社会信用代码 of the registering place, and
    make the natural person who filed the application its agent (经办人), with the same
    portal account. Called by the case workflow inside its transaction when the licence
    is issued; the workflow has checked the actor's role and the case's state."""
    name = _clean_name(name)
    if agent.kind != Applicant.Kind.PERSON:
        raise Invalid(
            gettext_lazy("Company establishment is filed by a natural person (the agent)."),
            code="establishment_needs_person",
        )
    if Applicant.objects.filter(kind=Applicant.Kind.ENTERPRISE, name=name).exists():
        raise Conflict(
            gettext_lazy("An enterprise named '%(name)s' is already registered."),
            code="enterprise_name_taken",
            params={"name": name},
        )
    from tongban.accounts.identifiers import new_uscc

    # a fresh code collides with an existing one about once in 10^9 draws; try again
    for _attempt in range(5):
        uscc = new_uscc(region_code, kind=kind)
        if not Applicant.objects.filter(uscc=uscc).exists():
            break
    else:  # pragma: no cover - five collisions in a row mean a broken random source
        raise Conflict(gettext_lazy("Could not assign a USCC."), code="uscc_busy")
    applicant = Applicant.objects.create(
        kind=Applicant.Kind.ENTERPRISE,
        name=name,
        uscc=uscc,
        agent_name=agent.name,
        agent_id_number=agent.id_number,
        phone=agent.phone,
        email=agent.email,
        address=_clean_address(address),
        user=agent.user,
    )
    record_audit(
        actor,
        "register_established_enterprise",
        applicant,
        f"企业设立登记:{name} {uscc}",
        {
            "kind": "enterprise",
            "uscc": uscc,
            "agent_id_number": mask_id_number(agent.id_number),
        },
    )
    return applicant


def registration_problems(
    username: str,
    password: str | None,
    name: str,
    id_number: str,
    phone: str = "",
    email: str = "",
    address: str = "",
    *,
    password_hash: str | None = None,
) -> FieldErrors:
    """Every problem of a self-registration at once, by field (ADR 0123): the portal's
    page marks them all after one submit, `register_portal_user` raises them together.
    Whether the username is taken is answered separately (409, `username_taken`)."""
    problems = FieldErrors()
    problems.check("username", lambda: _clean_username(username))
    problems.check("name", lambda: _clean_name(name))
    problems.check("id_number", lambda: validate_id_number(id_number))
    problems.check("phone", lambda: _clean_phone(phone))
    problems.check("email", lambda: _clean_email(email))
    problems.check("address", lambda: _clean_address(address))
    probe = User(
        username=(username or "").strip(),
        kind=User.Kind.APPLICANT,
        display_name=(name or "").strip()[:64],
        email=(email or "").strip(),
    )
    problems.check("password", lambda: _check_password(password, password_hash, probe))
    return problems


def register_portal_user(
    username: str,
    password: str | None,
    name: str,
    id_number: str,
    phone: str = "",
    email: str = "",
    address: str = "",
    *,
    password_hash: str | None = None,
) -> User:
    """Self-registration of a natural person on the portal: an applicant account and the
    applicant it acts as.

    The answer never tells whether the ID number is already registered (ADR 0091): when
    it is (e.g. at a window, or by another account), the account is still created, but
    linked to no applicant, and the registered applicant is told by a notification;
    linking an existing record needs an identity check at a window. Both paths write the
    same rows apart from the applicant and answer the same."""
    cleaned = registration_problems(
        username, password, name, id_number, phone, email, address, password_hash=password_hash
    )
    cleaned.raise_if_any()
    username, name, id_number = (
        _clean_username(username),
        _clean_name(name),
        validate_id_number(id_number),
    )
    phone, email, address = _clean_phone(phone), _clean_email(email), _clean_address(address)
    user = User(
        username=username,
        kind=User.Kind.APPLICANT,
        display_name=name[:64],
        phone=phone,
        email=email,
    )
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise Conflict(gettext_lazy("This username is already taken."), code="username_taken")
        _set_password(user, password, password_hash)
        # what the user typed, format checked only: never enough to reach records others
        # filed under this ID number (tongban.accounts.trust)
        user.trust_level = trust.SELF_ASSERTED
        user.trust_source = TrustSource.SELF
        user.save()
        record_audit(
            user,
            "register_portal_user",
            user,
            f"申请人自助注册 {username}",
            {"trust_level": user.trust_level, "trust_source": user.trust_source},
        )
        existing = (
            Applicant.objects.select_for_update()
            .filter(
                kind=Applicant.Kind.PERSON, id_number_index=blind_index("identifier", id_number)
            )
            .order_by("pk")
            .first()
        )
        if existing is None:
            _create_person(user, name, id_number, phone, email, address, user)
        else:
            # notifications sit above accounts: the one place accounts queues a message
            # (ignored by name in the layers contract, pyproject.toml)
            from tongban.notifications.actions import queue_applicant_notification

            queue_applicant_notification(existing, "registration_attempt", {"username": username})
            record_audit(
                user,
                "register_portal_user_unlinked",
                user,
                f"自助注册的身份号码已登记,账号 {username} 未绑定申请人",
                {"id_number": mask_id_number(id_number)},
            )
    return user


# ---------------------------------------------------------------- identity and trust level


def _record_trust(
    actor: User | AnonymousUser | None, user: User, level: int, source: str, how: str
) -> None:
    """Set and record the account's trust level (the caller holds the user row lock)."""
    if level not in trust.LEVELS:
        raise Invalid(gettext_lazy("Unknown trust level."), code="invalid_trust_level")
    before = user.trust_level
    user.trust_level = level
    user.trust_source = source
    user.trust_verified_at = timezone.now()
    user.save(update_fields=["trust_level", "trust_source", "trust_verified_at"])
    record_audit(
        actor,
        "set_trust_level",
        user,
        f"可信等级 {before} → {level}({how})",
        {"before": before, "after": level, "source": source},
    )


def _link_applicant(
    actor: User | AnonymousUser | None, user: User, applicant: Applicant, how: str
) -> None:
    """Point a verified identity's applicant record at its account. A record held by
    another account (e.g. an unverified self-registration with someone else's ID number)
    moves to the verified one; the move is recorded."""
    if applicant.user_id == user.pk:
        return
    previous = applicant.user_id
    applicant.user = user
    applicant.save(update_fields=["user"])
    record_audit(
        actor,
        "link_applicant",
        applicant,
        f"绑定申请人 {applicant}({how})",
        {"user": user.pk, "previous_user": previous},
    )


def verify_identity_in_person(
    actor: User | AnonymousUser | None, username: str, id_number: str
) -> User:
    """A clerk checked the person's ID card at the window (trust level 5): the applicant
    account is linked to the applicant record with that 公民身份号码, created if new."""
    access.require_authenticated(actor)
    if not access.jurisdictions_with(actor, [Role.CLERK]):
        raise Forbidden(
            gettext_lazy("Only window clerks may check an identity in person."),
            code="may_not_verify_identity",
        )
    id_number = validate_id_number(id_number)
    with transaction.atomic():
        user = (
            User.objects.select_for_update()
            .filter(username__iexact=(username or "").strip(), is_active=True)
            .first()
        )
        if user is None or user.kind != User.Kind.APPLICANT:
            raise not_found("user")
        applicant = (
            Applicant.objects.select_for_update()
            .filter(
                kind=Applicant.Kind.PERSON, id_number_index=blind_index("identifier", id_number)
            )
            .first()
        )
        if applicant is None:
            applicant = _create_person(
                actor, user.display_name or user.username, id_number, "", "", "", user
            )
        _link_applicant(actor, user, applicant, "窗口现场核验")
        _record_trust(actor, user, trust.IN_PERSON, TrustSource.WINDOW, "窗口现场核验")
    return user


def set_trust_level(
    actor: User | AnonymousUser | None, user_id: int, level: int, source: str
) -> User:
    """The system (actor None: the demo seed, an import from the identity platform) sets
    an account's trust level; people raise it through the platform or at a window."""
    if actor is not None:
        raise Forbidden(
            gettext_lazy("The trust level comes from the identity platform or a window check."),
            code="may_not_set_trust_level",
        )
    if source not in TrustSource.values:
        raise Invalid(gettext_lazy("Unknown trust source."), code="invalid_trust_source")
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id).first()
        if user is None:
            raise not_found("user")
        _record_trust(actor, user, level, source, TrustSource(source).label)
    return user


def bind_identity_subject(actor: User | AnonymousUser | None, user_id: int, subject: str) -> User:
    """Bind an account (typically staff) to its identity platform `sub`, so that signing in
    at the platform opens this account with its Tongban roles. Platform administrators
    and the system only."""
    if actor is not None and not access.is_platform_admin(actor):
        access.require_authenticated(actor)
        raise Forbidden(
            gettext_lazy("Only platform administrators may bind an identity platform account."),
            code="may_not_bind_identity",
        )
    subject = (subject or "").strip()
    if not subject or len(subject) > 255:
        raise Invalid(gettext_lazy("The subject is not valid."), code="invalid_subject")
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id).first()
        if user is None:
            raise not_found("user")
        if User.objects.filter(oidc_subject=subject).exclude(pk=user.pk).exists():
            raise Conflict(
                gettext_lazy("This identity is bound to another account."), code="identity_bound"
            )
        if user.oidc_subject != subject:
            user.oidc_subject = subject
            user.save(update_fields=["oidc_subject"])
            record_audit(actor, "bind_identity", user, f"绑定统一身份认证账号 {user.username}")
    return user


@dataclass(frozen=True)
class IdentityClaims:
    """What the identity platform asserted about the person, already mapped from its claim
    names (tongban.accounts.oidc) and taken from a validated ID token / userinfo."""

    subject: str
    name: str
    trust_level: int
    id_number: str = ""
    uscc: str = ""
    enterprise_name: str = ""
    email: str = ""
    phone: str = ""


def _clamp_level(value: Any) -> int:
    try:
        level = int(value)
    except (TypeError, ValueError):
        return trust.SELF_ASSERTED
    # a claim outside the published scale is read as the nearest level, never higher
    return min(max(level, trust.SELF_ASSERTED), trust.IN_PERSON)


def sign_in_with_identity(claims: IdentityClaims) -> User:
    """The account of a person the identity platform vouched for, created on first
    sign-in. Staff accounts are linked to a platform identity by an administrator
    (`oidc_subject`); their roles stay Tongban's. An applicant account gets the claimed
    trust level, and from level 3 its applicant record: the verified 公民身份号码, and the
    enterprise (统一社会信用代码) the platform says the person is authorised to act for."""
    subject = (claims.subject or "").strip()
    if not subject or len(subject) > 255:
        raise Invalid(gettext_lazy("The identity has no subject."), code="invalid_claims")
    level = _clamp_level(claims.trust_level)
    name = _clean_name(claims.name or subject, max_length=64)
    id_number = validate_id_number(claims.id_number) if claims.id_number else ""
    uscc = validate_uscc(claims.uscc) if claims.uscc else ""
    with transaction.atomic():
        user = User.objects.select_for_update().filter(oidc_subject=subject).first()
        if user is None:
            user = User(
                username=f"idp-{secrets.token_hex(8)}",
                kind=User.Kind.APPLICANT,
                display_name=name,
                oidc_subject=subject,
                trust_level=trust.SELF_ASSERTED,
            )
            user.set_unusable_password()
            user.save()
            record_audit(user, "register_identity_user", user, f"统一身份认证首次登录 {name}")
        if not user.is_active:
            raise NotAuthenticated(
                gettext_lazy("This account is disabled."), code="account_disabled"
            )
        if user.kind != User.Kind.APPLICANT:
            return user
        if level != user.trust_level or user.trust_source != TrustSource.IDP:
            _record_trust(user, user, level, TrustSource.IDP, "统一身份认证")
        if level < trust.VERIFIED:
            return user
        if id_number:
            person = (
                Applicant.objects.select_for_update()
                .filter(
                    kind=Applicant.Kind.PERSON, id_number_index=blind_index("identifier", id_number)
                )
                .first()
            )
            if person is None:
                person = _create_person(user, name, id_number, "", "", "", user)
            _link_applicant(user, user, person, "统一身份认证")
        if uscc and id_number:
            firm = (
                Applicant.objects.select_for_update()
                .filter(kind=Applicant.Kind.ENTERPRISE, uscc=uscc)
                .first()
            )
            if firm is None:
                firm = Applicant.objects.create(
                    kind=Applicant.Kind.ENTERPRISE,
                    name=_clean_name(claims.enterprise_name or uscc),
                    uscc=uscc,
                    agent_name=name,
                    agent_id_number=id_number,
                )
                record_audit(user, "register_applicant", firm, f"登记企业申请人 {firm.name}")
            elif firm.agent_id_number != id_number:
                firm.agent_name, firm.agent_id_number = name, id_number
                firm.save(update_fields=["agent_name", "agent_id_number"])
            _link_applicant(user, user, firm, "统一身份认证(经办人授权)")
    return user


# ---------------------------------------------------------------- API tokens


@dataclass(frozen=True)
class IssuedToken:
    key: str  # shown once; only its SHA-256 is stored
    token: ApiToken

    @property
    def expires_at(self) -> dt.datetime:
        return self.token.expires_at


def issue_token(request: HttpRequest, username: str, password: str) -> IssuedToken:
    """Log in for the API. Unknown user, wrong password and inactive account get the same
    answer (Django's backend also hashes for unknown users, so timing tells little).

    The request goes to authenticate() so that django-axes counts the attempt per account
    and per client address and refuses a locked-out caller; AxesMiddleware then turns the
    answer into 429 `too_many_attempts` (ADR 0091)."""
    user = authenticate(request, username=username, password=password)
    if user is None or not user.is_active:
        raise NotAuthenticated(
            gettext_lazy("The username or password is not correct."), code="invalid_credentials"
        )
    assert isinstance(user, User)
    now = timezone.now()
    key = secrets.token_urlsafe(32)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        ApiToken.objects.filter(user=user, expires_at__lte=now).delete()
        token = ApiToken.objects.create(
            user=user,
            key_hash=hash_token(key),
            expires_at=now + dt.timedelta(seconds=settings.API_TOKEN_TTL_SECONDS),
        )
        User.objects.filter(pk=user.pk).update(last_login=now)
        record_audit(user, "issue_token", token, f"签发API令牌 {user.username}")
    # a token is a sign-in like the web's: the same signal, so django-axes logs the access
    user_logged_in.send(sender=type(user), request=request, user=user)
    return IssuedToken(key=key, token=token)


def revoke_token(user: User | AnonymousUser, token: ApiToken | None) -> None:
    """Revoke the caller's own token (logout). A session caller has no token: nothing to do."""
    access.require_authenticated(user)
    if token is None:
        return
    if token.user_id != user.pk:
        raise not_found("token")
    with transaction.atomic():
        row = ApiToken.objects.select_for_update().filter(pk=token.pk).first()
        if row is None:
            return
        record_audit(user, "revoke_token", row, f"吊销API令牌 {user.username}")
        row.delete()
        # this process forgets it at once; any process's next move finds no row (ADR 0148)
        key_hash = row.key_hash
        transaction.on_commit(lambda: credentials.forget(key_hash))


def role_specs(
    pairs: Iterable[tuple[str, str | None]],
) -> list[RoleSpec]:
    """Turn (role, jurisdiction code) pairs into role specs; unknown codes are Invalid."""
    result: list[RoleSpec] = []
    for role, code in pairs:
        jurisdiction = None
        if code:
            jurisdiction = Jurisdiction.objects.filter(code=code).first()
            if jurisdiction is None:
                raise Invalid(
                    gettext_lazy("No jurisdiction with code %(code)s."),
                    code="unknown_jurisdiction",
                    params={"code": code},
                )
        result.append((role, jurisdiction))
    return result
