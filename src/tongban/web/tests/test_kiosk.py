"""Self-service terminal mode."""

from __future__ import annotations

import pytest

from tongban.cases.models import Case
from tongban.testing.world import PASSWORD
from tongban.web.tests.conftest import pdf_upload
from tongban.web.views.common import KIOSK_SESSION_KEY

pytestmark = pytest.mark.django_db


def _login(client, terminal, username="applicant-1"):
    return client.post(f"/kiosk/{terminal.pk}/login/", {"username": username, "password": PASSWORD})


def test_kiosk_session_cannot_wander_off(web, terminal, settings):
    client = web(None)
    page = client.get(f"/kiosk/{terminal.pk}/").content.decode()
    assert "登录办理事项" in page and "主导航" not in page
    assert client.session[KIOSK_SESSION_KEY] == terminal.pk
    assert client.session.get_expiry_age() == settings.TONGBAN_KIOSK_IDLE_SECONDS
    for url in ("/", "/login/", "/queue/", "/my/", "/clerk/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"/kiosk/{terminal.pk}/", url
    # the public look-up stays available inside the kiosk, in the kiosk layout
    page = client.get("/lookup/").content.decode()
    assert 'class="kiosk"' in page


def test_kiosk_lists_only_terminal_items_and_submits_with_channel_terminal(web, world, terminal):
    client = web(None)
    client.get(f"/kiosk/{terminal.pk}/")
    assert _login(client, terminal).status_code == 302
    assert client.session[KIOSK_SESSION_KEY] == terminal.pk
    page = client.get(f"/kiosk/{terminal.pk}/items/").content.decode()
    # the company item has "terminal" among its channels; marriage registration has not
    assert "企业设立登记" in page and "内地居民结婚登记" not in page
    page = client.get(f"/kiosk/{terminal.pk}/items/ITEM-COMPANY/").content.decode()
    assert "武汉东湖新技术开发区" in page and "黄冈市黄州区" not in page
    impl = world.implementations[("company", "420100Z01")]
    materials = list(impl.materials.order_by("position"))
    response = client.post(
        f"/kiosk/{terminal.pk}/apply/ITEM-COMPANY/420100Z01/",
        {
            "token": "k-1",
            "delivery_method": "post",
            "delivery_address": "湖北省黄冈市黄州区东门路1号",
            f"m{materials[0].pk}_file": pdf_upload(),
            f"m{materials[1].pk}_file": pdf_upload(),
        },
    )
    assert response.status_code == 302, response.content.decode()
    case = Case.objects.get()
    assert response["Location"] == f"/kiosk/{terminal.pk}/done/{case.number}/"
    assert case.channel == "terminal" and case.mode == "proxy"
    assert case.receiving_window == terminal and case.assisted is False
    assert case.receiving_jurisdiction == world.huangzhou
    assert client.get(response["Location"]).status_code == 200


def test_kiosk_refuses_a_route_the_terminal_does_not_have(web, terminal):
    client = web(None)
    client.get(f"/kiosk/{terminal.pk}/")
    _login(client, terminal)
    assert client.get(f"/kiosk/{terminal.pk}/apply/ITEM-COMPANY/420115/").status_code == 404
    assert client.get(f"/kiosk/{terminal.pk}/apply/ITEM-MARRIAGE/420100Z01/").status_code == 404


def test_ending_the_kiosk_session_clears_it(web, terminal):
    client = web(None)
    client.get(f"/kiosk/{terminal.pk}/")
    _login(client, terminal)
    response = client.post(f"/kiosk/{terminal.pk}/end/")
    assert response.status_code == 302 and response["Location"] == f"/kiosk/{terminal.pk}/"
    assert "_auth_user_id" not in client.session
    # a later visitor at the terminal starts anonymous
    page = client.get(f"/kiosk/{terminal.pk}/").content.decode()
    assert "登录办理事项" in page


def test_kiosk_pages_need_the_kiosk_session(web, terminal):
    client = web("applicant-1")
    assert client.get(f"/kiosk/{terminal.pk}/items/").status_code == 404
