from __future__ import annotations

import json

import pytest

from tongban.consultations import actions
from tongban.consultations.models import Consultation, ConsultationEvent
from tongban.consultations.selectors import get_consultation_for, readable_consultations
from tongban.core.errors import Conflict, Forbidden, Invalid, NotAuthenticated, NotFound
from tongban.stats.tests.helpers import client_for

DONGHU, GEDIAN, HUANGZHOU = "420100Z01", "420703400", "421102"


def _record(world, who=f"{DONGHU}-clerk", **kwargs):
    data = {
        "jurisdiction": world.donghu.code,
        "channel": "hotline",
        "topic": "户口迁移",
        "question": "在黄州能办东湖的户口迁移吗?",
        "asker_name": "张三",
        "asker_phone": "13812345678",
    }
    data.update(kwargs)
    return actions.record_consultation(world.user(who), **data)


def test_record_answer_on_the_spot_writes_two_events(world):
    c = _record(world, answer="可以,到跨域通办专窗办理。", item=world.items["company"].code)
    assert c.status == Consultation.Status.ANSWERED
    assert c.answered_in == world.donghu
    assert list(c.events.values_list("seq", "action", "to_status")) == [
        (1, "record", "open"),
        (2, "answer", "answered"),
    ]


def test_forward_keeps_owner_and_target_answers_then_owner_closes(world):
    c = _record(world)
    actions.forward_consultation(
        world.user(f"{DONGHU}-clerk"), c.pk, world.huangzhou.code, "请协助"
    )
    c.refresh_from_db()
    assert (c.status, c.jurisdiction, c.forwarded_to) == (
        "forwarded",
        world.donghu,
        world.huangzhou,
    )
    event = c.events.get(action="forward")
    assert event.data["to"] == HUANGZHOU and event.actor_jurisdiction == world.donghu

    # the forwarded-to jurisdiction sees and answers it; the owner closes it
    target_officer = world.user(f"{HUANGZHOU}-officer")
    assert get_consultation_for(target_officer, c.pk) == c
    actions.answer_consultation(target_officer, c.pk, "黄州可以收件。")
    c.refresh_from_db()
    assert c.status == "answered" and c.answered_in == world.huangzhou
    with pytest.raises(Forbidden):
        actions.close_consultation(target_officer, c.pk)
    actions.close_consultation(world.user(f"{DONGHU}-clerk"), c.pk)
    c.refresh_from_db()
    assert c.status == "closed"
    assert list(c.events.values_list("action", flat=True)) == [
        "record",
        "forward",
        "answer",
        "close",
    ]


def test_forwarding_scope(world):
    c = _record(world)
    outsider = world.user(f"{GEDIAN}-clerk")
    target = world.user(f"{HUANGZHOU}-clerk")
    with pytest.raises(NotFound):
        get_consultation_for(target, c.pk)
    actions.forward_consultation(world.user(f"{DONGHU}-head"), c.pk, world.huangzhou.code)
    assert get_consultation_for(target, c.pk).pk == c.pk
    with pytest.raises(NotFound):
        get_consultation_for(outsider, c.pk)
    # only the owner forwards (首问负责); the target may not pass it on
    with pytest.raises(Forbidden):
        actions.forward_consultation(target, c.pk, world.gedian.code)
    # an outsider cannot even learn that it exists
    with pytest.raises(NotFound):
        actions.answer_consultation(outsider, c.pk, "答复")
    # re-forwarding moves it: the previous target no longer sees it
    actions.forward_consultation(world.user(f"{DONGHU}-clerk"), c.pk, world.gedian.code)
    with pytest.raises(NotFound):
        get_consultation_for(target, c.pk)
    assert get_consultation_for(outsider, c.pk).forwarded_to == world.gedian
    assert readable_consultations(world.user("platform-admin")).filter(pk=c.pk).exists()


def test_supervisors_only_read(world):
    c = _record(world)
    supervisor = world.user(f"{DONGHU}-supervisor")
    assert get_consultation_for(supervisor, c.pk).pk == c.pk
    with pytest.raises(Forbidden):
        actions.answer_consultation(supervisor, c.pk, "答复")
    with pytest.raises(Forbidden):
        _record(world, who=f"{DONGHU}-supervisor")


def test_rules_and_bad_input(world):
    clerk = world.user(f"{DONGHU}-clerk")
    with pytest.raises(Forbidden):
        actions.record_consultation(
            clerk, jurisdiction=world.gedian.code, channel="window", topic="t", question="q"
        )
    with pytest.raises(Invalid):
        _record(world, channel="fax")
    with pytest.raises(Invalid):
        _record(world, topic="  ")
    with pytest.raises(Invalid):
        _record(world, asker_phone="call me")
    c = _record(world)
    with pytest.raises(Invalid):
        actions.forward_consultation(clerk, c.pk, world.donghu.code)
    with pytest.raises(Invalid):
        actions.close_consultation(clerk, c.pk)  # unanswered: needs a reason
    actions.answer_consultation(clerk, c.pk, "答复")
    with pytest.raises(Conflict):
        actions.answer_consultation(clerk, c.pk, "再答复")
    with pytest.raises(Conflict):
        actions.forward_consultation(clerk, c.pk, world.huangzhou.code)
    actions.close_consultation(clerk, c.pk)
    with pytest.raises(Conflict):
        actions.close_consultation(clerk, c.pk, "again")
    assert ConsultationEvent.objects.filter(consultation=c).count() == 3
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(NotAuthenticated):
        readable_consultations(AnonymousUser())


def test_unanswered_can_be_closed_with_a_reason(world):
    c = _record(world)
    actions.close_consultation(world.user(f"{DONGHU}-clerk"), c.pk, "来电人挂断,无法联系")
    c.refresh_from_db()
    assert c.status == "closed" and c.answered_at is None


def test_api_flow_masks_personal_data_and_scopes(world):
    clerk = client_for(world.user(f"{DONGHU}-clerk"))
    response = clerk.post(
        "/api/v1/consultations",
        data=json.dumps(
            {
                "jurisdiction": DONGHU,
                "channel": "window",
                "topic": "结婚登记",
                "question": "异地结婚登记需要什么材料?",
                "item": "ITEM-MARRIAGE",
                "asker_name": "王小明",
                "asker_phone": "13900001234",
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["asker_phone"] == "139****1234"
    assert body["asker_name"] == "王**"
    assert body["item_code"] == "ITEM-MARRIAGE"
    cid = body["id"]

    forwarded = clerk.post(
        f"/api/v1/consultations/{cid}/forward",
        data=json.dumps({"to_jurisdiction": HUANGZHOU, "note": "请答复"}),
        content_type="application/json",
    )
    assert forwarded.status_code == 200
    assert forwarded.json()["status"] == "forwarded"
    assert [e["action"] for e in forwarded.json()["events"]] == ["record", "forward"]

    target = client_for(world.user(f"{HUANGZHOU}-officer"))
    listing = target.get("/api/v1/consultations").json()
    assert [row["id"] for row in listing["items"]] == [cid]
    answered = target.post(
        f"/api/v1/consultations/{cid}/answer",
        data=json.dumps({"answer": "双方身份证和户口簿。"}),
        content_type="application/json",
    )
    assert answered.status_code == 200 and answered.json()["status"] == "answered"

    outsider = client_for(world.user(f"{GEDIAN}-clerk"))
    assert outsider.get(f"/api/v1/consultations/{cid}").status_code == 404
    assert outsider.get("/api/v1/consultations").json()["count"] == 0
    denied = outsider.post(
        f"/api/v1/consultations/{cid}/close",
        data=json.dumps({"note": ""}),
        content_type="application/json",
    )
    assert denied.status_code == 404
    assert client_for(None).get("/api/v1/consultations").status_code == 401
    bad = clerk.post(
        "/api/v1/consultations",
        data=json.dumps(
            {"jurisdiction": "nope", "channel": "window", "topic": "t", "question": "q"}
        ),
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert (
        clerk.post(
            f"/api/v1/consultations/{cid}/close",
            data=json.dumps({}),
            content_type="application/json",
        ).json()["status"]
        == "closed"
    )


def test_admin_lists_are_read_only_and_masked(world, django_user_model):
    _record(world)
    root = django_user_model.objects.create_superuser("root", password="x-long-password")
    client = client_for(root)
    page = client.get("/admin/consultations/consultation/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "138****5678" in text and "13812345678" not in text
    assert client.get("/admin/consultations/consultation/add/").status_code == 403
    for url in ("/admin/ratings/rating/", "/admin/stats/cursor/", "/admin/ratings/rectification/"):
        assert client.get(url).status_code == 200
