"""Every change to the public master data below `accounts` (ADR 0103): the working-day
calendar (CalendarDay, CalendarYear) and the master records of regions, jurisdictions,
departments and service centres/windows as edited in the admin. Each action runs in one
transaction, locks what it changes, checks who may do it and writes an audit row.

`actor=None` means the system itself (a management command run by the operator, the
demo seed); every request-driven caller passes the logged-in user.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext_lazy as _

from tongban.accounts.access import has_role, is_platform_admin
from tongban.accounts.models import Role, User
from tongban.core.audit import record_audit
from tongban.core.errors import Conflict, Forbidden, Invalid
from tongban.regions.calendar import MAX_CALENDAR_YEAR, MIN_CALENDAR_YEAR
from tongban.regions.models import (
    AdministrativeRegion,
    CalendarDay,
    CalendarYear,
    Department,
    Jurisdiction,
)

M = TypeVar("M", bound=models.Model)


# ---- who may edit -----------------------------------------------------------------------


def may_edit_jurisdiction_data(
    user: User | AnonymousUser | None, jurisdiction_id: int | None
) -> bool:
    """National data (jurisdiction None): platform administrators only. Data of one
    jurisdiction: platform administrators and that jurisdiction's administrators.
    `user=None` is the system (management commands)."""
    if user is None:
        return True
    if is_platform_admin(user):
        return True
    return jurisdiction_id is not None and has_role(user, [Role.ADMIN], jurisdiction_id)


def _require_editor(user: User | AnonymousUser | None, jurisdiction_id: int | None) -> None:
    if not may_edit_jurisdiction_data(user, jurisdiction_id):
        if jurisdiction_id is None:
            raise Forbidden(_("Only platform administrators may change national master data."))
        raise Forbidden(
            _(
                "Only platform administrators or administrators of this "
                "jurisdiction may change this data."
            )
        )


def _jurisdiction_label(jurisdiction: Jurisdiction | None) -> str:
    return jurisdiction.code if jurisdiction is not None else "national"


def _scope(model: type[M], jurisdiction: Jurisdiction | None) -> models.QuerySet[M]:
    if jurisdiction is None:
        return model._default_manager.filter(jurisdiction__isnull=True)
    return model._default_manager.filter(jurisdiction=jurisdiction)


def _put(
    model: type[M],
    jurisdiction: Jurisdiction | None,
    key: dict[str, Any],
    values: dict[str, Any],
    conflict: Any,
) -> tuple[M, dict[str, Any] | None, bool]:
    """Create or update, under a row lock, the jurisdiction's (or the national) row at `key`
    with `values`: (the row, its values before (None when created), whether it changed).
    A row created at the same time by someone else is a conflict, not a 500."""
    row = _scope(model, jurisdiction).select_for_update().filter(**key).first()
    if row is None:
        row = model(jurisdiction=jurisdiction, **key, **values)
        try:
            with transaction.atomic():
                row.save()
        except IntegrityError as exc:
            raise Conflict(conflict) from exc
        return row, None, True
    previous = {name: getattr(row, name) for name in values}
    if previous == values:
        return row, previous, False
    for name, value in values.items():
        setattr(row, name, value)
    row.save(update_fields=list(values))
    return row, previous, True


def _check_year(year: int) -> None:
    if not MIN_CALENDAR_YEAR <= year <= MAX_CALENDAR_YEAR:
        raise Invalid(
            _("The year must be between %(min_calendar_year)s and %(max_calendar_year)s."),
            code="invalid_year",
            details={"year": year},
            params={"min_calendar_year": MIN_CALENDAR_YEAR, "max_calendar_year": MAX_CALENDAR_YEAR},
        )


def _check_note(note: str, limit: int) -> str:
    note = note.strip()
    if len(note) > limit:
        raise Invalid(
            _("The note may have at most %(limit)s characters."),
            code="note_too_long",
            params={"limit": limit},
        )
    return note


# ---- working-day calendar ---------------------------------------------------------------


def set_calendar_day(
    actor: User | AnonymousUser | None,
    *,
    day: dt.date,
    is_working_day: bool,
    jurisdiction: Jurisdiction | None = None,
    note: str = "",
) -> CalendarDay:
    """Record that `day` is (or is not) a working day, nationally or in one jurisdiction.
    Creates or updates the row; an unchanged row writes no audit entry."""
    _require_editor(actor, jurisdiction.pk if jurisdiction else None)
    _check_year(day.year)
    note = _check_note(note, 64)
    with transaction.atomic():
        row, previous, changed = _put(
            CalendarDay,
            jurisdiction,
            {"date": day},
            {"is_working_day": is_working_day, "note": note},
            _("Someone else entered this date at the same time; reload and retry."),
        )
        if not changed:
            return row
        kind = "工作日" if is_working_day else "休息日"
        record_audit(
            actor,
            "calendar_day.set",
            row,
            f"{_jurisdiction_label(jurisdiction)} {day.isoformat()} {kind} {note}",
            {
                "jurisdiction": jurisdiction.code if jurisdiction else None,
                "date": day.isoformat(),
                "is_working_day": is_working_day,
                "note": note,
                "previous": previous,
            },
        )
    return row


def remove_calendar_day(
    actor: User | AnonymousUser | None, *, day: dt.date, jurisdiction: Jurisdiction | None = None
) -> bool:
    """Remove the override for `day`; the date then follows the next rule in the
    resolution order. Returns False when there was nothing to remove."""
    _require_editor(actor, jurisdiction.pk if jurisdiction else None)
    with transaction.atomic():
        row = _scope(CalendarDay, jurisdiction).select_for_update().filter(date=day).first()
        if row is None:
            return False
        record_audit(
            actor,
            "calendar_day.remove",
            row,
            f"{_jurisdiction_label(jurisdiction)} {day.isoformat()}",
            {
                "jurisdiction": jurisdiction.code if jurisdiction else None,
                "date": day.isoformat(),
                "previous": {"is_working_day": row.is_working_day, "note": row.note},
            },
        )
        row.delete()
    return True


def declare_calendar_year(
    actor: User | AnonymousUser | None,
    *,
    year: int,
    jurisdiction: Jurisdiction | None = None,
    provisional: bool = False,
    note: str = "",
) -> CalendarYear:
    """Declare that a year's holidays and make-up working days have been entered, so the
    calendar answers for that year even where the packaged calendar does not know it
    (days without a CalendarDay row follow the Monday-to-Friday rule)."""
    _require_editor(actor, jurisdiction.pk if jurisdiction else None)
    _check_year(year)
    note = _check_note(note, 255)
    with transaction.atomic():
        row, previous, changed = _put(
            CalendarYear,
            jurisdiction,
            {"year": year},
            {"provisional": provisional, "note": note},
            _("Someone else declared this year at the same time; reload and retry."),
        )
        if not changed:
            return row
        record_audit(
            actor,
            "calendar_year.declare",
            row,
            f"{_jurisdiction_label(jurisdiction)} {year}{' 暂定' if provisional else ''}",
            {
                "jurisdiction": jurisdiction.code if jurisdiction else None,
                "year": year,
                "provisional": provisional,
                "note": note,
                "previous": previous,
            },
        )
    return row


def withdraw_calendar_year(
    actor: User | AnonymousUser | None, *, year: int, jurisdiction: Jurisdiction | None = None
) -> bool:
    """Withdraw a year declaration (its CalendarDay rows stay). Returns False when there
    was nothing to withdraw."""
    _require_editor(actor, jurisdiction.pk if jurisdiction else None)
    with transaction.atomic():
        row = _scope(CalendarYear, jurisdiction).select_for_update().filter(year=year).first()
        if row is None:
            return False
        record_audit(
            actor,
            "calendar_year.withdraw",
            row,
            f"{_jurisdiction_label(jurisdiction)} {year}",
            {
                "jurisdiction": jurisdiction.code if jurisdiction else None,
                "year": year,
                "previous": {"provisional": row.provisional, "note": row.note},
            },
        )
        row.delete()
    return True


@dataclass(frozen=True)
class CalendarEntry:
    """One exception to the Monday-to-Friday rule, as read from a calendar data file."""

    day: dt.date
    is_working_day: bool
    note: str = ""


@dataclass(frozen=True)
class CalendarLoadResult:
    year: CalendarYear
    written: int
    unchanged: int
    removed: int


def load_calendar_year(
    actor: User | AnonymousUser | None,
    *,
    year: int,
    entries: Sequence[CalendarEntry],
    jurisdiction: Jurisdiction | None = None,
    provisional: bool = False,
    note: str = "",
    replace: bool = False,
) -> CalendarLoadResult:
    """Declare a year and enter its exceptions in one transaction (all or nothing).
    With `replace`, rows of that year and scope that are not in `entries` are removed,
    e.g. when the official arrangements replace a provisional calendar."""
    _require_editor(actor, jurisdiction.pk if jurisdiction else None)
    _check_year(year)
    seen: set[dt.date] = set()
    for entry in entries:
        if entry.day.year != year:
            raise Invalid(
                _("%(isoformat)s is not in %(year)s."),
                code="date_outside_year",
                details={"date": entry.day.isoformat(), "year": year},
                params={"isoformat": entry.day.isoformat(), "year": year},
            )
        if entry.day in seen:
            raise Invalid(
                _("%(isoformat)s appears twice."),
                code="duplicate_date",
                details={"date": entry.day.isoformat()},
                params={"isoformat": entry.day.isoformat()},
            )
        seen.add(entry.day)
    written = unchanged = removed = 0
    with transaction.atomic():
        declared = declare_calendar_year(
            actor, year=year, jurisdiction=jurisdiction, provisional=provisional, note=note
        )
        existing = {
            row.date: row
            for row in _scope(CalendarDay, jurisdiction).select_for_update().filter(date__year=year)
        }
        for entry in entries:
            old = existing.get(entry.day)
            if (
                old is not None
                and old.is_working_day == entry.is_working_day
                and old.note == entry.note.strip()
            ):
                unchanged += 1
                continue
            set_calendar_day(
                actor,
                day=entry.day,
                is_working_day=entry.is_working_day,
                jurisdiction=jurisdiction,
                note=entry.note,
            )
            written += 1
        if replace:
            for day in sorted(set(existing) - seen):
                removed += remove_calendar_day(actor, day=day, jurisdiction=jurisdiction)
    return CalendarLoadResult(declared, written, unchanged, removed)


# ---- master records edited in the admin -------------------------------------------------


def _jurisdiction_id_of(obj: models.Model) -> int | None:
    """The jurisdiction a master record belongs to; None for national records."""
    if isinstance(obj, AdministrativeRegion | Jurisdiction):
        return None
    if isinstance(obj, Department):
        return obj.jurisdiction_id
    jurisdiction_id = getattr(obj, "jurisdiction_id", None)
    if jurisdiction_id is not None:
        return int(jurisdiction_id)
    centre = getattr(obj, "centre", None)  # centres.Window
    if centre is not None:
        return int(centre.jurisdiction_id)
    raise TypeError(f"not a master record: {type(obj).__name__}")


def _field_values(obj: models.Model, names: Iterable[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for name in names:
        field = obj._meta.get_field(name)
        value = getattr(obj, getattr(field, "attname", name), None)
        values[name] = "" if value is None else str(value)
    return values


def save_master_record(
    actor: User | AnonymousUser | None, obj: M, *, changed_fields: Iterable[str] | None = None
) -> M:
    """Create or update a region, jurisdiction, department, service centre or window.
    National records (regions, jurisdictions) need a platform administrator; the others
    also a jurisdiction administrator of both the old and the new jurisdiction."""
    _require_editor(actor, _jurisdiction_id_of(obj))
    model = type(obj)
    with transaction.atomic():
        created = obj.pk is None
        if not created:
            old = model._default_manager.select_for_update().filter(pk=obj.pk).first()
            if old is None:
                raise Conflict(_("This record has been deleted; reload and retry."))
            _require_editor(actor, _jurisdiction_id_of(old))
        try:
            obj.full_clean()
        except ValidationError as exc:
            raise Invalid(
                _("The data is not valid."), details={"errors": exc.message_dict}
            ) from exc
        obj.save()
        names = (
            [f.name for f in model._meta.concrete_fields if not f.primary_key]
            if created or changed_fields is None
            else list(changed_fields)
        )
        record_audit(
            actor,
            f"{model._meta.model_name}.{'create' if created else 'change'}",
            obj,
            str(obj),
            {"changed": _field_values(obj, names)},
        )
    return obj


def delete_master_record(actor: User | AnonymousUser, obj: models.Model) -> None:
    """Delete a master record; rows that other data still refers to (PROTECT) cannot be
    deleted and raise Conflict."""
    _require_editor(actor, _jurisdiction_id_of(obj))
    model = type(obj)
    with transaction.atomic():
        row = model._default_manager.select_for_update().filter(pk=obj.pk).first()
        if row is None:
            return
        record_audit(actor, f"{model._meta.model_name}.delete", row, str(row))
        try:
            with transaction.atomic():
                row.delete()
        except models.ProtectedError as exc:
            raise Conflict(
                _("Other data still refers to this record; it cannot be deleted.")
            ) from exc
