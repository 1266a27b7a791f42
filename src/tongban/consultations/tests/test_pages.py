"""The consultation pages (Django test client): record → forward → answer → close walked
through the pages; who sees and may do what; refused input changes nothing; the list
costs a bounded number of queries."""

from __future__ import annotations

import re

import pytest

from tongban.consultations import actions
from tongban.consultations.models import Consultation, ConsultationEvent
from tongban.stats.tests.helpers import DONGHU, GEDIAN, HUANGZHOU, JIANGXIA, client_for

RECORD_FORM = {
    "jurisdiction": DONGHU,
    "channel": "hotline",
    "item": "ITEM-COMPANY",
    "topic": "异地办理营业执照",
    "question": "我在黄州,能在东湖注册公司吗?",
    "asker_name": "张三丰",
    "asker_phone": "13812345678",
}


def _client(world, who):
    return client_for(world.user(who) if who else None)


def _record(world, who=f"{DONGHU}-clerk", **kwargs):
    data = {
        "jurisdiction": world.donghu.code,
        "channel": "window",
        "topic": "户口迁移",
        "question": "户口迁移需要哪些材料?",
        "asker_name": "李四",
        "asker_phone": "13987654321",
    }
    data.update(kwargs)
    return actions.record_consultation(world.user(who), **data)


def _html(response) -> str:
    return response.content.decode()


def _state(consultation: Consultation) -> tuple:
    consultation.refresh_from_db()
    return (
        consultation.status,
        consultation.forwarded_to_id,
        consultation.answer,
        consultation.event_count,
        ConsultationEvent.objects.filter(consultation=consultation).count(),
    )


# -- the whole walk ---------------------------------------------------------------------


def test_record_forward_answer_close_through_the_pages(world):
    clerk = _client(world, f"{DONGHU}-clerk")
    form = clerk.get("/consultations/new/")
    assert form.status_code == 200
    html = _html(form)
    assert 'data-testid="record-form"' in html
    for name in ("channel", "item", "topic", "question", "asker_name", "asker_phone", "answer"):
        assert f'name="{name}"' in html
    assert '<label for="topic">' in html and '<label for="question">' in html

    recorded = clerk.post("/consultations/new/", RECORD_FORM)
    c = Consultation.objects.get()
    assert recorded.status_code == 302 and recorded["Location"] == f"/consultations/{c.pk}/"
    assert (c.status, c.channel, c.jurisdiction, c.item) == (
        "open",
        "hotline",
        world.donghu,
        world.items["company"],
    )
    assert c.recorded_by == world.user(f"{DONGHU}-clerk")

    page = _html(clerk.get(recorded["Location"]))
    assert 'data-status="open"' in page
    for step in ("forward", "answer", "close"):
        assert f'data-testid="form-{step}"' in page, step
    assert 'data-testid="asker-phone">13812345678' in page  # the owner calls back
    assert (
        f'value="{DONGHU}"' not in page.split('data-testid="form-forward"')[1].split("</form>")[0]
    )

    forwarded = clerk.post(
        f"/consultations/{c.pk}/forward/",
        {"to_jurisdiction": HUANGZHOU, "note": "黄州的收件要求请黄州答复"},
        follow=True,
    )
    assert forwarded.status_code == 200 and "咨询已转办" in _html(forwarded)
    c.refresh_from_db()
    assert (c.status, c.forwarded_to, c.jurisdiction) == (
        "forwarded",
        world.huangzhou,
        world.donghu,
    )

    # 黄州 sees it among "forwarded to us, not answered" and may only answer
    officer = _client(world, f"{HUANGZHOU}-officer")
    waiting = _html(officer.get("/consultations/?awaiting=1"))
    assert f'data-consultation="{c.pk}"' in waiting
    page = _html(officer.get(f"/consultations/{c.pk}/"))
    assert 'data-testid="form-answer"' in page
    assert 'data-testid="form-forward"' not in page and 'data-testid="form-close"' not in page
    answered = officer.post(f"/consultations/{c.pk}/answer/", {"answer": "可以,在黄州专窗代收。"})
    assert answered.status_code == 302
    c.refresh_from_db()
    assert (c.status, c.answered_in, c.answer) == (
        "answered",
        world.huangzhou,
        "可以,在黄州专窗代收。",
    )
    assert f'data-consultation="{c.pk}"' not in _html(officer.get("/consultations/?awaiting=1"))
    page = _html(officer.get(f"/consultations/{c.pk}/"))
    assert 'data-testid="form-' not in page  # nothing left for 黄州

    page = _html(clerk.get(f"/consultations/{c.pk}/"))
    assert 'data-testid="form-close"' in page and 'data-testid="form-answer"' not in page
    closed = clerk.post(f"/consultations/{c.pk}/close/", {"note": ""}, follow=True)
    assert closed.status_code == 200 and "咨询已办结" in _html(closed)
    c.refresh_from_db()
    assert c.status == "closed"
    page = _html(clerk.get(f"/consultations/{c.pk}/"))
    assert 'data-status="closed"' in page and 'data-testid="form-' not in page
    timeline = page.split('data-testid="events"')[1]
    assert re.findall(r'data-action="(\w+)"', timeline) == ["record", "forward", "answer", "close"]
    assert "黄冈市黄州区" in timeline and "黄州的收件要求请黄州答复" in timeline


def test_record_with_an_answer_given_at_once(world):
    clerk = _client(world, f"{GEDIAN}-head")
    answer = clerk.post(
        "/consultations/new/",
        {
            "jurisdiction": GEDIAN,
            "channel": "window",
            "topic": "营业时间",
            "question": "周六办公吗?",
            "answer": "周六上午办公。",
        },
        follow=True,
    )
    assert "咨询已登记并当场答复" in _html(answer)
    c = Consultation.objects.get()
    assert (c.status, c.answered_in, c.item, c.asker_name) == ("answered", world.gedian, None, "")
    assert list(c.events.values_list("action", flat=True)) == ["record", "answer"]


def test_item_search_like_the_clerk_workbench(world):
    clerk = _client(world, f"{DONGHU}-clerk")
    partial = clerk.get("/consultations/new/?item_q=qysl", HTTP_HX_REQUEST="true")
    html = _html(partial)
    assert partial.status_code == 200 and "<html" not in html
    assert 'value="ITEM-COMPANY"' in html and 'value="ITEM-MARRIAGE"' not in html
    assert (
        _html(clerk.get("/consultations/new/?item_q=zzzz", HTTP_HX_REQUEST="true")).count("<option")
        == 1
    )  # only "no item"
    # without JavaScript the search form reloads the page with the items found
    found = clerk.get("/consultations/new/?item_q=结婚")
    html = _html(found)
    assert found.status_code == 200 and 'data-testid="record-form"' in html
    assert 'value="ITEM-MARRIAGE"' in html and 'value="ITEM-COMPANY"' not in html
    # the item chosen before stays offered while another search is shown
    kept = _html(
        clerk.get("/consultations/new/?item_q=zzzz&item=ITEM-COMPANY", HTTP_HX_REQUEST="true")
    )
    assert 'value="ITEM-COMPANY" selected' in kept


# -- who may see and do what -----------------------------------------------------------


def test_anonymous_users_are_sent_to_the_login_page(world):
    c = _record(world)
    anonymous = _client(world, None)
    for url in ("/consultations/", "/consultations/new/", f"/consultations/{c.pk}/"):
        answer = anonymous.get(url)
        assert answer.status_code == 302 and answer["Location"].startswith("/login/"), url
    posted = anonymous.post(f"/consultations/{c.pk}/answer/", {"answer": "x"})
    assert posted.status_code == 302 and posted["Location"].startswith("/login/")
    assert anonymous.post("/consultations/new/", RECORD_FORM).status_code == 302
    assert Consultation.objects.count() == 1 and _state(c)[0] == "open"


def test_applicants_get_no_consultation_pages(world):
    c = _record(world, applicant_id=world.applicants["person"].pk)  # even their own
    applicant = _client(world, "applicant-1")
    for url in ("/consultations/", "/consultations/new/", f"/consultations/{c.pk}/"):
        assert applicant.get(url).status_code in (403, 404), url
    before = _state(c)
    assert applicant.post(f"/consultations/{c.pk}/close/", {"note": "x"}).status_code in (403, 404)
    assert applicant.post("/consultations/new/", RECORD_FORM).status_code in (403, 404)
    assert _state(c) == before and Consultation.objects.count() == 1
    assert "咨询登记" not in _html(applicant.get("/my/"))


def test_staff_of_another_jurisdiction_see_nothing(world):
    c = _record(world)
    outsider = _client(world, f"{JIANGXIA}-head")
    assert outsider.get(f"/consultations/{c.pk}/").status_code == 404
    listed = outsider.get("/consultations/")
    assert listed.status_code == 200 and f'data-consultation="{c.pk}"' not in _html(listed)
    before = _state(c)
    for step, data in (
        ("answer", {"answer": "x"}),
        ("forward", {"to_jurisdiction": JIANGXIA, "note": "x"}),
        ("forward", {"to_jurisdiction": "NOPE", "note": "x"}),
        ("close", {"note": "x"}),
        ("nonsense", {}),
    ):
        assert outsider.post(f"/consultations/{c.pk}/{step}/", data).status_code == 404, step
    assert _state(c) == before
    assert _client(world, f"{DONGHU}-clerk").get("/consultations/999999/").status_code == 404
    # once forwarded to 黄州, 黄州 reads it and 葛店 still does not
    actions.forward_consultation(world.user(f"{DONGHU}-clerk"), c.pk, world.huangzhou.code)
    assert (
        _client(world, f"{HUANGZHOU}-supervisor").get(f"/consultations/{c.pk}/").status_code == 200
    )
    assert _client(world, f"{GEDIAN}-clerk").get(f"/consultations/{c.pk}/").status_code == 404


def test_supervisor_reads_but_cannot_record_or_answer(world):
    c = _record(world)
    supervisor = _client(world, f"{DONGHU}-supervisor")
    listed = _html(supervisor.get("/consultations/"))
    assert f'data-consultation="{c.pk}"' in listed
    assert 'data-testid="record-link"' not in listed
    page = supervisor.get(f"/consultations/{c.pk}/")
    html = _html(page)
    assert page.status_code == 200 and 'data-testid="form-' not in html
    assert "13987654321" not in html and 'data-testid="asker-phone">139****4321' in html
    assert supervisor.get("/consultations/new/").status_code == 403
    before = _state(c)
    refused = supervisor.post(f"/consultations/{c.pk}/answer/", {"answer": "我来答复"})
    assert refused.status_code == 403
    assert 'data-code="consultation_forbidden"' in _html(refused)
    assert supervisor.post(f"/consultations/{c.pk}/close/", {"note": "x"}).status_code == 403
    assert supervisor.post("/consultations/new/", RECORD_FORM).status_code == 403
    assert _state(c) == before and Consultation.objects.count() == 1


def test_platform_admin_reads_everything_and_records_nothing(world):
    mine = _record(world)
    other = _record(world, who=f"{JIANGXIA}-clerk", jurisdiction=world.outsider.code)
    admin = _client(world, "platform-admin")
    listed = _html(admin.get("/consultations/"))
    assert (
        f'data-consultation="{mine.pk}"' in listed and f'data-consultation="{other.pk}"' in listed
    )
    page = _html(admin.get(f"/consultations/{other.pk}/"))
    assert 'data-testid="form-' not in page and "13987654321" not in page
    assert admin.get("/consultations/new/").status_code == 403


def test_recording_elsewhere_is_refused(world):
    """A clerk of 东湖 cannot record for 黄州 by editing the form."""
    clerk = _client(world, f"{DONGHU}-clerk")
    refused = clerk.post("/consultations/new/", {**RECORD_FORM, "jurisdiction": HUANGZHOU})
    assert refused.status_code == 403 and 'data-code="consultation_forbidden"' in _html(refused)
    assert not Consultation.objects.exists()


# -- refused input ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        # the API's contract for the same fields (core.inputs, ADR 0090)
        ({"question": "  "}, 422, "invalid_input"),
        ({"topic": ""}, 422, "invalid_input"),
        ({"topic": "题" * 129}, 422, "invalid_input"),
        ({"asker_phone": "1" * 21}, 422, "invalid_input"),
        ({"channel": "pigeon"}, 422, "invalid"),
        ({"asker_phone": "call me maybe"}, 422, "invalid"),
        ({"item": "NO-SUCH-ITEM"}, 422, "unknown_item"),
        ({"jurisdiction": "999999"}, 422, "unknown_jurisdiction"),
    ],
)
def test_bad_record_input_shows_a_message_and_records_nothing(world, change, status, code):
    clerk = _client(world, f"{DONGHU}-clerk")
    answer = clerk.post("/consultations/new/", {**RECORD_FORM, **change})
    html = _html(answer)
    assert answer.status_code == status
    assert f'data-code="{code}"' in html and 'role="alert"' in html
    assert 'data-testid="record-form"' in html and RECORD_FORM["asker_name"] in html  # kept
    assert not Consultation.objects.exists()


def test_bad_step_input_shows_a_message_and_changes_nothing(world):
    c = _record(world)
    clerk = _client(world, f"{DONGHU}-clerk")
    before = _state(c)
    cases = [
        ("forward", {"to_jurisdiction": DONGHU, "note": "自己"}, 422, "invalid"),
        ("forward", {"to_jurisdiction": "000000", "note": "?"}, 422, "unknown_jurisdiction"),
        ("forward", {"to_jurisdiction": "", "note": "?"}, 422, "invalid"),
        ("answer", {"answer": "   "}, 422, "invalid_input"),
        ("answer", {"answer": "答" * 2001}, 422, "invalid_input"),
        ("close", {"note": ""}, 422, "reason_required"),
        ("reopen", {}, 422, "unknown_step"),
    ]
    for step, data, status, code in cases:
        answer = clerk.post(f"/consultations/{c.pk}/{step}/", data)
        html = _html(answer)
        assert answer.status_code == status, (step, data)
        assert f'data-code="{code}"' in html, (step, data)
        assert 'data-testid="consultation-error"' in html
        assert _state(c) == before, (step, data)
    # the form keeps what was typed
    kept = _html(
        clerk.post(f"/consultations/{c.pk}/forward/", {"to_jurisdiction": DONGHU, "note": "请转"})
    )
    assert ">请转</textarea>" in kept

    actions.forward_consultation(world.user(f"{DONGHU}-clerk"), c.pk, world.huangzhou.code)
    again = clerk.post(f"/consultations/{c.pk}/forward/", {"to_jurisdiction": HUANGZHOU})
    assert again.status_code == 409 and 'data-code="already_forwarded"' in _html(again)
    actions.answer_consultation(world.user(f"{HUANGZHOU}-clerk"), c.pk, "答复")
    late = _client(world, f"{HUANGZHOU}-clerk").post(
        f"/consultations/{c.pk}/answer/", {"answer": "再答复"}
    )
    assert late.status_code == 409 and 'data-code="consultation_not_open"' in _html(late)
    c.refresh_from_db()
    assert c.answer == "答复"


def test_get_is_not_allowed_on_steps(world):
    c = _record(world)
    assert _client(world, f"{DONGHU}-clerk").get(f"/consultations/{c.pk}/close/").status_code == 405


# -- the list ------------------------------------------------------------------------------


def test_list_filters_and_masks_personal_data(world):
    hotline = _record(world, channel="hotline", asker_name="欧阳小明", asker_phone="13512348888")
    answered = _record(world, answer="已答复")
    forwarded = _record(world, who=f"{GEDIAN}-clerk", jurisdiction=world.gedian.code)
    actions.forward_consultation(world.user(f"{GEDIAN}-clerk"), forwarded.pk, world.donghu.code)
    elsewhere = _record(world, who=f"{HUANGZHOU}-clerk", jurisdiction=world.huangzhou.code)
    clerk = _client(world, f"{DONGHU}-clerk")

    def listed(query: str = "") -> set[int]:
        answer = clerk.get(f"/consultations/{query}")
        assert answer.status_code == 200
        return {int(n) for n in re.findall(r'data-consultation="(\d+)"', _html(answer))}

    assert listed() == {hotline.pk, answered.pk, forwarded.pk}
    assert listed("?status=answered") == {answered.pk}
    assert listed("?channel=hotline") == {hotline.pk}
    assert listed("?awaiting=1") == {forwarded.pk}
    assert listed(f"?jurisdiction={GEDIAN}") == {forwarded.pk}
    assert elsewhere.pk not in listed()
    html = _html(clerk.get("/consultations/"))
    assert "欧***" in html and "135****8888" in html
    assert "欧阳小明" not in html and "13512348888" not in html and "13987654321" not in html
    bad = clerk.get("/consultations/?status=lost")
    assert bad.status_code == 422 and 'data-code="invalid_filter"' in _html(bad)
    assert clerk.get("/consultations/?channel=pigeon").status_code == 422


def test_list_costs_a_bounded_number_of_queries(world, django_assert_max_num_queries):
    item = world.items["marriage"].code
    for n in range(30):
        c = _record(world, item=item if n % 2 else "", topic=f"咨询{n}", channel="hotline")
        if n % 3 == 0:
            actions.forward_consultation(world.user(f"{DONGHU}-clerk"), c.pk, world.huangzhou.code)
    clerk = _client(world, f"{DONGHU}-clerk")
    clerk.get("/consultations/")  # warm the session
    with django_assert_max_num_queries(10):
        first = clerk.get("/consultations/")
    rows = re.findall(r'data-consultation="(\d+)"', _html(first))
    assert len(rows) == 25
    with django_assert_max_num_queries(10):
        second = clerk.get("/consultations/?channel=hotline&page=2")
    html = _html(second)
    assert len(re.findall(r'data-consultation="(\d+)"', html)) == 5
    assert "2 / 2" in html and 'rel="prev"' in html and "channel=hotline" in html


# -- navigation and language ---------------------------------------------------------------


def test_navigation_entry_for_staff_with_a_jurisdiction_role(world):
    clerk = _html(_client(world, f"{HUANGZHOU}-clerk").get("/consultations/"))
    nav = clerk.split('class="main-nav"')[1].split("</nav>")[0]
    assert re.search(r'<a href="/consultations/"\s+aria-current="page">咨询登记</a>', nav)
    supervisor = _html(_client(world, f"{HUANGZHOU}-supervisor").get("/queue/"))
    nav = supervisor.split('class="main-nav"')[1].split("</nav>")[0]
    assert re.search(r'<a href="/consultations/"\s*>咨询登记</a>', nav)
    # platform admins read the register by its address; the entry is for jurisdiction staff
    admin = _html(_client(world, "platform-admin").get("/consultations/"))
    assert "咨询登记</a>" not in admin.split('class="main-nav"')[1].split("</nav>")[0]


def test_pages_speak_english(world):
    c = _record(world)
    clerk = _client(world, f"{DONGHU}-clerk")
    clerk.cookies.load({"django_language": "en"})
    listed = _html(clerk.get("/consultations/"))
    assert "Consultations" in listed and "咨询登记" not in listed
    page = _html(clerk.get(f"/consultations/{c.pk}/"))
    assert "Forward" in page and "Answer" in page and "Not answered yet" in page
    refused = _html(clerk.post(f"/consultations/{c.pk}/answer/", {"answer": ""}))
    assert "answer must not be empty" in refused
    form = _html(clerk.get("/consultations/new/"))
    assert "Record a consultation" in form and "Hotline" in form


def test_a_refusal_is_shown_in_the_language_of_the_page(world):
    """The same lazy message (msgid English, params rendered in the page's language)."""
    c = _record(world)
    clerk = _client(world, f"{DONGHU}-clerk")
    chinese = _html(clerk.post(f"/consultations/{c.pk}/answer/", {"answer": " "}))
    assert "请填写answer。" in chinese and "must not be empty" not in chinese
    clerk.cookies.load({"django_language": "en"})
    english = _html(clerk.post(f"/consultations/{c.pk}/answer/", {"answer": " "}))
    assert "answer must not be empty." in english and "请填写" not in english
