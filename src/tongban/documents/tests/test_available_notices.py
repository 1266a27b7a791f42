"""Which notices a case has is one rule (documents.notices.AVAILABILITY, ADR 0106): the
case page lists exactly the notices that render, at every step of a case's life."""

from __future__ import annotations

import pytest

from tongban.cases.models import Case
from tongban.documents.notices import (
    NoticeKind,
    NoticeNotAvailable,
    available_notices,
    notice_content,
)
from tongban.stats.tests.helpers import make_case, path_of, walk
from tongban.web.selectors import case_page


def _renders(case: Case, kind: str) -> bool:
    try:
        notice_content(case, kind)
    except NoticeNotAvailable:
        return False
    return True


@pytest.mark.parametrize("receiving", ["421102", None], ids=["proxy", "online"])
def test_the_listed_notices_are_the_ones_that_render(world, receiving):
    case = make_case(world, receiving=receiving)
    clerk_or_officer = world.user("420100Z01-officer")
    seen: set[str] = set()
    for _ in range(len(path_of(case)) + 1):
        case = Case.objects.get(pk=case.pk)
        listed = available_notices(case)
        assert listed == [kind for kind in NoticeKind.values if _renders(case, kind)]
        # the case page asks the same rule
        assert case_page(clerk_or_officer, case.number).notices == listed
        seen.update(listed)
        walk(case, steps=1)
    expected = {"acceptance", "completion"} | ({"transfer_slip"} if receiving else set())
    assert seen == expected


def test_the_transfer_slip_is_listed_from_receipt_for_the_receipt_page(world, client):
    """The receipt page offers the slip to print with the file at the window."""
    case = make_case(world)
    assert available_notices(case) == ["transfer_slip"]
    client.force_login(world.user("421102-clerk"))
    receipt = client.get(f"/cases/{case.number}/receipt/").content.decode()
    assert f"/cases/{case.number}/notices/transfer_slip.pdf" in receipt
