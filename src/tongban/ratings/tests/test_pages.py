"""The rating pages in the browser (Django test client): the applicant rates a completed
case; the bad-rating loop (call-back, outcome, appeal, review) as staff walk it; the
public monthly summaries."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from tongban.ratings import actions
from tongban.ratings.models import MonthlySummary, Rating, Rectification
from tongban.stats.tests.helpers import (
    DONGHU,
    GEDIAN,
    HUANGZHOU,
    client_for,
    completed_case,
    make_case,
    walk,
)

IN_PERSON_FORM = {
    "overall": "2",
    "ind_efficiency": "1",
    "ind_competence": "3",
    "ind_attitude": "2",
    "comment": "窗口让我跑了三趟",
}


def _client(world, who):
    return client_for(world.user(who) if who else None)


def _rate_page(world, who, number):
    return _client(world, who).get(f"/ratings/case/{number}/")


def test_applicant_rates_a_completed_case_with_the_in_person_indicators(world):
    case = completed_case(world)
    page = _rate_page(world, "applicant-1", case.number)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="rating-form"' in html
    for name in ("overall", "ind_efficiency", "ind_competence", "ind_attitude"):
        assert f'name="{name}"' in html
    assert 'name="ind_usability"' not in html  # an online indicator
    # the default leg for a window case is the receiving window
    assert re.search(r'value="receiving"\s+checked', html)

    answer = _client(world, "applicant-1").post(
        f"/ratings/case/{case.number}/",
        {"overall": "5", "ind_efficiency": "5", "ind_competence": "4", "ind_attitude": "5"},
    )
    assert answer.status_code == 302 and answer["Location"] == f"/ratings/case/{case.number}/"
    rating = Rating.objects.get(case=case)
    assert rating.level == 5 and rating.target_jurisdiction == world.huangzhou
    assert rating.indicators == {"overall": 5, "efficiency": 5, "competence": 4, "attitude": 5}
    assert not Rectification.objects.exists()
    again = _rate_page(world, "applicant-1", case.number).content.decode()
    assert 'data-testid="my-rating"' in again and 'data-level="5"' in again
    assert 'data-testid="rating-form"' not in again


def test_online_case_uses_the_online_indicators_and_rates_the_handling_place(world):
    case = completed_case(world, receiving=None)
    html = _rate_page(world, "applicant-1", case.number).content.decode()
    for name in ("ind_efficiency", "ind_guide_accuracy", "ind_convenience", "ind_usability"):
        assert f'name="{name}"' in html
    assert 'name="target_leg"' not in html  # nothing to choose: no receiving place
    _client(world, "applicant-1").post(
        f"/ratings/case/{case.number}/",
        {
            "overall": "4",
            "ind_efficiency": "4",
            "ind_guide_accuracy": "5",
            "ind_convenience": "4",
            "ind_usability": "3",
        },
    )
    rating = Rating.objects.get(case=case)
    assert (rating.channel_kind, rating.target_jurisdiction) == ("online", world.donghu)


def test_only_the_applicant_sees_the_rating_page(world):
    case = completed_case(world)
    anonymous = _rate_page(world, None, case.number)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
    for who in ("applicant-2", f"{HUANGZHOU}-clerk", f"{DONGHU}-supervisor", "platform-admin"):
        assert _rate_page(world, who, case.number).status_code == 404, who
        answer = _client(world, who).post(f"/ratings/case/{case.number}/", IN_PERSON_FORM)
        assert answer.status_code == 404, who
    assert _rate_page(world, "applicant-1", "NO-SUCH-CASE").status_code == 404
    assert not Rating.objects.exists()


def test_not_before_completion_and_not_after_the_period(world, settings):
    running = walk(make_case(world), steps=3)
    page = _rate_page(world, "applicant-1", running.number).content.decode()
    assert 'data-code="case_not_completed"' in page and 'data-testid="rating-form"' not in page
    posted = _client(world, "applicant-1").post(f"/ratings/case/{running.number}/", IN_PERSON_FORM)
    assert posted.status_code == 409 and 'data-code="case_not_completed"' in posted.content.decode()

    settings.TONGBAN_RATING_WINDOW_DAYS = 3
    old = completed_case(world, completed_at=timezone.now() - dt.timedelta(days=4))
    page = _rate_page(world, "applicant-1", old.number).content.decode()
    assert 'data-code="rating_period_over"' in page
    assert (
        _client(world, "applicant-1")
        .post(f"/ratings/case/{old.number}/", IN_PERSON_FORM)
        .status_code
        == 409
    )
    assert not Rating.objects.exists()


def test_bad_rating_without_a_reason_is_refused_and_the_form_keeps_the_answers(world):
    case = completed_case(world)
    form = {**IN_PERSON_FORM, "comment": ""}
    answer = _client(world, "applicant-1").post(f"/ratings/case/{case.number}/", form)
    assert answer.status_code == 422
    html = answer.content.decode()
    assert 'data-code="comment_required"' in html
    assert re.search(r'name="overall" value="2"\s+checked', html)
    missing = _client(world, "applicant-1").post(
        f"/ratings/case/{case.number}/", {"overall": "4", "ind_efficiency": "x"}
    )
    assert missing.status_code == 422
    assert not Rating.objects.exists()


def test_bad_rating_opens_a_task_and_the_applicant_is_told(world):
    case = completed_case(world)
    answer = _client(world, "applicant-1").post(
        f"/ratings/case/{case.number}/", {**IN_PERSON_FORM, "target_leg": "handling"}, follow=True
    )
    html = answer.content.decode()
    assert "差评已转交" in html and world.donghu.name in html
    task = Rectification.objects.get(rating__case=case)
    assert task.jurisdiction == world.donghu and task.status == "open"
    assert 'data-testid="rectification-note"' in html


def test_my_ratings_lists_the_completed_cases_to_rate(world):
    rate_me = completed_case(world)
    walk(make_case(world), steps=2)  # not completed: not listed
    html = _client(world, "applicant-1").get("/ratings/my/").content.decode()
    assert f'data-testid="rate-{rate_me.number}"' in html
    assert html.count('data-testid="rate-') == 1
    other = _client(world, "applicant-2").get("/ratings/my/").content.decode()
    assert rate_me.number not in other


def _bad_rating(world, anonymous=False, leg="handling"):
    case = completed_case(world)
    rating = actions.submit_rating(
        world.user("applicant-1"),
        case.number,
        level=1,
        comment="材料丢失",
        anonymous=anonymous,
        target_leg=leg,
        indicators={"efficiency": 1, "competence": 2, "attitude": 1},
    )
    return rating.rectification


def test_task_list_and_page_are_scoped_to_the_responsible_jurisdiction(world):
    task = _bad_rating(world)  # 东湖 is responsible
    listed = _client(world, f"{DONGHU}-clerk").get("/ratings/tasks/")
    assert listed.status_code == 200 and f'data-task="{task.pk}"' in listed.content.decode()
    assert _client(world, f"{DONGHU}-clerk").get(f"/ratings/tasks/{task.pk}/").status_code == 200
    # staff elsewhere: the list does not show it and the page is 404
    other = _client(world, f"{HUANGZHOU}-clerk").get("/ratings/tasks/").content.decode()
    assert f'data-task="{task.pk}"' not in other
    assert _client(world, f"{HUANGZHOU}-head").get(f"/ratings/tasks/{task.pk}/").status_code == 404
    assert _client(world, "applicant-1").get("/ratings/tasks/").status_code == 403
    assert _client(world, "applicant-1").get(f"/ratings/tasks/{task.pk}/").status_code == 404
    anonymous = _client(world, None).get("/ratings/tasks/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
    assert _client(world, None).post(f"/ratings/tasks/{task.pk}/callback/", {}).status_code == 302
    admin = _client(world, "platform-admin").get(f"/ratings/tasks/{task.pk}/")
    assert admin.status_code == 200
    overdue = _client(world, f"{DONGHU}-clerk").get("/ratings/tasks/?overdue=1").content.decode()
    assert f'data-task="{task.pk}"' not in overdue  # due in five working days


def test_named_bad_rating_loop_callback_then_close(world):
    task = _bad_rating(world)
    clerk = _client(world, f"{DONGHU}-clerk")
    page = clerk.get(f"/ratings/tasks/{task.pk}/").content.decode()
    assert 'data-testid="form-callback"' in page and 'data-testid="form-resolve"' in page
    assert 'data-testid="form-appeal"' not in page  # clerks do not appeal
    assert 'data-testid="rater">李*' in page  # named, masked

    too_early = clerk.post(
        f"/ratings/tasks/{task.pk}/resolve/", {"outcome": "fixed_at_once", "note": "已道歉"}
    )
    assert too_early.status_code == 409
    assert 'data-code="callback_required"' in too_early.content.decode()
    no_answer = clerk.post(f"/ratings/tasks/{task.pk}/callback/", {"note": "电话回访"})
    assert no_answer.status_code == 422

    done = clerk.post(
        f"/ratings/tasks/{task.pk}/callback/", {"reached": "yes", "note": "已电话致歉"}
    )
    assert done.status_code == 302 and done["Location"] == f"/ratings/tasks/{task.pk}/"
    closed = clerk.post(
        f"/ratings/tasks/{task.pk}/resolve/",
        {"outcome": "fixed_at_once", "note": "补寄材料并致歉"},
        follow=True,
    )
    html = closed.content.decode()
    assert 'data-status="closed"' in html and "整改已办结" in html
    assert re.findall(r'data-action="(\w+)"', html) == [
        "rate",
        "rectification_opened",
        "callback",
        "rectified",
    ]
    task.refresh_from_db()
    assert task.status == "closed" and task.callback_reached is True
    # a supervisor of 东湖 reads it but has no form to fill
    supervisor = _client(world, f"{DONGHU}-supervisor").get(f"/ratings/tasks/{task.pk}/")
    assert 'data-testid="form-' not in supervisor.content.decode()


def test_appeal_by_the_head_and_review_by_the_supervisor_annuls_the_rating(world):
    task = _bad_rating(world, anonymous=True)
    head = _client(world, f"{DONGHU}-head")
    page = head.get(f"/ratings/tasks/{task.pk}/").content.decode()
    assert 'data-testid="form-callback"' not in page  # anonymous: nobody to call
    assert 'data-testid="rater">匿名' in page
    assert (
        _client(world, f"{DONGHU}-clerk")
        .post(f"/ratings/tasks/{task.pk}/appeal/", {"reason": "x"})
        .status_code
        == 403
    )
    appealed = head.post(
        f"/ratings/tasks/{task.pk}/appeal/", {"reason": "申请人所述与监控记录不符"}, follow=True
    )
    assert 'data-status="appealed"' in appealed.content.decode()
    # the head cannot review, a supervisor of another jurisdiction cannot see it
    assert (
        head.post(f"/ratings/tasks/{task.pk}/review/", {"decision": "annul", "note": "x"})
    ).status_code == 403
    assert (
        _client(world, f"{GEDIAN}-supervisor")
        .post(f"/ratings/tasks/{task.pk}/review/", {"decision": "annul", "note": "x"})
        .status_code
        == 404
    )
    supervisor = _client(world, f"{DONGHU}-supervisor")
    page = supervisor.get(f"/ratings/tasks/{task.pk}/").content.decode()
    assert 'data-testid="form-review"' in page
    reviewed = supervisor.post(
        f"/ratings/tasks/{task.pk}/review/",
        {"decision": "annul", "note": "经核实属误评"},
        follow=True,
    )
    html = reviewed.content.decode()
    assert 'data-status="annulled"' in html and 'data-testid="review"' in html
    rating = Rating.objects.get(pk=task.rating_id)
    assert rating.status == "annulled" and rating.annulled_at is not None
    # the applicant sees the rating as annulled on their page
    mine = _rate_page(world, "applicant-1", rating.service_number).content.decode()
    assert 'data-status="annulled"' in mine
    # a second review is refused (the task is no longer appealed)
    again = supervisor.post(
        f"/ratings/tasks/{task.pk}/review/", {"decision": "reject", "note": "x"}
    )
    assert again.status_code == 409


def test_unknown_step_is_refused(world):
    task = _bad_rating(world)
    answer = _client(world, f"{DONGHU}-head").post(f"/ratings/tasks/{task.pk}/delete/", {})
    assert answer.status_code == 422
    assert Rectification.objects.get(pk=task.pk).status == "open"


def test_published_summaries_are_public_and_published_by_the_platform_admin(world):
    case = completed_case(world, completed_at=timezone.now() - dt.timedelta(days=40))
    Rating.objects.create(
        case=case,
        channel_kind="in_person",
        level=5,
        indicators={"overall": 5},
        rater=world.user("applicant-1"),
        target_leg="receiving",
        target_jurisdiction=world.huangzhou,
        rated_at=timezone.now() - dt.timedelta(days=35),
    )
    rated_month = timezone.localtime(timezone.now() - dt.timedelta(days=35)).date().replace(day=1)
    empty = _client(world, None).get("/ratings/summaries/")
    assert empty.status_code == 200 and 'data-testid="publish-form"' not in empty.content.decode()

    refused = _client(world, f"{DONGHU}-supervisor").post(
        "/ratings/summaries/publish/", {"month": f"{rated_month:%Y-%m}"}, follow=True
    )
    assert "只有平台管理员" in refused.content.decode()
    assert not MonthlySummary.objects.exists()
    admin = _client(world, "platform-admin")
    assert 'data-testid="publish-form"' in admin.get("/ratings/summaries/").content.decode()
    this_month = admin.post(
        "/ratings/summaries/publish/", {"month": f"{timezone.localdate():%Y-%m}"}, follow=True
    )
    assert "当月尚未结束" in this_month.content.decode()
    published = admin.post(
        "/ratings/summaries/publish/", {"month": f"{rated_month:%Y-%m}"}, follow=True
    )
    assert published.status_code == 200
    assert MonthlySummary.objects.filter(month=rated_month).count() == 1
    public = _client(world, None).get(f"/ratings/summaries/?month={rated_month:%Y-%m}")
    html = public.content.decode()
    assert public.status_code == 200
    assert f'data-jurisdiction="{HUANGZHOU}"' in html and "100.00%" in html
    assert f'value="{rated_month:%Y-%m}"' in html


@pytest.mark.parametrize("url", ["/ratings/my/", "/ratings/tasks/"])
def test_pages_need_a_login(world, url):
    answer = _client(world, None).get(url)
    assert answer.status_code == 302 and answer["Location"].startswith("/login/")


def test_a_comment_longer_than_the_api_allows_is_refused_on_the_page_too(world):
    """The page asks the API's contract (ADR 0090): same limit, same code."""
    from tongban.ratings.api import MAX_COMMENT

    case = completed_case(world)
    form = {"overall": "5", "ind_efficiency": "5", "ind_competence": "4", "ind_attitude": "5"}
    refused = _client(world, "applicant-1").post(
        f"/ratings/case/{case.number}/", {**form, "comment": "评" * (MAX_COMMENT + 1)}
    )
    assert refused.status_code == 422
    assert 'data-code="invalid_input"' in refused.content.decode()
    assert not Rating.objects.exists()
    accepted = _client(world, "applicant-1").post(
        f"/ratings/case/{case.number}/", {**form, "comment": "评" * MAX_COMMENT}
    )
    assert accepted.status_code == 302
    assert Rating.objects.get(case=case).comment == "评" * MAX_COMMENT
