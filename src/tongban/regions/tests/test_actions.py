"""Calendar maintenance actions: permissions, audit rows, atomicity."""

from __future__ import annotations

import datetime as dt

import pytest

from tongban.core.errors import Forbidden, Invalid
from tongban.core.models import AuditEvent
from tongban.masterdata.actions import (
    CalendarEntry,
    declare_calendar_year,
    delete_master_record,
    load_calendar_year,
    remove_calendar_day,
    save_master_record,
    set_calendar_day,
    withdraw_calendar_year,
)
from tongban.regions.calendar import calendar_for
from tongban.regions.models import CalendarDay, CalendarYear, Department

D = dt.date


def audit(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def test_set_calendar_day_writes_one_audit_row_per_change(world):
    admin = world.user("platform-admin")
    row = set_calendar_day(admin, day=D(2024, 5, 6), is_working_day=False, note="临时")
    assert CalendarDay.objects.get(pk=row.pk).jurisdiction is None
    events = audit("calendar_day.set")
    assert len(events) == 1
    assert events[0].actor == admin
    assert events[0].data["date"] == "2024-05-06" and events[0].data["previous"] is None
    # the same again changes nothing and writes nothing
    set_calendar_day(admin, day=D(2024, 5, 6), is_working_day=False, note="临时")
    assert len(audit("calendar_day.set")) == 1
    set_calendar_day(admin, day=D(2024, 5, 6), is_working_day=True, note="恢复")
    events = audit("calendar_day.set")
    assert len(events) == 2
    assert events[1].data["previous"] == {"is_working_day": False, "note": "临时"}
    assert CalendarDay.objects.count() == 1


def test_jurisdiction_admin_may_edit_only_their_own_calendar(world):
    donghu_admin = world.user("420100Z01-admin")
    set_calendar_day(
        donghu_admin, day=D(2024, 5, 6), is_working_day=False, jurisdiction=world.donghu
    )
    with pytest.raises(Forbidden):
        set_calendar_day(donghu_admin, day=D(2024, 5, 6), is_working_day=False)
    with pytest.raises(Forbidden):
        set_calendar_day(
            donghu_admin, day=D(2024, 5, 6), is_working_day=False, jurisdiction=world.gedian
        )
    with pytest.raises(Forbidden):
        declare_calendar_year(donghu_admin, year=2027)
    with pytest.raises(Forbidden):
        remove_calendar_day(donghu_admin, day=D(2024, 5, 6), jurisdiction=world.gedian)
    assert CalendarDay.objects.count() == 1


@pytest.mark.parametrize("role", ["clerk", "officer", "head", "supervisor"])
def test_other_roles_may_not_edit_the_calendar(world, role):
    user = world.user(f"420100Z01-{role}")
    with pytest.raises(Forbidden):
        set_calendar_day(user, day=D(2024, 5, 6), is_working_day=False, jurisdiction=world.donghu)
    with pytest.raises(Forbidden):
        declare_calendar_year(user, year=2027, jurisdiction=world.donghu)
    assert not CalendarDay.objects.exists() and not AuditEvent.objects.exists()


def test_applicants_and_anonymous_may_not_edit(world):
    from django.contrib.auth.models import AnonymousUser

    for user in (world.user("applicant-1"), AnonymousUser()):
        with pytest.raises(Forbidden):
            set_calendar_day(user, day=D(2024, 5, 6), is_working_day=False)


def test_bad_input_is_refused(world):
    with pytest.raises(Invalid):
        declare_calendar_year(None, year=1800)
    with pytest.raises(Invalid):
        set_calendar_day(None, day=D(2024, 5, 6), is_working_day=False, note="长" * 65)
    assert not CalendarDay.objects.exists() and not CalendarYear.objects.exists()


def test_remove_and_withdraw(world):
    set_calendar_day(None, day=D(2024, 5, 6), is_working_day=False, jurisdiction=world.donghu)
    declare_calendar_year(None, year=2027, provisional=True)
    assert remove_calendar_day(None, day=D(2024, 5, 6), jurisdiction=world.donghu)
    assert not remove_calendar_day(None, day=D(2024, 5, 6), jurisdiction=world.donghu)
    assert withdraw_calendar_year(None, year=2027)
    assert not CalendarDay.objects.exists() and not CalendarYear.objects.exists()
    assert len(audit("calendar_day.remove")) == 1
    assert audit("calendar_year.withdraw")[0].data["previous"]["provisional"] is True


def test_declare_calendar_year_updates_in_place(world):
    first = declare_calendar_year(None, year=2027, provisional=True, note="暂定")
    second = declare_calendar_year(None, year=2027, provisional=False, note="正式")
    assert first.pk == second.pk
    assert CalendarYear.objects.get().provisional is False
    assert [e.data["provisional"] for e in audit("calendar_year.declare")] == [True, False]


def test_load_calendar_year_is_all_or_nothing(world):
    entries = [
        CalendarEntry(D(2027, 1, 1), False, "元旦"),
        CalendarEntry(D(2027, 1, 1), False, "重复"),
    ]
    with pytest.raises(Invalid) as caught:
        load_calendar_year(None, year=2027, entries=entries, provisional=True)
    assert caught.value.code == "duplicate_date"
    with pytest.raises(Invalid) as caught:
        load_calendar_year(None, year=2027, entries=[CalendarEntry(D(2028, 1, 3), False)])
    assert caught.value.code == "date_outside_year"
    assert not CalendarYear.objects.exists() and not CalendarDay.objects.exists()


def test_load_calendar_year_replace_removes_stale_rows(world):
    load_calendar_year(
        None,
        year=2027,
        entries=[CalendarEntry(D(2027, 1, 1), False), CalendarEntry(D(2027, 2, 9), False)],
        provisional=True,
    )
    set_calendar_day(None, day=D(2027, 3, 1), is_working_day=False, jurisdiction=world.donghu)
    result = load_calendar_year(
        None,
        year=2027,
        entries=[CalendarEntry(D(2027, 1, 1), False), CalendarEntry(D(2027, 2, 7), True)],
        replace=True,
    )
    assert (result.written, result.unchanged, result.removed) == (1, 1, 1)
    national = set(CalendarDay.objects.filter(jurisdiction=None).values_list("date", flat=True))
    assert national == {D(2027, 1, 1), D(2027, 2, 7)}
    # the jurisdiction's own row is outside the national scope and stays
    assert CalendarDay.objects.filter(jurisdiction=world.donghu).exists()
    assert not CalendarYear.objects.get().provisional
    assert calendar_for(None).is_working_day(D(2027, 2, 7))  # a make-up Sunday


def test_master_records_are_audited_and_scoped(world):
    donghu_admin = world.user("420100Z01-admin")
    department = Department(jurisdiction=world.donghu, kind="taxation", name="东湖税务局")
    save_master_record(donghu_admin, department)
    assert audit("department.create")[0].data["changed"]["name"] == "东湖税务局"
    department.name = "国家税务总局东湖税务局"
    save_master_record(donghu_admin, department, changed_fields=["name"])
    assert audit("department.change")[0].data == {"changed": {"name": "国家税务总局东湖税务局"}}
    # moving it to another jurisdiction is refused, and so is editing theirs
    department.jurisdiction = world.gedian
    with pytest.raises(Forbidden):
        save_master_record(donghu_admin, department)
    gedian_department = Department.objects.filter(jurisdiction=world.gedian).first()
    assert gedian_department is not None
    with pytest.raises(Forbidden):
        delete_master_record(donghu_admin, gedian_department)
    with pytest.raises(Forbidden):
        save_master_record(donghu_admin, world.donghu)  # jurisdictions are national data
    department.refresh_from_db()
    delete_master_record(donghu_admin, department)
    assert not Department.objects.filter(pk=department.pk).exists()
    assert len(audit("department.delete")) == 1


def test_invalid_master_record_is_refused(world):
    department = Department(jurisdiction=world.donghu, kind="no-such-kind", name="x")
    with pytest.raises(Invalid):
        save_master_record(None, department)
    assert department.pk is None
