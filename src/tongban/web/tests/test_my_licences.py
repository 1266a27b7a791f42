"""我的证照 (issue 15): the applicant's licences, the case page's link to its licence,
and the notification that points there."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tongban.accounts.models import PersonalDataRead
from tongban.licences import actions
from tongban.testing.licences import issue_signed, make_case

MY_LICENCES = "/my/licences/"


@pytest.fixture
def enterprise_licence(world: Any, pki: Any) -> Any:
    """The enterprise's company registration, received in 黄州, handled and issued by 东湖."""
    case = make_case(world, status="approved")
    return issue_signed(case, world.user("420100Z01-officer"))


@pytest.fixture
def person_licence(world: Any, pki: Any) -> Any:
    """李明's (applicant-1) marriage certificate, issued by 东湖."""
    implementation = world.implementations[("marriage", "420100Z01")]
    implementation.result_type = "licence"
    implementation.licence_type_code = "11100000000000016"
    implementation.save()
    case = make_case(world, item="marriage", status="approved", applicant="person")
    return issue_signed(case, None)


def test_the_page_is_where_the_notification_points(world: Any) -> None:
    from tongban.notifications.rendering import MY_LICENCES_PATH, render

    assert reverse("web:my-licences") == MY_LICENCES_PATH == MY_LICENCES
    for language in ("zh-hans", "en"):
        for channel in ("sms", "email"):
            text = render(channel, "result_issued", language, {"case_number": "X-1"}).text
            assert text.count("/my/licences/") == 1, (channel, language, text)
            assert "http" in text


def test_anonymous_is_sent_to_log_in(web: Any, enterprise_licence: Any) -> None:
    anonymous = web(None)
    for url in (MY_LICENCES, reverse("web:licence-pdf", args=[enterprise_licence.identifier])):
        response = anonymous.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


def test_the_agent_sees_the_enterprise_licence_with_its_links(
    web: Any, world: Any, enterprise_licence: Any
) -> None:
    agent = web("enterprise-1")
    page = agent.get(MY_LICENCES)
    assert page.status_code == 200
    html = page.content.decode()
    assert enterprise_licence.identifier in html
    assert enterprise_licence.licence_name in html
    assert enterprise_licence.holder_name in html  # an enterprise's name is register data
    assert 'data-state="valid"' in html
    pdf_url = reverse("web:licence-pdf", args=[enterprise_licence.identifier])
    verify_url = reverse("licences:verify", args=[enterprise_licence.identifier])
    assert pdf_url in html and verify_url in html
    assert enterprise_licence.case.number in html

    pdf = agent.get(pdf_url)
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content == bytes(enterprise_licence.pdf)
    assert agent.get(verify_url).status_code == 200

    # linked from the navigation and from 我的办件
    assert f'href="{MY_LICENCES}"' in agent.get(reverse("web:my-cases")).content.decode()


def test_someone_else_sees_nothing_and_gets_404(
    web: Any, world: Any, enterprise_licence: Any, person_licence: Any
) -> None:
    other = web("applicant-2")
    html = other.get(MY_LICENCES).content.decode()
    assert 'data-testid="no-licences"' in html
    assert enterprise_licence.identifier not in html
    assert person_licence.identifier not in html
    for licence in (enterprise_licence, person_licence):
        url = reverse("web:licence-pdf", args=[licence.identifier])
        assert other.get(url).status_code == 404
    # the person sees their own licence, not the enterprise's
    person = web("applicant-1")
    html = person.get(MY_LICENCES).content.decode()
    assert person_licence.identifier in html
    assert enterprise_licence.identifier not in html
    own_pdf = reverse("web:licence-pdf", args=[person_licence.identifier])
    assert person.get(own_pdf).status_code == 200
    assert person.get(reverse("web:licence-pdf", args=["no-such-licence"])).status_code == 404


def test_a_revoked_and_reissued_licence_shows_both_versions(
    web: Any, world: Any, enterprise_licence: Any
) -> None:
    actions.revoke_licence(world.user("420100Z01-head"), enterprise_licence, "信息有误,重新核发")
    renewed = issue_signed(enterprise_licence.case, None)
    assert renewed.version == 2
    html = web("enterprise-1").get(MY_LICENCES).content.decode()
    assert html.index(renewed.identifier) < html.index(enterprise_licence.identifier)
    assert 'data-state="valid"' in html and 'data-state="superseded"' in html
    # a revoked licence nobody replaced stays "revoked"
    actions.revoke_licence(world.user("420100Z01-head"), renewed, "依法吊销")
    html = web("enterprise-1").get(MY_LICENCES).content.decode()
    assert 'data-state="revoked"' in html and 'data-state="superseded"' in html
    assert 'data-state="valid"' not in html


def test_the_case_page_links_its_licence_for_applicant_and_officer(
    web: Any, world: Any, enterprise_licence: Any
) -> None:
    number = enterprise_licence.case.number
    pdf_url = reverse("web:licence-pdf", args=[enterprise_licence.identifier])
    verify_url = reverse("licences:verify", args=[enterprise_licence.identifier])
    for username in ("enterprise-1", "420100Z01-officer"):
        client = web(username)
        html = client.get(reverse("web:case", args=[number])).content.decode()
        assert 'data-testid="case-licence"' in html, username
        assert pdf_url in html and verify_url in html, username
        assert client.get(pdf_url).status_code == 200, username
    # another jurisdiction's officer: neither the case nor the licence
    outsider = web("420703400-officer")
    assert outsider.get(reverse("web:case", args=[number])).status_code == 404
    assert outsider.get(pdf_url).status_code == 404


def test_no_licence_card_before_issue(web: Any, world: Any, pki: Any) -> None:
    case = make_case(world, status="approved")
    html = web("enterprise-1").get(reverse("web:case", args=[case.number])).content.decode()
    assert 'data-testid="case-licence"' not in html


def test_a_persons_pdf_only_for_those_who_need_the_identity(
    web: Any, world: Any, person_licence: Any
) -> None:
    """A person's PDF cannot be masked: the issuing officer gets it (recorded as a read),
    the issuing jurisdiction's supervisor sees the card but no PDF link and gets 403."""
    number = person_licence.case.number
    pdf_url = reverse("web:licence-pdf", args=[person_licence.identifier])
    officer = web("420100Z01-officer")
    assert pdf_url in officer.get(reverse("web:case", args=[number])).content.decode()
    before = PersonalDataRead.objects.count()
    assert officer.get(pdf_url).status_code == 200
    assert PersonalDataRead.objects.count() == before + 1
    supervisor = web("420100Z01-supervisor")
    html = supervisor.get(reverse("web:case", args=[number])).content.decode()
    assert 'data-testid="case-licence"' in html
    assert pdf_url not in html
    response = supervisor.get(pdf_url)
    assert response.status_code == 403
    assert 'data-code="unmask_not_allowed"' in response.content.decode()
    # the holder's own download is not a read by someone else
    before = PersonalDataRead.objects.count()
    assert web("applicant-1").get(pdf_url).status_code == 200
    assert PersonalDataRead.objects.count() == before
