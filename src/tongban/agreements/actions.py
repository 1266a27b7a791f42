"""Every change to cooperation agreements.

Life of a version (ADR 0020)::

    draft ──activate──▶ active ──suspend──▶ suspended ──resume──▶ active
                          │                     │
                          ├──expire─────────────┴──expire──▶ expired
                          └── (a newer version is activated) ──▶ superseded

Only a draft can be edited; a change to an active agreement is a new version (a copy
of parties, items and directions) that supersedes the old one when it is activated.
Cases keep the agreement version they were opened under. Every change writes an
`AgreementEvent` (the version history shown to users) and an audit row.

Permissions: the platform admin; or a jurisdiction admin of a party of the version
concerned (for a new draft: of one of the parties listed)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tongban.accounts.access import (
    is_platform_admin,
    jurisdictions_with,
    require_authenticated,
    signed_in,
)
from tongban.accounts.models import Role, User
from tongban.agreements.models import Agreement, AgreementEvent, AgreementItem, AgreementParty
from tongban.agreements.selectors import readable_agreements
from tongban.catalog.models import ServiceItem
from tongban.catalog.validation import (
    Problem,
    clean_code_list,
    clean_model_field,
    invalid,
    joined,
)
from tongban.core.audit import record_audit
from tongban.core.errors import Conflict, Forbidden, NotFound, StrOrPromise
from tongban.regions.models import Jurisdiction

AGREEMENT_FIELDS = ("title", "signed_on", "valid_from", "valid_to", "notes")
PARTY_FIELDS = ("signatory", "liaison_name", "liaison_phone")

PartyInput = Jurisdiction | Mapping[str, Any]
ItemInput = Mapping[str, Any]


# ---------------------------------------------------------------- validation


def _clean_parties(parties: Sequence[PartyInput], problems: list[Problem]) -> list[dict[str, Any]]:
    """Each party is a Jurisdiction or a mapping with `jurisdiction` and optional
    signatory / liaison_name / liaison_phone."""
    rows: list[dict[str, Any]] = []
    seen: set[int] = set()
    for index, party in enumerate(parties):
        prefix = f"parties[{index}]."
        data: Mapping[str, Any] = (
            {"jurisdiction": party} if isinstance(party, Jurisdiction) else party
        )
        jurisdiction = data.get("jurisdiction")
        if not isinstance(jurisdiction, Jurisdiction):
            problems.append(
                Problem(
                    prefix + "jurisdiction",
                    "party_without_jurisdiction",
                    _("party %(number)s has no jurisdiction"),
                    {"number": index + 1},
                )
            )
            continue
        if jurisdiction.pk in seen:
            problems.append(
                Problem(
                    prefix + "jurisdiction",
                    "duplicate_party",
                    # xgettext:no-python-format
                    _("%(code)s is listed twice"),
                    {"code": jurisdiction.code, "name": jurisdiction.short_name},
                )
            )
            continue
        seen.add(jurisdiction.pk)
        row: dict[str, Any] = {"jurisdiction": jurisdiction}
        for name in data:
            if name != "jurisdiction" and name not in PARTY_FIELDS:
                problems.append(
                    Problem(
                        prefix + name,
                        "unknown_field",
                        _("party %(number)s: unknown field %(field)s"),
                        {"number": index + 1, "field": name},
                    )
                )
        for name in PARTY_FIELDS:
            row[name] = clean_model_field(
                AgreementParty, name, data.get(name) or "", problems, prefix
            )
        rows.append(row)
    if len(rows) < 2:
        problems.append(
            Problem(
                "parties",
                "too_few_parties",
                _("an agreement needs at least two different parties"),
            )
        )
    return rows


def _clean_items(
    items: Sequence[ItemInput], party_ids: set[int], problems: list[Problem]
) -> list[dict[str, Any]]:
    """Each item is a mapping with `item` (ServiceItem), `modes` and optional
    `receiving_jurisdictions` / `handling_jurisdictions` (lists of parties; empty =
    every party)."""
    rows: list[dict[str, Any]] = []
    seen: set[int] = set()
    for index, data in enumerate(items):
        prefix = f"items[{index}]."
        item = data.get("item")
        if not isinstance(item, ServiceItem):
            problems.append(
                Problem(
                    prefix + "item",
                    "item_missing",
                    _("agreement item %(number)s names no service item"),
                    {"number": index + 1},
                )
            )
            continue
        if item.pk in seen:
            problems.append(
                Problem(
                    prefix + "item",
                    "duplicate_item",
                    # xgettext:no-python-format
                    _("item %(code)s is listed twice"),
                    {"code": item.code, "name": item.name},
                )
            )
            continue
        seen.add(item.pk)
        for name in data:
            if name not in ("item", "modes", "receiving_jurisdictions", "handling_jurisdictions"):
                problems.append(
                    Problem(
                        prefix + name,
                        "unknown_field",
                        # xgettext:no-python-format
                        _("item %(code)s: unknown field %(field)s"),
                        {"code": item.code, "field": name, "name": item.name},
                    )
                )
        modes = clean_code_list("modes", data.get("modes"), problems, prefix + "modes")
        if not modes:
            problems.append(
                Problem(
                    prefix + "modes",
                    "no_modes",
                    # xgettext:no-python-format
                    _("item %(code)s needs at least one mode"),
                    {"code": item.code, "name": item.name},
                )
            )
        directions: dict[str, list[Jurisdiction]] = {}
        had_outsiders = False
        for side, side_label in (
            ("receiving_jurisdictions", pgettext_lazy("agreement direction", "receiving")),
            ("handling_jurisdictions", pgettext_lazy("agreement direction", "handling")),
        ):
            listed = list(data.get(side) or [])
            outsiders = [
                j for j in listed if not isinstance(j, Jurisdiction) or j.pk not in party_ids
            ]
            if outsiders:
                had_outsiders = True
                problems.append(
                    Problem(
                        prefix + side,
                        "direction_not_party",
                        # the Chinese text names the item and the outsiders, the English
                        # the item's code
                        # xgettext:no-python-format
                        _("item %(code)s: every %(side)s jurisdiction must be a party"),
                        {
                            "code": item.code,
                            "name": item.name,
                            "side": side_label,
                            "outsiders": joined(
                                getattr(j, "short_name", str(j)) for j in outsiders
                            ),
                        },
                    )
                )
            directions[side] = [j for j in listed if j not in outsiders]
        receivers = {j.pk for j in directions["receiving_jurisdictions"]} or party_ids
        handlers = {j.pk for j in directions["handling_jurisdictions"]} or party_ids
        if (
            len(party_ids) >= 2
            and not had_outsiders
            and not any(r != h for r in receivers for h in handlers)
        ):
            problems.append(
                Problem(
                    prefix + "handling_jurisdictions",
                    "no_direction",
                    # xgettext:no-python-format
                    _("item %(code)s: no receiving/handling pair of different parties"),
                    {"code": item.code, "name": item.name},
                )
            )
        rows.append({"item": item, "modes": modes, **directions})
    return rows


def _clean_fields(fields: Mapping[str, Any], problems: list[Problem]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for name, value in fields.items():
        if name not in AGREEMENT_FIELDS:
            problems.append(
                Problem(
                    name,
                    "unknown_field",
                    _("%(field)s cannot be set"),
                    {"field": name},
                )
            )
        else:
            cleaned[name] = clean_model_field(Agreement, name, value, problems)
    return cleaned


def _check_dates(values: Mapping[str, Any], problems: list[Problem]) -> None:
    valid_from, valid_to = values.get("valid_from"), values.get("valid_to")
    if isinstance(valid_from, dt.date) and isinstance(valid_to, dt.date) and valid_to < valid_from:
        problems.append(
            Problem(
                "valid_to",
                "valid_to_before_valid_from",
                _("the end date is before the start date"),
            )
        )


def _raise_if(problems: Sequence[Problem]) -> None:
    if problems:
        raise invalid(problems, _("The agreement is not valid"), "agreement_invalid")


# ---------------------------------------------------------------- permissions and helpers


def _not_found(code: str) -> NotFound:
    return NotFound(
        _("No agreement %(code)s, or it is outside your scope."),
        code="agreement_not_found",
        params={"code": code},
    )


def _forbidden() -> Forbidden:
    return Forbidden(
        _("Only the platform admin or an admin of a party maintains an agreement."),
        code="not_agreement_admin",
    )


def _may_manage(actor: User | AnonymousUser | None, party_ids: set[int]) -> bool:
    return is_platform_admin(actor) or bool(jurisdictions_with(actor, {Role.ADMIN}) & party_ids)


def _party_ids(agreement: Agreement) -> set[int]:
    return set(
        AgreementParty.objects.filter(agreement=agreement).values_list("jurisdiction_id", flat=True)
    )


def _require_manager(actor: User | AnonymousUser | None, agreement: Agreement) -> None:
    actor = signed_in(actor)
    if _may_manage(actor, _party_ids(agreement)):
        return
    if readable_agreements(actor).filter(pk=agreement.pk).exists():
        raise _forbidden()
    raise _not_found(agreement.code)


def _lock_versions(code: str) -> list[Agreement]:
    """Lock every version of an agreement. Whoever adds a version holds these locks, so
    once we have them no version can appear; but a version committed while we waited is
    not in the first answer (PostgreSQL re-checks only the rows it had found), hence the
    second read, which sees it and locks it too."""
    versions = Agreement.objects.select_for_update().filter(code=code).order_by("version")
    list(versions)
    return list(versions.all())


def _lock(agreement: Agreement) -> Agreement:
    locked = Agreement.objects.select_for_update().filter(pk=agreement.pk).first()
    if locked is None:
        raise _not_found(agreement.code)
    return locked


def _event(
    actor: User | AnonymousUser | None, agreement: Agreement, action: str, note: str = ""
) -> AgreementEvent:
    return AgreementEvent.objects.create(
        agreement=agreement,
        actor=actor if isinstance(actor, User) else None,
        action=action,
        note=note[:255],
    )


def _write_parties(agreement: Agreement, rows: Sequence[Mapping[str, Any]]) -> None:
    AgreementParty.objects.bulk_create(
        AgreementParty(agreement=agreement, **{k: row[k] for k in ("jurisdiction", *PARTY_FIELDS)})
        for row in rows
    )


def _write_items(agreement: Agreement, rows: Sequence[Mapping[str, Any]]) -> None:
    for row in rows:
        agreement_item = AgreementItem.objects.create(
            agreement=agreement, item=row["item"], modes=list(row["modes"])
        )
        agreement_item.receiving_jurisdictions.set(row["receiving_jurisdictions"])
        agreement_item.handling_jurisdictions.set(row["handling_jurisdictions"])


def _illegal(agreement: Agreement, rule: StrOrPromise, code: str) -> Conflict:
    return Conflict(
        _("Version %(version)s is %(status)s: %(rule)s"),
        code=code,
        params={
            "version": agreement.version,
            "status": agreement.get_status_display(),
            "rule": rule,
        },
    )


def _summary(agreement: Agreement) -> dict[str, Any]:
    return {"code": agreement.code, "version": agreement.version, "status": agreement.status}


# ---------------------------------------------------------------- actions


def create_agreement_draft(
    actor: User | AnonymousUser | None,
    *,
    code: str,
    title: str,
    parties: Sequence[PartyInput],
    items: Sequence[ItemInput] = (),
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    signed_on: dt.date | None = None,
    notes: str = "",
) -> Agreement:
    """A new agreement (version 1) as a draft. Later versions come from
    `new_agreement_version`."""
    require_authenticated(actor)
    problems: list[Problem] = []
    code = (code or "").strip()
    clean_model_field(Agreement, "code", code, problems)
    fields = _clean_fields(
        {
            "title": title,
            "valid_from": valid_from,
            "valid_to": valid_to,
            "signed_on": signed_on,
            "notes": notes,
        },
        problems,
    )
    _check_dates(fields, problems)
    party_rows = _clean_parties(parties, problems)
    party_ids = {row["jurisdiction"].pk for row in party_rows}
    item_rows = _clean_items(items, party_ids, problems)
    if not _may_manage(actor, party_ids):
        raise _forbidden()
    _raise_if(problems)
    try:
        with transaction.atomic():
            if _lock_versions(code):
                raise Conflict(
                    _("Agreement %(code)s exists; make a new version instead."),
                    code="agreement_code_exists",
                    params={"code": code},
                )
            agreement = Agreement.objects.create(
                code=code, version=1, status=Agreement.Status.DRAFT, **fields
            )
            _write_parties(agreement, party_rows)
            _write_items(agreement, item_rows)
            _event(actor, agreement, "created", "新建协议草稿")
            record_audit(
                actor,
                "agreements.create_draft",
                agreement,
                f"新建协议草稿 {agreement}",
                data=_summary(agreement) | {"parties": sorted(party_ids), "items": len(item_rows)},
            )
    except IntegrityError as exc:  # a concurrent creation of the same code won the race
        raise Conflict(
            _("Agreement %(code)s exists; make a new version instead."),
            code="agreement_code_exists",
            params={"code": code},
        ) from exc
    return agreement


def new_agreement_version(actor: User | AnonymousUser, agreement: Agreement) -> Agreement:
    """Copy a non-draft version, with parties, items and directions, into a new draft
    numbered after the newest version."""
    with transaction.atomic():
        versions = _lock_versions(agreement.code)
        source = next((a for a in versions if a.pk == agreement.pk), None)
        if source is None:
            raise _not_found(agreement.code)
        _require_manager(actor, source)
        if source.status == Agreement.Status.DRAFT:
            raise _illegal(source, _("a draft can be edited directly"), "agreement_is_draft")
        if any(a.status == Agreement.Status.DRAFT for a in versions):
            raise Conflict(
                _("This agreement already has a draft; activate or delete it first."),
                code="agreement_draft_exists",
            )
        draft = Agreement.objects.create(
            code=source.code,
            version=max(a.version for a in versions) + 1,
            status=Agreement.Status.DRAFT,
            **{name: getattr(source, name) for name in AGREEMENT_FIELDS},
        )
        _write_parties(
            draft,
            [
                {"jurisdiction": p.jurisdiction, **{k: getattr(p, k) for k in PARTY_FIELDS}}
                for p in source.parties.select_related("jurisdiction")
            ],
        )
        _write_items(
            draft,
            [
                {
                    "item": i.item,
                    "modes": i.modes,
                    "receiving_jurisdictions": list(i.receiving_jurisdictions.all()),
                    "handling_jurisdictions": list(i.handling_jurisdictions.all()),
                }
                for i in source.items.select_related("item").prefetch_related(
                    "receiving_jurisdictions", "handling_jurisdictions"
                )
            ],
        )
        _event(actor, draft, "new_version", f"由第{source.version}版复制")
        record_audit(
            actor,
            "agreements.new_version",
            draft,
            f"由第{source.version}版新建草稿第{draft.version}版",
            data=_summary(draft) | {"source_id": source.pk},
        )
    return draft


def update_agreement_draft(
    actor: User | AnonymousUser,
    draft: Agreement,
    *,
    parties: Sequence[PartyInput] | None = None,
    items: Sequence[ItemInput] | None = None,
    **fields: Any,
) -> Agreement:
    """Change a draft: its fields (title, signed_on, valid_from, valid_to, notes) and, when
    given, its whole list of parties and/or items. Other versions are frozen."""
    with transaction.atomic():
        locked = _lock(draft)
        _require_manager(actor, locked)
        if locked.status != Agreement.Status.DRAFT:
            raise _illegal(locked, _("it is frozen; make a new version"), "agreement_frozen")
        problems: list[Problem] = []
        cleaned = _clean_fields(fields, problems)
        _check_dates({name: getattr(locked, name) for name in AGREEMENT_FIELDS} | cleaned, problems)
        if parties is not None:
            party_rows = _clean_parties(parties, problems)
            party_ids = {row["jurisdiction"].pk for row in party_rows}
        else:
            party_ids = _party_ids(locked)
        if items is None:
            items = _current_items(locked)
        item_rows = _clean_items(items, party_ids, problems)
        if not _may_manage(actor, party_ids):
            problems.append(
                Problem(
                    "parties",
                    "actor_not_party",
                    _("after this change your jurisdiction would no longer be a party"),
                )
            )
        _raise_if(problems)
        for name, value in cleaned.items():
            setattr(locked, name, value)
        locked.save()
        if parties is not None:
            locked.parties.all().delete()
            _write_parties(locked, party_rows)
        locked.items.all().delete()
        _write_items(locked, item_rows)
        _event(actor, locked, "updated", "修改协议草稿")
        record_audit(
            actor,
            "agreements.update_draft",
            locked,
            f"修改协议草稿 {locked}",
            data=_summary(locked)
            | {k: str(v) for k, v in cleaned.items()}
            | {"parties": sorted(party_ids), "items": len(item_rows)},
        )
    return locked


def _current_items(agreement: Agreement) -> list[dict[str, Any]]:
    return [
        {
            "item": i.item,
            "modes": i.modes,
            "receiving_jurisdictions": list(i.receiving_jurisdictions.all()),
            "handling_jurisdictions": list(i.handling_jurisdictions.all()),
        }
        for i in agreement.items.select_related("item").prefetch_related(
            "receiving_jurisdictions", "handling_jurisdictions"
        )
    ]


def delete_agreement_draft(actor: User | AnonymousUser, draft: Agreement) -> None:
    """Discard a draft (never a version that was ever active)."""
    with transaction.atomic():
        locked = _lock(draft)
        _require_manager(actor, locked)
        if locked.status != Agreement.Status.DRAFT:
            raise _illegal(locked, _("only a draft can be deleted"), "agreement_frozen")
        record_audit(actor, "agreements.delete_draft", locked, f"删除协议草稿 {locked}")
        locked.delete()


def activate_agreement(actor: User | AnonymousUser | None, draft: Agreement) -> Agreement:
    """The draft takes effect; the version in effect so far (active or suspended)
    becomes superseded."""
    today = timezone.localdate()
    with transaction.atomic():
        versions = _lock_versions(draft.code)
        locked = next((a for a in versions if a.pk == draft.pk), None)
        if locked is None:
            raise _not_found(draft.code)
        _require_manager(actor, locked)
        if locked.status != Agreement.Status.DRAFT:
            raise _illegal(locked, _("only a draft can be activated"), "agreement_not_draft")
        party_ids = _party_ids(locked)
        problems: list[Problem] = []
        if len(party_ids) < 2:
            problems.append(
                Problem(
                    "parties",
                    "too_few_parties",
                    _("an agreement needs at least two different parties"),
                )
            )
        current_items = _current_items(locked)
        _clean_items(current_items, party_ids, problems)
        if not current_items:
            problems.append(
                Problem(
                    "items",
                    "no_items",
                    _("list at least one item"),
                )
            )
        _check_dates({"valid_from": locked.valid_from, "valid_to": locked.valid_to}, problems)
        if locked.valid_to is not None and locked.valid_to < today:
            problems.append(
                Problem(
                    "valid_to",
                    "already_expired",
                    _("the agreement's end date has passed"),
                )
            )
        previous = [
            a for a in versions if a.status in (Agreement.Status.ACTIVE, Agreement.Status.SUSPENDED)
        ]
        if previous and locked.valid_from > today:
            problems.append(
                Problem(
                    "valid_from",
                    "starts_after_predecessor_ends",
                    _(
                        "the new version starts after today, which would leave a gap after the "
                        "old one is superseded; activate it on its start date"
                    ),
                )
            )
        _raise_if(problems)
        for old in previous:
            old.status = Agreement.Status.SUPERSEDED
            old.save(update_fields=["status", "updated_at"])
            _event(actor, old, "superseded", f"被第{locked.version}版替代")
            record_audit(
                actor,
                "agreements.supersede",
                old,
                f"协议第{old.version}版被第{locked.version}版替代",
                data=_summary(old) | {"superseded_by": locked.pk},
            )
        locked.status = Agreement.Status.ACTIVE
        locked.supersedes = previous[-1] if previous else None
        locked.save(update_fields=["status", "supersedes", "updated_at"])
        _event(
            actor,
            locked,
            "activated",
            f"生效,替代第{previous[-1].version}版" if previous else "生效",
        )
        record_audit(
            actor, "agreements.activate", locked, f"协议生效 {locked}", data=_summary(locked)
        )
    return locked


def _transition(
    actor: User | AnonymousUser,
    agreement: Agreement,
    *,
    allowed_from: tuple[str, ...],
    to: str,
    event: str,
    note: str,
    refusal: tuple[StrOrPromise, str],
) -> Agreement:
    today = timezone.localdate()
    with transaction.atomic():
        locked = _lock(agreement)
        _require_manager(actor, locked)
        if locked.status not in allowed_from:
            raise _illegal(locked, *refusal)
        before = locked.status
        locked.status = to
        fields = ["status", "updated_at"]
        if (
            to == Agreement.Status.EXPIRED
            and locked.valid_from <= today
            and (locked.valid_to is None or locked.valid_to > today)
        ):
            locked.valid_to = today
            fields.append("valid_to")
        locked.save(update_fields=fields)
        _event(actor, locked, event, note)
        record_audit(
            actor,
            f"agreements.{event}",
            locked,
            f"协议 {locked}:{locked.get_status_display()}",
            data=_summary(locked) | {"from": before, "note": note},
        )
    return locked


def suspend_agreement(
    actor: User | AnonymousUser, agreement: Agreement, reason: str = ""
) -> Agreement:
    """Stop an active version for a while: it opens nothing until resumed."""
    return _transition(
        actor,
        agreement,
        allowed_from=(Agreement.Status.ACTIVE,),
        to=Agreement.Status.SUSPENDED,
        event="suspended",
        note=reason or "暂停",
        refusal=(_("only an active version can be suspended"), "agreement_not_active"),
    )


def resume_agreement(
    actor: User | AnonymousUser, agreement: Agreement, note: str = ""
) -> Agreement:
    return _transition(
        actor,
        agreement,
        allowed_from=(Agreement.Status.SUSPENDED,),
        to=Agreement.Status.ACTIVE,
        event="resumed",
        note=note or "恢复",
        refusal=(_("only a suspended version can be resumed"), "agreement_not_suspended"),
    )


def expire_agreement(
    actor: User | AnonymousUser, agreement: Agreement, note: str = ""
) -> Agreement:
    """End an active or suspended version now (valid_to becomes today if it was later)."""
    return _transition(
        actor,
        agreement,
        allowed_from=(Agreement.Status.ACTIVE, Agreement.Status.SUSPENDED),
        to=Agreement.Status.EXPIRED,
        event="expired",
        note=note or "终止/到期",
        refusal=(_("only an active or suspended version can expire"), "agreement_not_in_effect"),
    )


def expire_due_agreements(on: dt.date | None = None) -> list[Agreement]:
    """System job: mark active and suspended versions whose end date has passed as
    expired (they already open nothing; this keeps the displayed status honest)."""
    on = on or timezone.localdate()
    expired = []
    with transaction.atomic():
        due = Agreement.objects.select_for_update().filter(
            status__in=(Agreement.Status.ACTIVE, Agreement.Status.SUSPENDED), valid_to__lt=on
        )
        for agreement in due:
            agreement.status = Agreement.Status.EXPIRED
            agreement.save(update_fields=["status", "updated_at"])
            _event(None, agreement, "expired", f"到期({agreement.valid_to})")
            record_audit(
                None,
                "agreements.expired",
                agreement,
                f"协议到期 {agreement}",
                data=_summary(agreement),
            )
            expired.append(agreement)
    return expired
