from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tongban.licences import actions
from tongban.licences.models import Licence
from tongban.testing.licences import issue_signed, make_case


def _verify_url(licence_id: str) -> str:
    return f"/api/v1/licences/{licence_id}/verify"


def test_verify_endpoint_needs_no_login_and_shows_nothing_personal(client, licence, world):
    response = client.get(_verify_url(licence.identifier))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "valid"
    assert body["status_label"] == "有效"
    assert body["licence"]["identifier"] == licence.identifier
    assert body["licence"]["issuer_name"] == "东湖市场监督管理局"
    assert body["licence"]["issuing_jurisdiction"] == world.donghu.name
    text = response.content.decode()
    for secret in (world.applicants["enterprise"].agent_id_number, "13700137000"):
        assert secret not in text


def test_verify_endpoint_for_a_person_masks_the_name(client, pki, world):
    implementation = world.implementations[("marriage", "420100Z01")]
    implementation.licence_type_code = "11100000000000016"
    implementation.save()
    case = make_case(world, item="marriage", status="approved", applicant="person")
    licence = issue_signed(case, None)
    body = client.get(_verify_url(licence.identifier)).json()
    assert body["licence"]["holder_name"] == "李*"
    assert "李明" not in json.dumps(body, ensure_ascii=False)
    assert world.applicants["person"].id_number not in json.dumps(body)


def test_verify_endpoint_unknown_and_revoked(client, licence, world):
    assert client.get(_verify_url("1.2.3")).json()["status"] == "unknown"
    actions.revoke_licence(world.user("420100Z01-admin"), licence, "营业执照被依法吊销")
    body = client.get(_verify_url(licence.identifier)).json()
    assert body["status"] == "revoked"
    assert body["licence"]["revocation_reason"] == "营业执照被依法吊销"
    assert body["licence"]["revoked_at"]


def test_upload_a_pdf_to_verify(client, licence):
    upload = SimpleUploadedFile("licence.pdf", bytes(licence.pdf), "application/pdf")
    response = client.post("/api/v1/licences/verify", {"file": upload})
    assert response.status_code == 200
    assert response.json()["status"] == "valid"  # the identifier is read from the PDF
    assert response.json()["licence_id"] == licence.identifier

    altered = bytearray(licence.pdf)
    altered[len(altered) // 2] ^= 0x20
    upload = SimpleUploadedFile("licence.pdf", bytes(altered), "application/pdf")
    response = client.post(
        "/api/v1/licences/verify", {"file": upload, "licence_id": licence.identifier}
    )
    assert response.json()["status"] == "tampered"
    assert response.json()["problems"]


def test_post_data_to_verify(client, licence):
    payload = {
        "licence_id": licence.identifier,
        "data": licence.data,
        "signature": licence.data_signature,
    }
    response = client.post("/api/v1/licences/verify", payload, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["status"] == "valid"
    payload["data"] = {**licence.data, "licence_name": "食品经营许可证"}
    response = client.post("/api/v1/licences/verify", payload, content_type="application/json")
    assert response.json()["status"] == "tampered"


@pytest.mark.parametrize(
    "body", [b"", b"[1, 2]", b'{"licence_id": "x"}', b"not json", b'{"data": {}}']
)
def test_bad_verify_bodies_are_422(client, body):
    response = client.post("/api/v1/licences/verify", body, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"


def test_multipart_without_file_is_422(client):
    response = client.post("/api/v1/licences/verify", {"licence_id": "x"})
    assert response.status_code == 422
    assert response.json()["code"] == "missing_field"


# ---- logged-in endpoints ---------------------------------------------------------------


def test_licence_list_is_scoped(client, licence, world):
    assert client.get("/api/v1/licences").status_code == 401
    client.force_login(world.user("420100Z01-clerk"))
    body = client.get("/api/v1/licences").json()
    assert [item["identifier"] for item in body["items"]] == [licence.identifier]
    assert body["count"] == 1
    client.force_login(world.user("421102-head"))  # received the case, did not issue
    assert client.get("/api/v1/licences").json()["count"] == 0
    client.force_login(world.user("enterprise-1"))  # the holder's agent
    assert client.get("/api/v1/licences").json()["count"] == 1
    client.force_login(world.user("applicant-1"))
    assert client.get("/api/v1/licences").json()["count"] == 0
    client.force_login(world.user("platform-admin"))
    assert client.get("/api/v1/licences?status=revoked").json()["count"] == 0


def test_licence_detail_and_pdf(client, licence, world):
    url = f"/api/v1/licences/{licence.identifier}"
    assert client.get(url).status_code == 401
    client.force_login(world.user("420703400-head"))
    assert client.get(url).status_code == 404
    assert client.get(f"{url}/pdf").status_code == 404
    client.force_login(world.user("enterprise-1"))
    body = client.get(url).json()
    assert body["data"] == licence.data
    assert body["data_signature"] == licence.data_signature
    response = client.get(f"{url}/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content == bytes(licence.pdf)


def test_revoke_endpoint_permissions_and_failures(client, licence, world):
    url = f"/api/v1/licences/{licence.identifier}/revoke"
    body = {"reason": "申请人以欺骗手段取得"}
    assert client.post(url, body, content_type="application/json").status_code == 401
    client.force_login(world.user("421102-head"))  # other jurisdiction
    assert client.post(url, body, content_type="application/json").status_code == 404
    client.force_login(world.user("enterprise-1"))  # the holder
    assert client.post(url, body, content_type="application/json").status_code == 404
    client.force_login(world.user("420100Z01-officer"))  # own jurisdiction, wrong role
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 403
    client.force_login(world.user("420100Z01-head"))
    response = client.post(url, {"reason": "  "}, content_type="application/json")
    assert response.status_code == 422
    licence.refresh_from_db()
    assert licence.status == Licence.Status.VALID
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["status"] == "revoked"
    assert client.post(url, body, content_type="application/json").status_code == 409
    licence.refresh_from_db()
    assert licence.revocation_reason == body["reason"]
    assert licence.revoked_by == world.user("420100Z01-head")


# ---- the public page -------------------------------------------------------------------


def test_verify_page_without_login(client, licence, world):
    response = client.get(f"/verify/{licence.identifier}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "有效" in html and licence.identifier in html
    assert "营业执照" in html and "东湖市场监督管理局" in html
    assert world.applicants["enterprise"].agent_id_number not in html


def test_verify_page_revoked_unknown_and_uploads(client, licence, world):
    response = client.get("/verify/1.2.156.3005.2.nothing")
    assert response.status_code == 200 and "未找到该证照" in response.content.decode()
    altered = bytes(licence.pdf).replace(b"/Type /Page", b"/Type /Page ", 1)
    upload = SimpleUploadedFile("copy.pdf", altered, "application/pdf")
    html = client.post(f"/verify/{licence.identifier}", {"file": upload}).content.decode()
    assert "篡改" in html
    upload = SimpleUploadedFile("copy.pdf", bytes(licence.pdf), "application/pdf")
    html = client.post("/verify/", {"file": upload}).content.decode()
    assert "有效" in html and licence.identifier in html
    response = client.post("/verify/", {"licence_id": licence.identifier})
    assert response.status_code == 302 and response["Location"].endswith(licence.identifier)
    actions.revoke_licence(world.user("platform-admin"), licence, "依法撤销")
    html = client.get(f"/verify/{licence.identifier}").content.decode()
    assert "已吊销" in html and "依法撤销" in html


def test_qr_code_url_points_to_the_verify_page(licence, settings):
    from tongban.licences.rendering import licence_verification_url

    settings.TONGBAN_PUBLIC_BASE_URL = "https://tongban.example.gov.cn/"
    assert licence_verification_url(licence.identifier) == (
        f"https://tongban.example.gov.cn/verify/{licence.identifier}"
    )


# ---- admin ---------------------------------------------------------------------------


def test_admin_lists_masked_holders_and_revokes_with_a_reason(client, pki, world):
    from tongban.accounts.models import User

    implementation = world.implementations[("marriage", "420100Z01")]
    implementation.licence_type_code = "11100000000000016"
    implementation.save()
    licence = issue_signed(
        make_case(world, item="marriage", status="approved", applicant="person"), None
    )
    admin = User.objects.create_superuser("root", "root@example.test", "pw-root-123456")
    client.force_login(admin)
    html = client.get("/admin/licences/licence/").content.decode()
    assert licence.identifier in html and "李*" in html and "李明" not in html
    url = "/admin/licences/licence/"
    step = client.post(url, {"action": "revoke_selected", "_selected_action": [licence.pk]})
    assert step.status_code == 200 and "吊销理由" in step.content.decode()
    done = client.post(
        url,
        {
            "action": "revoke_selected",
            "_selected_action": [licence.pk],
            "apply": "1",
            "reason": "结婚登记被依法撤销",
        },
    )
    assert done.status_code == 302
    licence.refresh_from_db()
    assert licence.status == "revoked" and licence.revocation_reason == "结婚登记被依法撤销"
    detail = client.get(f"/admin/licences/licence/{licence.pk}/change/").content.decode()
    assert "李*" in detail and world.applicants["person"].id_number not in detail
