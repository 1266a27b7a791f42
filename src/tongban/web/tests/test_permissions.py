"""Who may open which page: anonymous users are sent to the login page, a case outside
the user's jurisdictions answers 404 (existence is not disclosed), an applicant sees
only their own cases."""

from __future__ import annotations

import pytest

from tongban.attachments.actions import attach_file
from tongban.cases.models import Case
from tongban.web.tests.conftest import advance, online_case, pdf_upload, proxy_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(world):
    case = proxy_case(world)
    advance(
        world,
        case.number,
        ("421102-clerk", "check", {}),
        ("421102-clerk", "transfer", {"carrier": "EMS", "waybill_number": "E1"}),
        ("420100Z01-officer", "receive_transfer", {}),
        ("420100Z01-officer", "accept", {}),
    )
    return Case.objects.get(pk=case.pk)


@pytest.fixture
def attachment(world, case):
    return attach_file(world.user("421102-clerk"), case.number, pdf_upload())


def case_pages(number: str, attachment_pk: int) -> list[str]:
    return [
        f"/cases/{number}/",
        f"/cases/{number}/act/approve/",
        f"/cases/{number}/receipt/",
        f"/cases/{number}/notices/acceptance.pdf",
        f"/files/{attachment_pk}/",
    ]


PRIVATE_PAGES = [
    "/my/",
    "/my/apply/",
    "/my/apply/ITEM-COMPANY/420100Z01/",
    "/clerk/",
    "/clerk/items/ITEM-COMPANY/",
    "/clerk/cases/new/?item=ITEM-COMPANY&handling=420100Z01&mode=proxy",
    "/queue/",
    "/delivery/",
    "/overview/",
]


def test_anonymous_users_are_sent_to_login(web, case, attachment):
    client = web(None)
    for url in PRIVATE_PAGES + case_pages(case.number, attachment.pk):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/?next="), url


def test_anonymous_posts_change_nothing(web, case):
    client = web(None)
    for url, data in [
        (f"/cases/{case.number}/act/approve/", {}),
        (f"/cases/{case.number}/upload/", {"file": pdf_upload()}),
        ("/delivery/pickup/", {"number": case.number}),
        ("/clerk/cases/new/", {"item": "ITEM-COMPANY"}),
        ("/clerk/applicant/", {"identifier": "x"}),
        ("/clerk/identifier/", {"id_number": "x"}),
    ]:
        response = client.post(url, data)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url
    case.refresh_from_db()
    assert case.status == "accepted"


def test_public_pages_need_no_login(web):
    client = web(None)
    for url in ("/", "/login/", "/register/", "/lookup/"):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize(
    "username",
    [
        "420115-clerk",  # 江夏: party to no agreement
        "420205-officer",  # 铁山: party to the agreement, not to this case
        "420703400-supervisor",
        "420205-head",
    ],
)
def test_other_jurisdictions_get_404_on_every_case_page(web, case, attachment, username):
    client = web(username)
    for url in case_pages(case.number, attachment.pk):
        assert client.get(url).status_code == 404, url
    response = client.post(f"/cases/{case.number}/act/approve/", {})
    assert response.status_code == 404
    response = client.post(f"/cases/{case.number}/upload/", {"file": pdf_upload()})
    assert response.status_code == 404
    page = client.get("/queue/", {"status": "accepted"}).content.decode()
    assert case.number not in page
    case.refresh_from_db()
    assert case.status == "accepted"


@pytest.mark.parametrize(
    "username", ["421102-clerk", "420100Z01-officer", "421102-supervisor", "platform-admin"]
)
def test_both_legs_and_the_platform_admin_see_the_case(web, case, attachment, username):
    client = web(username)
    for url in case_pages(case.number, attachment.pk):
        assert client.get(url).status_code == 200, (url, username)


def test_applicant_sees_only_own_cases(web, world, case, attachment):
    own = online_case(world, "applicant-1")
    other = online_case(world, "applicant-2")
    client = web("applicant-1")
    assert client.get(f"/cases/{own.number}/").status_code == 200
    page = client.get("/my/").content.decode()
    assert own.number in page and other.number not in page and case.number not in page
    for url in case_pages(case.number, attachment.pk):
        assert client.get(url).status_code == 404, url
    assert client.get(f"/cases/{other.number}/").status_code == 404
    assert client.post(f"/cases/{other.number}/act/withdraw/", {}).status_code == 404
    other.refresh_from_db()
    assert other.status == "pending_acceptance"
    # the enterprise's agent sees the enterprise's case
    assert web("enterprise-1").get(f"/cases/{case.number}/").status_code == 200


def test_staff_pages_are_not_for_applicants(web):
    client = web("applicant-1")
    assert client.get("/clerk/").status_code == 403
    assert client.get("/delivery/").status_code == 403
    assert client.post("/clerk/cases/new/", {"item": "ITEM-COMPANY"}).status_code == 403


def test_overview_counts_only_cases_in_scope(web, world, case):
    proxy_case(world, receiving="420703400", handling="420205")
    page = web("420205-supervisor").get("/overview/").content.decode()
    assert 'data-jurisdiction="420205"' in page
    assert 'data-jurisdiction="420100Z01"' not in page


def test_kiosk_needs_a_terminal_window(web, world, terminal):
    assert web(None).get(f"/kiosk/{world.windows['421102'].pk}/").status_code == 404
    assert web(None).get(f"/kiosk/{terminal.pk}/").status_code == 200
