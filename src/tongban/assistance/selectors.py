"""Reads of 帮办代办 records, scoped like the case they belong to: whoever may read the
case (its applicant, staff of its receiving or handling place, platform admins) reads
its records; nobody else learns that they exist."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from tongban.accounts.models import User
from tongban.assistance.models import AssistanceRecord
from tongban.cases.models import Case
from tongban.cases.selectors import readable_cases


def readable_assistance(user: User | AnonymousUser) -> QuerySet[AssistanceRecord]:
    return AssistanceRecord.objects.filter(case__in=readable_cases(user).values("pk"))


def assistance_of_case(user: User | AnonymousUser, case: Case) -> list[AssistanceRecord]:
    """The records of a case the caller has already read through get_case_for."""
    return list(
        readable_assistance(user)
        .filter(case=case)
        .select_related("helper", "jurisdiction")
        .order_by("recorded_at", "id")
    )
