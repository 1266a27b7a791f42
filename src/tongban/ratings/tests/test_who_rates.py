"""Who may rate is one rule (ratings.selectors, ADR 0106): the case page offers the rating
link exactly to those the rating action accepts."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from tongban.consultations import actions as consultation_actions
from tongban.core.errors import Conflict, NotFound
from tongban.ratings import actions
from tongban.ratings.selectors import may_rate
from tongban.stats.tests.helpers import HUANGZHOU, client_for, completed_case, make_case, walk

IN_PERSON = {"efficiency": 5, "competence": 4, "attitude": 5}


def _accepted(user, **service) -> bool:
    """Whether the rating action takes this user's rating (rolled back either way)."""
    try:
        with transaction.atomic():
            actions.submit_rating(user, level=5, indicators=IN_PERSON, **service)
            transaction.set_rollback(True)
    except (NotFound, Conflict):
        return False
    return True


@pytest.mark.parametrize(
    "who", ["applicant-1", "applicant-2", f"{HUANGZHOU}-clerk", "platform-admin", "low-trust"]
)
def test_the_page_offers_rating_exactly_where_the_action_accepts_it(world, who):
    done = completed_case(world)
    running = walk(make_case(world), steps=5)  # decided, not completed
    if who == "low-trust":
        # below `own_records` an account rates only the cases it submitted itself; these
        # were received at a window
        user = world.user("applicant-1")
        user.trust_level = 1
        user.save(update_fields=["trust_level"])
    else:
        user = world.user(who)
    for case in (done, running):
        offered = may_rate(user, case)
        assert offered == _accepted(user, case_number=case.number), (who, case.status)
        page = client_for(user).get(f"/cases/{case.number}/")
        if page.status_code == 200:
            assert ('data-testid="rate-link"' in page.content.decode()) == offered
    expected = who == "applicant-1"
    assert may_rate(user, done) is expected
    assert may_rate(AnonymousUser(), done) is False


def test_consultations_are_rated_by_their_linked_applicant_once_closed(world):
    clerk = world.user(f"{HUANGZHOU}-clerk")
    c = consultation_actions.record_consultation(
        clerk,
        jurisdiction=HUANGZHOU,
        channel="window",
        topic="企业设立",
        question="?",
        applicant_id=world.applicants["person"].pk,
        answer="一次性告知",
    )
    owner, other = world.user("applicant-1"), world.user("applicant-2")
    assert not may_rate(owner, c)  # answered, not closed
    assert not _accepted(owner, consultation_id=c.pk)
    c = consultation_actions.close_consultation(clerk, c.pk)
    for user, expected in ((owner, True), (other, False), (clerk, False)):
        assert may_rate(user, c) is expected
        assert _accepted(user, consultation_id=c.pk) is expected


def test_task_list_filters_are_refused_the_same_on_the_api_and_the_page(world):
    supervisor = client_for(world.user(f"{HUANGZHOU}-head"))
    api = supervisor.get("/api/v1/ratings/rectifications?status=bogus")
    page = supervisor.get("/ratings/tasks/?status=bogus")
    assert api.status_code == page.status_code == 422
    assert api.json()["code"] == "invalid_filter"
    assert 'data-code="invalid_filter"' in page.content.decode()
    assert supervisor.get("/api/v1/ratings/rectifications?status=open").status_code == 200
    assert supervisor.get("/ratings/tasks/?status=open").status_code == 200
