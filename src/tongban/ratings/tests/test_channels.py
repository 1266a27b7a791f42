"""好差评 on every channel (issue 8, part 6): refused / withdrawn cases and closed
consultations in the portal, the window's rating pad, and the one-time link sent to
applicants without an account. One rating per service whatever the channel."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from tongban.accounts.identifiers import make_id_number
from tongban.accounts.models import Applicant, Role, RoleAssignment, User
from tongban.cases.actions import (
    ActionInput,
    MaterialInput,
    SubmitInput,
    perform_case_action,
    submit_case,
)
from tongban.consultations import actions as consultation_actions
from tongban.core.errors import Conflict, Forbidden, Invalid, NotAuthenticated, NotFound
from tongban.notifications.models import OutboxMessage
from tongban.notifications.rendering import render
from tongban.ratings import actions
from tongban.ratings.models import Rating, RatingInvitation, Rectification
from tongban.stats.tests.helpers import client_for, completed_case, make_case, walk

DONGHU, HUANGZHOU, GEDIAN = "420100Z01", "421102", "420703400"
IN_PERSON = {"efficiency": 5, "competence": 4, "attitude": 5}
ONLINE = {"efficiency": 4, "guide_accuracy": 5, "convenience": 5, "usability": 4}
LINK = re.compile(r"/rate/([A-Za-z0-9_-]+)/")


def _window_case(world, applicant: Applicant | None = None):
    """A case received by 黄州's window clerk through the real workflow (so the clerk's
    receipt is a case event: the pad knows whom the clerk just served)."""
    impl = world.implementations[("company", DONGHU)]
    data = SubmitInput(
        item=world.items["company"].code,
        handling=DONGHU,
        receiving=HUANGZHOU,
        mode="proxy",
        channel="window",
        delivery_method="post",
        delivery_address="湖北省黄冈市黄州区东门路1号",
        applicant_id=(applicant or world.applicants["person"]).pk,
        materials=[MaterialInput(m.pk) for m in impl.materials.order_by("position")],
    )
    return submit_case(world.user(f"{HUANGZHOU}-clerk"), data)


def _no_account_applicant() -> Applicant:
    return Applicant.objects.create(
        kind="person",
        name="赵敏",
        id_number=make_id_number("421102", dt.date(1990, 5, 1), 17),
        phone="13600136000",
        email="zhaomin@example.test",
    )


def _withdraw(world, case):
    return perform_case_action(
        world.user(f"{HUANGZHOU}-clerk"), case.number, "withdraw", ActionInput(reason="申请人撤回")
    )


# -- the portal: refused, withdrawn, consultations ------------------------------------------


def test_withdrawn_and_refused_cases_are_rateable_in_the_portal(world):
    withdrawn = _withdraw(world, _window_case(world))
    rating = actions.submit_rating(
        world.user("applicant-1"), withdrawn.number, level=4, indicators=IN_PERSON
    )
    assert (rating.source, rating.case_id, rating.target_leg) == (
        "portal",
        withdrawn.pk,
        "receiving",
    )

    refused = walk(make_case(world, receiving=None), steps=0)
    with pytest.raises(Conflict) as early:  # still pending acceptance
        actions.submit_rating(world.user("applicant-1"), refused.number, level=5, indicators=ONLINE)
    assert early.value.code == "case_not_completed"
    perform_case_action(
        world.user(f"{DONGHU}-officer"),
        refused.number,
        "refuse",
        ActionInput(reason="不属于本机关职权", competent_authority="某市场监管局"),
    )
    bad = actions.submit_rating(
        world.user("applicant-1"), refused.number, level=1, indicators=ONLINE, comment="理由不清"
    )
    # the rectification loop is the same for a refused case
    task = Rectification.objects.get(rating=bad)
    assert task.jurisdiction == world.donghu and task.status == "open"


def test_rating_period_of_a_refused_case_counts_from_the_refusal(world, settings):
    settings.TONGBAN_RATING_WINDOW_DAYS = 0
    case = _withdraw(world, _window_case(world))
    with pytest.raises(Conflict) as late:
        actions.submit_rating(world.user("applicant-1"), case.number, level=5, indicators=IN_PERSON)
    assert late.value.code == "rating_period_over"


def _consultation(world, applicant=None, close=True, forward=False):
    clerk = world.user(f"{HUANGZHOU}-clerk")
    c = consultation_actions.record_consultation(
        clerk,
        jurisdiction=world.huangzhou.code,
        channel="window",
        topic="企业设立需要哪些材料",
        question="?",
        item=world.items["company"].code,
        applicant_id=(applicant or world.applicants["person"]).pk,
        answer="" if forward else "一次性告知",
    )
    if forward:
        consultation_actions.forward_consultation(clerk, c.pk, world.donghu.code)
        consultation_actions.answer_consultation(world.user(f"{DONGHU}-clerk"), c.pk, "答复")
    if close:
        c = consultation_actions.close_consultation(clerk, c.pk)
    return c


def test_closed_consultation_is_rated_once_by_its_applicant(world):
    open_one = _consultation(world, close=False)
    with pytest.raises(Conflict) as early:
        actions.submit_rating(
            world.user("applicant-1"), consultation_id=open_one.pk, level=5, indicators=IN_PERSON
        )
    assert early.value.code == "consultation_not_closed"

    c = _consultation(world, forward=True)
    with pytest.raises(NotFound):  # someone else's consultation
        actions.submit_rating(
            world.user("applicant-2"), consultation_id=c.pk, level=5, indicators=IN_PERSON
        )
    with pytest.raises(Invalid):  # a case and a consultation at once
        actions.submit_rating(
            world.user("applicant-1"), "X", consultation_id=c.pk, level=5, indicators=IN_PERSON
        )
    rating = actions.submit_rating(
        world.user("applicant-1"),
        consultation_id=c.pk,
        level=2,
        indicators=IN_PERSON,
        comment="答复太慢",
        target_leg="handling",
    )
    assert rating.case is None and rating.consultation == c
    # the place it was forwarded to answered it: it is responsible for the bad rating
    assert rating.target_jurisdiction == world.donghu
    assert Rectification.objects.get(rating=rating).jurisdiction == world.donghu
    with pytest.raises(Conflict) as again:
        actions.submit_rating(
            world.user("applicant-1"), consultation_id=c.pk, level=5, indicators=IN_PERSON
        )
    assert again.value.code == "already_rated"


def test_portal_api_rates_a_consultation_and_lists_it_for_staff(world):
    c = _consultation(world)
    body = {"consultation_id": c.pk, "level": 5, "indicators": IN_PERSON}
    assert client_for(None).post("/api/v1/ratings", body, "application/json").status_code == 401
    r = client_for(world.user("applicant-1")).post("/api/v1/ratings", body, "application/json")
    assert r.status_code == 201, r.content
    assert r.json()["consultation_id"] == c.pk and r.json()["case_number"] is None
    seen = client_for(world.user(f"{HUANGZHOU}-supervisor")).get("/api/v1/ratings").json()
    assert [i["consultation_id"] for i in seen["items"]] == [c.pk]
    assert seen["items"][0]["rater"] == "李*"
    other = client_for(world.user(f"{GEDIAN}-supervisor")).get("/api/v1/ratings").json()
    assert other["count"] == 0


def test_my_ratings_page_lists_withdrawn_cases_and_consultations(world):
    case = _withdraw(world, _window_case(world))
    c = _consultation(world)
    page = client_for(world.user("applicant-1")).get("/ratings/my/").content.decode()
    assert f'data-testid="rate-{case.number}"' in page
    assert f'data-testid="rate-consultation-{c.pk}"' in page
    form = client_for(world.user("applicant-1")).get(f"/ratings/consultation/{c.pk}/")
    assert form.status_code == 200 and 'data-testid="rating-form"' in form.content.decode()
    assert (
        client_for(world.user("applicant-2")).get(f"/ratings/consultation/{c.pk}/").status_code
        == 404
    )


# -- the window's rating pad -----------------------------------------------------------


def _pad_rate(world, who, **kwargs):
    kwargs.setdefault("level", 5)
    kwargs.setdefault("indicators", IN_PERSON)
    return actions.submit_pad_rating(world.user(who), **kwargs)


def test_pad_rates_the_case_just_received_at_the_window(world):
    case = _window_case(world)
    rating = _pad_rate(world, f"{HUANGZHOU}-clerk", case_number=case.number)
    assert (rating.source, rating.rater, rating.target_leg) == ("window_pad", None, "receiving")
    assert rating.target_jurisdiction == world.huangzhou
    assert rating.channel_kind == "in_person" and rating.indicators["attitude"] == 5
    event = rating.events.get(action="rate")
    assert event.actor == world.user(f"{HUANGZHOU}-clerk") and event.actor_role == "window_pad"
    # one rating per service: the applicant cannot rate it again in the portal later
    walk_case = _withdraw(world, case)
    with pytest.raises(Conflict) as again:
        actions.submit_rating(
            world.user("applicant-1"), walk_case.number, level=1, indicators=IN_PERSON, comment="x"
        )
    assert again.value.code == "already_rated"
    with pytest.raises(Conflict):
        _pad_rate(world, f"{HUANGZHOU}-clerk", case_number=case.number)
    assert Rating.objects.count() == 1


def test_pad_of_another_jurisdiction_or_role_cannot_rate_our_case(world):
    case = _window_case(world)
    with pytest.raises(NotFound):  # 葛店 cannot even see it
        _pad_rate(world, f"{GEDIAN}-clerk", case_number=case.number)
    with pytest.raises(Forbidden) as handling:  # 东湖 handles it, but did not serve at a window
        _pad_rate(world, f"{DONGHU}-clerk", case_number=case.number)
    assert handling.value.code == "pad_forbidden"
    with pytest.raises(Forbidden):  # an officer holds no pad
        _pad_rate(world, f"{HUANGZHOU}-officer", case_number=case.number)
    with pytest.raises(Forbidden):  # the applicant sees the case but is not a pad
        _pad_rate(world, "applicant-1", case_number=case.number)
    with pytest.raises(NotAuthenticated):
        actions.submit_pad_rating(None, case_number=case.number, level=5, indicators=IN_PERSON)
    colleague = User.objects.create_user(username="421102-clerk2", password="x", kind="staff")
    RoleAssignment.objects.create(user=colleague, role=Role.CLERK, jurisdiction=world.huangzhou)
    with pytest.raises(Conflict) as not_mine:  # same window hall, but not served by them
        actions.submit_pad_rating(colleague, case_number=case.number, level=5, indicators=IN_PERSON)
    assert not_mine.value.code == "not_served_here"
    assert not Rating.objects.exists()


def test_pad_bad_rating_opens_the_usual_rectification(world):
    case = _window_case(world)
    with pytest.raises(Invalid):
        _pad_rate(world, f"{HUANGZHOU}-clerk", case_number=case.number, level=2)
    rating = _pad_rate(
        world, f"{HUANGZHOU}-clerk", case_number=case.number, level=2, comment="态度差"
    )
    task = Rectification.objects.get(rating=rating)
    assert task.jurisdiction == world.huangzhou
    # named: the case's applicant can be called back
    actions.record_callback(world.user(f"{HUANGZHOU}-head"), task.pk, reached=True, note="已致歉")
    actions.resolve_rectification(
        world.user(f"{HUANGZHOU}-head"), task.pk, outcome="fixed_at_once", note="已改进"
    )
    assert Rectification.objects.get(pk=task.pk).status == "closed"


def test_pad_page_shows_what_the_clerk_just_served_and_rates_it(world):
    case = _window_case(world)
    c = _consultation(world, close=False)
    clerk = client_for(world.user(f"{HUANGZHOU}-clerk"))
    page = clerk.get("/ratings/pad/").content.decode()
    assert f'data-testid="pad-case-{case.number}"' in page
    assert f'data-testid="pad-consultation-{c.pk}"' in page
    form = clerk.get(f"/ratings/pad/consultation/{c.pk}/").content.decode()
    assert 'name="ind_attitude"' in form and 'name="target_leg"' not in form
    r = clerk.post(
        f"/ratings/pad/case/{case.number}/",
        {"overall": "5", "ind_efficiency": "5", "ind_competence": "4", "ind_attitude": "5"},
    )
    assert r.status_code == 302 and r["Location"] == "/ratings/pad/"
    assert Rating.objects.get(case=case).source == "window_pad"
    page = clerk.get("/ratings/pad/").content.decode()
    assert f'data-testid="pad-case-{case.number}"' not in page  # rated: gone from the pad
    # other jurisdictions' and other roles' pads
    assert (
        client_for(world.user(f"{GEDIAN}-clerk"))
        .get(f"/ratings/pad/consultation/{c.pk}/")
        .status_code
        == 404
    )
    assert client_for(world.user(f"{HUANGZHOU}-officer")).get("/ratings/pad/").status_code == 403
    assert client_for(None).get("/ratings/pad/").status_code == 302  # to the login page


def test_pad_api(world):
    case = _window_case(world)
    clerk = client_for(world.user(f"{HUANGZHOU}-clerk"))
    listed = clerk.get("/api/v1/ratings/pad").json()
    assert [s["case_number"] for s in listed if s["kind"] == "case"] == [case.number]
    body = {"case_number": case.number, "level": 4, "indicators": IN_PERSON}
    assert client_for(None).post("/api/v1/ratings/pad", body, "application/json").status_code == 401
    wrong = client_for(world.user(f"{GEDIAN}-clerk")).post(
        "/api/v1/ratings/pad", body, "application/json"
    )
    assert wrong.status_code == 404
    r = clerk.post("/api/v1/ratings/pad", body, "application/json")
    assert r.status_code == 201 and r.json()["source"] == "window_pad"
    again = clerk.post("/api/v1/ratings/pad", body, "application/json")
    assert again.status_code == 409 and again.json()["code"] == "already_rated"


# -- the one-time link ---------------------------------------------------------------------


def _link_of(message: OutboxMessage) -> str:
    link = message.context["rating_link"]
    match = LINK.search(link)
    assert match is not None, link
    return match.group(1)


def test_applicant_without_account_gets_a_one_time_link_and_rates_without_login(world):
    applicant = _no_account_applicant()
    case = _withdraw(world, _window_case(world, applicant))
    message = OutboxMessage.objects.get(case=case, template="withdrawn")
    token = _link_of(message)
    # stored hashed only; the text for the applicant carries it, the log form does not
    invitation = RatingInvitation.objects.get(case=case)
    assert token not in invitation.token_hash
    sms = render("sms", "withdrawn", "zh-hans", message.context)
    assert token in sms.text and token not in sms.redacted_text

    anonymous = Client()
    page = anonymous.get(f"/rate/{token}/")
    assert page.status_code == 200 and 'data-testid="rating-form"' in page.content.decode()
    r = anonymous.post(
        f"/rate/{token}/",
        {"overall": "4", "ind_efficiency": "4", "ind_competence": "4", "ind_attitude": "5"},
    )
    assert r.status_code == 200 and 'data-testid="rating-thanks"' in r.content.decode()
    rating = Rating.objects.get(case=case)
    assert (rating.source, rating.rater, rating.level) == ("link", None, 4)
    assert rating.rater_name == "赵敏"
    invitation.refresh_from_db()
    assert invitation.used_at is not None and invitation.rating == rating

    # reused: refused, nothing changes
    again = anonymous.post(
        f"/rate/{token}/",
        {"overall": "5", "ind_efficiency": "5", "ind_competence": "5", "ind_attitude": "5"},
    )
    assert again.status_code == 409
    assert Rating.objects.get(case=case).level == 4
    with pytest.raises(Conflict) as used:
        actions.submit_link_rating(token, level=5, indicators=IN_PERSON)
    assert used.value.code == "link_used"


def test_expired_and_unknown_links_are_refused(world):
    applicant = _no_account_applicant()
    case = _withdraw(world, _window_case(world, applicant))
    token = _link_of(OutboxMessage.objects.get(case=case, template="withdrawn"))
    RatingInvitation.objects.filter(case=case).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    with pytest.raises(Conflict) as expired:
        actions.submit_link_rating(token, level=5, indicators=IN_PERSON)
    assert expired.value.code == "link_expired"
    page = Client().get(f"/rate/{token}/").content.decode()
    assert 'data-code="link_expired"' in page and 'data-testid="rating-form"' not in page
    with pytest.raises(NotFound):
        actions.submit_link_rating(token + "x", level=5, indicators=IN_PERSON)
    assert Client().get(f"/rate/{token}x/").status_code == 404
    api = Client().post(
        f"/api/v1/ratings/link/{token}", {"level": 5, "indicators": IN_PERSON}, "application/json"
    )
    assert api.status_code == 409 and api.json()["code"] == "link_expired"
    assert not Rating.objects.exists()


def test_link_api_rates_once(world):
    applicant = _no_account_applicant()
    case = _withdraw(world, _window_case(world, applicant))
    token = _link_of(OutboxMessage.objects.get(case=case, template="withdrawn"))
    body = {"level": 5, "indicators": IN_PERSON}
    assert (
        Client().post(f"/api/v1/ratings/link/{token}", body, "application/json").status_code == 201
    )
    again = Client().post(f"/api/v1/ratings/link/{token}", body, "application/json")
    assert again.status_code == 409 and again.json()["code"] == "link_used"


def test_applicants_with_an_account_get_no_link(world):
    case = _withdraw(world, _window_case(world))
    message = OutboxMessage.objects.get(case=case, template="withdrawn")
    assert "rating_link" not in message.context
    assert not RatingInvitation.objects.exists()


def test_closed_consultation_of_an_applicant_without_account_sends_a_link(world):
    applicant = _no_account_applicant()
    c = _consultation(world, applicant=applicant)
    message = OutboxMessage.objects.get(template="consultation_closed")
    assert message.applicant == applicant and message.case is None
    token = _link_of(message)
    rating = actions.submit_link_rating(token, level=5, indicators=IN_PERSON)
    assert rating.consultation == c and rating.target_jurisdiction == world.huangzhou
    text = render("email", "consultation_closed", "en", message.context)
    assert token in text.text and "{{" not in text.text


def test_online_case_completion_link_uses_the_online_indicators(world):
    applicant = _no_account_applicant()
    case = completed_case(world, receiving=None)
    case.applicant = applicant
    case.save(update_fields=["applicant"])
    link = actions.invite_to_rate(case)
    assert link is not None
    token = LINK.search(link).group(1)  # type: ignore[union-attr]
    with pytest.raises(Invalid):
        actions.submit_link_rating(token, level=5, indicators=IN_PERSON)
    rating = actions.submit_link_rating(token, level=5, indicators=ONLINE)
    assert (rating.channel_kind, rating.target_leg) == ("online", "handling")


def test_admin_lists_ratings_invitations_and_assistance_read_only(world):
    applicant = _no_account_applicant()
    case = _withdraw(world, _window_case(world, applicant))
    token = _link_of(OutboxMessage.objects.get(case=case, template="withdrawn"))
    actions.submit_link_rating(token, level=5, indicators=IN_PERSON)
    user = world.user("platform-admin")
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    admin = client_for(user)
    for url in (
        "/admin/ratings/rating/",
        "/admin/ratings/ratinginvitation/",
        "/admin/assistance/assistancerecord/",
    ):
        assert admin.get(url).status_code == 200, url
    page = admin.get(f"/admin/ratings/ratinginvitation/{RatingInvitation.objects.get().pk}/change/")
    assert page.status_code == 200 and "token_hash" not in page.content.decode()
