"""Reads of the documents app."""

from __future__ import annotations

from tongban.cases.models import Case


def case_of_notice(case_number: str) -> Case | None:
    """The case a verified notice token names, for the public check page. Unscoped on
    purpose: whoever holds the notice (and so its signed token) may see its case's
    item, handling jurisdiction and the holder's masked name; the caller has checked
    the token's signature before asking."""
    return (
        Case.objects.select_related("item", "handling_jurisdiction", "applicant")
        .filter(number=case_number)
        .first()
    )
