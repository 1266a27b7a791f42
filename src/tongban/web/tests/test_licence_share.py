"""我的证照 (issue 15 §4): each licence's verification link as a QR code, and sharing one
licence with the staff of another case — time-limited, revocable, only the token's
digest stored, every opening recorded in "who read my data" (ADR 0100, 0125)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from tongban.accounts.models import PersonalDataRead
from tongban.core.links import public_url
from tongban.core.models import AuditEvent
from tongban.licences import actions
from tongban.licences.models import LicenceShare
from tongban.testing.licences import issue_signed, make_case

MY_LICENCES = "/my/licences/"


@pytest.fixture
def person_licence(world: Any, pki: Any) -> Any:
    """李明's (applicant-1) marriage certificate, issued by 东湖."""
    implementation = world.implementations[("marriage", "420100Z01")]
    implementation.result_type = "licence"
    implementation.licence_type_code = "11100000000000016"
    implementation.save()
    case = make_case(world, item="marriage", status="approved", applicant="person")
    return issue_signed(case, None)  # signed, as after the worker's turn (ADR 0121)


def _share(web: Any, licence: Any, **form: str) -> Any:
    url = reverse("web:share-licence", args=[licence.identifier])
    return web("applicant-1").post(url, {"days": "7", "note": "421102-20260101-000001", **form})


def _link(response: Any) -> str:
    match = re.search(r'data-testid="new-share-url">([^<]+)<', response.content.decode())
    assert match, "no share link on the page"
    return match.group(1).split("127.0.0.1:8000", 1)[-1]


def test_each_licence_offers_its_verification_link_as_a_qr_code(
    web: Any, person_licence: Any
) -> None:
    html = web("applicant-1").get(MY_LICENCES).content.decode()
    url = public_url(reverse("licences:verify", args=[person_licence.identifier]))
    assert f'data-testid="licence-verify-url">{url}<' in html
    svg = re.search(r"<svg [^>]*class=\"qr\"[^>]*>", html)
    assert svg and 'role="img"' in svg.group(0) and person_licence.identifier in svg.group(0)
    assert "<path" in html[svg.end() : svg.end() + 200]


def test_the_holder_shares_and_a_clerk_elsewhere_opens_it_recorded(
    web: Any, world: Any, person_licence: Any
) -> None:
    response = _share(web, person_licence)
    assert response.status_code == 201
    link = _link(response)
    token = link.rstrip("/").rsplit("/", 1)[1]
    share = LicenceShare.objects.get()
    assert token not in share.token_sha256 and len(share.token_sha256) == 64
    assert share.expires_at - share.created_at == dt.timedelta(days=7)
    assert AuditEvent.objects.filter(action="licence.share", object_id=str(share.pk)).exists()
    # the page lists the open share (not its token) with a revoke button
    html = web("applicant-1").get(MY_LICENCES).content.decode()
    assert 'data-testid="licence-share-active"' in html and token not in html

    # a clerk of another jurisdiction (黄州) than the issuer (东湖) sees the full identity
    clerk = web("421102-clerk")
    page = clerk.get(link)
    assert page.status_code == 200
    assert person_licence.holder_identifier in page.content.decode()
    read = PersonalDataRead.objects.get(subject=person_licence.holder)
    assert read.purpose == "licence" and read.reader == world.user("421102-clerk")
    assert person_licence.identifier in read.reference and read.channel == "web"
    # ... and the holder sees that read in "who read my data"
    reads = web("applicant-1").get(reverse("web:my-data-reads")).content.decode()
    assert person_licence.identifier in reads


def test_a_revoked_or_expired_share_no_longer_opens(
    web: Any, world: Any, person_licence: Any
) -> None:
    link = _link(_share(web, person_licence))
    share = LicenceShare.objects.get()
    clerk = web("421102-clerk")
    assert clerk.get(link).status_code == 200
    # someone else cannot revoke it
    revoke = reverse("web:revoke-licence-share", args=[share.pk])
    assert web("applicant-2").post(revoke).status_code == 404
    assert web("applicant-1").post(revoke).status_code == 302
    share.refresh_from_db()
    assert share.revoked_at is not None
    assert clerk.get(link).status_code == 404
    reads = PersonalDataRead.objects.filter(subject=person_licence.holder).count()

    second = _link(_share(web, person_licence))
    LicenceShare.objects.filter(revoked_at__isnull=True).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert clerk.get(second).status_code == 404
    assert clerk.get("/licences/shared/not-a-token/").status_code == 404
    # a refused opening is not a read
    assert PersonalDataRead.objects.filter(subject=person_licence.holder).count() == reads


def test_only_window_and_case_staff_open_a_share(web: Any, person_licence: Any) -> None:
    link = _link(_share(web, person_licence))
    anonymous = web(None).get(link)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
    for username in ("applicant-2", "421102-supervisor"):
        refused = web(username).get(link)
        assert refused.status_code == 403, username
        assert 'data-code="share_not_allowed"' in refused.content.decode(), username
    assert not PersonalDataRead.objects.exists()


def test_bad_share_input_changes_nothing(web: Any, world: Any, person_licence: Any) -> None:
    for form, status, code in (
        ({"days": "5"}, 422, "share_days_invalid"),
        ({"days": "x"}, 422, "share_days_invalid"),
        ({"note": "长" * 129}, 422, "share_note_too_long"),
    ):
        response = _share(web, person_licence, **form)
        assert response.status_code == status, form
        assert f'data-code="{code}"' in response.content.decode(), form
    # another applicant's licence, or none: 404
    other = web("applicant-2").post(
        reverse("web:share-licence", args=[person_licence.identifier]), {"days": "7"}
    )
    assert other.status_code == 404
    anonymous = web(None).post(reverse("web:share-licence", args=["x"]), {"days": "7"})
    assert anonymous.status_code == 302
    # a revoked licence cannot be shared
    actions.revoke_licence(world.user("420100Z01-head"), person_licence, "信息有误")
    revoked = _share(web, person_licence)
    assert revoked.status_code == 409
    assert 'data-code="licence_not_shareable"' in revoked.content.decode()
    assert not LicenceShare.objects.exists()


def test_the_verification_page_is_in_the_site_layout_and_translated(
    web: Any, person_licence: Any
) -> None:
    url = reverse("licences:verify", args=[person_licence.identifier])
    chinese = web(None).get(url).content.decode()
    assert 'class="site-header"' in chinese and "电子证照核验" in chinese
    assert 'data-status="valid"' in chinese
    english = web(None).get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'class="site-header"' in english and 'lang="en"' in english
    assert "E-licence verification" in english and "Issuing authority" in english
    assert "电子证照核验" not in english and "发证机关" not in english
    # a bad request answers in English too
    empty = web(None).post(reverse("licences:verify-index"), {}, HTTP_ACCEPT_LANGUAGE="en")
    assert "Enter a licence identifier" in empty.content.decode()
