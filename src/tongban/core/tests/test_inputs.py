"""Issue 9: no 500 from input (ADR 0090). Each input the schema fuzzer found gets a clear
4xx with a stable code, with DEBUG on (demo) and off (production); the OpenAPI file
documents the error answers and the formats."""

from __future__ import annotations

import datetime as dt
import json
import secrets

import pytest
from django.test import Client
from django.utils import timezone

from tongban.accounts.auth import hash_token
from tongban.accounts.models import ApiToken
from tongban.api import api as ninja_api
from tongban.consultations.models import Consultation
from tongban.core.inputs import MAX_OFFSET, model_max_length, parse_month
from tongban.ratings.models import MonthlySummary

OFFSET_OVERFLOW = "99999999999999999999"


@pytest.fixture(params=[True, False], ids=["demo-debug", "production"])
def debug(request, settings):
    """The Ninja default handler answers 500 with a traceback in DEBUG and lets Django
    answer in production: every refusal below must be the same in both."""
    settings.DEBUG = request.param
    return request.param


def _headers(user) -> dict[str, str]:
    key = secrets.token_urlsafe(32)
    ApiToken.objects.create(
        user=user, key_hash=hash_token(key), expires_at=timezone.now() + dt.timedelta(hours=1)
    )
    return {"Authorization": f"Bearer {key}"}


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code, body
    assert set(body) <= {"code", "message", "details"}
    return body


def _post(client: Client, path: str, body, headers: dict[str, str], **extra):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(
        f"/api/v1{path}", data, content_type="application/json", headers=headers, **extra
    )


# -- NUL bytes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/consultations?q=%00",
        "/api/v1/items?q=a%00b",
        "/api/v1/ratings?jurisdiction=%00",
        "/api/v1/licences/abc%00/verify",
        "/api/v1/stats/cases?item=%00",
        "/api/v1/jurisdictions/421102%00",
    ],
)
def test_nul_in_an_api_url_is_400_invalid_query(world, debug, path):
    headers = _headers(world.user("platform-admin"))
    _error(Client().get(path, headers=headers), 400, "invalid_query")


def test_nul_in_an_api_url_is_400_even_without_a_token(world):
    _error(Client().get("/api/v1/items?q=%00"), 400, "invalid_query")


@pytest.mark.parametrize(
    "path", ["/consultations/?q=%00", "/cases/?item=%00", "/login/?next=%00", "/static/a%00.css"]
)
def test_nul_in_a_web_query_string_is_400_not_500(world, debug, path):
    client = Client()
    client.force_login(world.user("421102-officer"))
    assert client.get(path).status_code == 400


def test_nul_in_a_json_string_is_422_with_the_field(world, debug):
    headers = _headers(world.user("420100Z01-clerk"))
    body = {"jurisdiction": "420100Z01", "channel": "window", "topic": "a\x00b", "question": "?"}
    error = _error(_post(Client(), "/consultations", body, headers), 422, "invalid_input")
    assert error["details"]["errors"][0]["loc"][-1] == "topic"
    assert error["details"]["errors"][0]["type"] == "nul_character"
    assert not Consultation.objects.exists()


def test_nul_or_surrogate_inside_free_form_json_is_422(world, debug):
    """Licence data is free-form: the JSON parser scans every key and value."""
    for raw in ('{"licence_id": "x", "data": {"k\\u0000": 1}}', '{"licence_id": "\\udc00"}'):
        response = Client().post("/api/v1/licences/verify", raw, content_type="application/json")
        _error(response, 422, "invalid_input")


# -- lengths and non-empty strings -------------------------------------------------------


def test_topic_longer_than_its_column_is_422_and_at_the_limit_is_accepted(world):
    limit = model_max_length(Consultation, "topic")
    headers = _headers(world.user("420100Z01-clerk"))
    body = {"jurisdiction": "420100Z01", "channel": "window", "question": "问"}
    too_long = _post(Client(), "/consultations", {**body, "topic": "题" * (limit + 1)}, headers)
    assert _error(too_long, 422, "invalid_input")["details"]["errors"][0]["type"] == (
        "string_too_long"
    )
    at_limit = _post(Client(), "/consultations", {**body, "topic": "题" * limit}, headers)
    assert at_limit.status_code == 201, at_limit.content


@pytest.mark.parametrize("topic", ["", "   "])
def test_required_strings_must_not_be_empty(world, topic):
    headers = _headers(world.user("420100Z01-clerk"))
    body = {"jurisdiction": "420100Z01", "channel": "window", "topic": topic, "question": "?"}
    _error(_post(Client(), "/consultations", body, headers), 422, "invalid_input")


def test_asker_phone_over_20_is_422(world):
    headers = _headers(world.user("420100Z01-clerk"))
    body = {
        "jurisdiction": "420100Z01",
        "channel": "hotline",
        "topic": "t",
        "question": "q",
        "asker_phone": "1" * 21,
    }
    _error(_post(Client(), "/consultations", body, headers), 422, "invalid_input")


# -- integers: offsets, limits, ids ------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/ratings?offset={OFFSET_OVERFLOW}",
        f"/api/v1/ratings/rectifications?offset={OFFSET_OVERFLOW}",
        f"/api/v1/consultations?offset={OFFSET_OVERFLOW}",
        f"/api/v1/licences?offset={OFFSET_OVERFLOW}",
        f"/api/v1/items?offset={OFFSET_OVERFLOW}",
        f"/api/v1/agreements?offset={OFFSET_OVERFLOW}",
        f"/api/v1/consultations?offset={MAX_OFFSET + 1}",
        "/api/v1/consultations?limit=0",
        "/api/v1/consultations?limit=201",
        f"/api/v1/stats/cases?agreement={OFFSET_OVERFLOW}",
        f"/api/v1/agreements/X?version={OFFSET_OVERFLOW}",
        f"/api/v1/ratings/{OFFSET_OVERFLOW}",
        f"/api/v1/consultations/{OFFSET_OVERFLOW}",
    ],
)
def test_out_of_range_integers_are_422(world, debug, path):
    headers = _headers(world.user("platform-admin"))
    _error(Client().get(path, headers=headers), 422, "invalid_input")


def test_the_largest_offset_is_accepted(world):
    headers = _headers(world.user("platform-admin"))
    response = Client().get(f"/api/v1/consultations?offset={MAX_OFFSET}", headers=headers)
    assert response.status_code == 200
    assert response.json()["items"] == []


# -- months ------------------------------------------------------------------------------


@pytest.mark.parametrize("month", ["", "2024-13", "2024-1", "0000-01", "2024-05-01", "x"])
def test_publishing_a_summary_needs_a_yyyy_mm_month(world, debug, month):
    headers = _headers(world.user("platform-admin"))
    response = _post(Client(), "/ratings/summaries", {"month": month}, headers)
    _error(response, 422, "invalid_input")
    assert not MonthlySummary.objects.exists()


def test_a_good_month_publishes(world):
    headers = _headers(world.user("platform-admin"))
    response = _post(Client(), "/ratings/summaries", {"month": "2024-05"}, headers)
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("path", ["/api/v1/ratings/summaries", "/api/v1/stats/cases"])
def test_month_filters_are_checked_too(world, path):
    headers = _headers(world.user("platform-admin"))
    param = "month" if "ratings" in path else "from_month"
    _error(Client().get(f"{path}?{param}=2024-00", headers=headers), 422, "invalid_input")


def test_parse_month_is_the_one_rule_for_pages():
    assert parse_month("2024-05") == dt.date(2024, 5, 1)
    assert parse_month("") is None
    for bad in ("2024-13", "24-05", "2024-05\x00"):
        with pytest.raises(Exception) as refused:
            parse_month(bad)
        assert getattr(refused.value, "code", None) == "invalid_month"


# -- request bodies ----------------------------------------------------------------------


def test_multipart_without_boundary_is_400(world, debug):
    response = Client().post(
        "/api/v1/licences/verify", b"--x\r\n", content_type="multipart/form-data"
    )
    _error(response, 400, "malformed_multipart")


def test_multipart_without_boundary_on_a_web_page_is_400(world, debug):
    client = Client()
    client.force_login(world.user("420100Z01-clerk"))
    response = client.post("/consultations/new/", b"--x\r\n", content_type="multipart/form-data")
    assert response.status_code == 400


def test_a_body_over_the_limit_is_413(world, debug, settings):
    headers = _headers(world.user("420100Z01-clerk"))
    body = json.dumps({"topic": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)})
    error = _error(_post(Client(), "/consultations", body, headers), 413, "request_too_large")
    assert error["details"]["max_bytes"] == settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert not Consultation.objects.exists()


def test_a_body_over_the_limit_on_a_web_page_is_413(world, debug, settings):
    client = Client()
    client.force_login(world.user("420100Z01-clerk"))
    body = "topic=" + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)
    response = client.post(
        "/consultations/new/", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413


def test_a_body_that_is_not_json_is_400_malformed_body(world, debug):
    headers = _headers(world.user("420100Z01-clerk"))
    _error(_post(Client(), "/consultations", "{nope", headers), 400, "malformed_body")


def test_unknown_api_urls_answer_json_404(world, debug):
    _error(Client().get("/api/v1/ratings/-1"), 404, "not_found")
    _error(Client().post("/api/v1/no/such/thing"), 404, "not_found")


def test_bad_input_from_a_stranger_is_401_first(world):
    body = {"jurisdiction": "x" * 500, "channel": "", "topic": "", "question": ""}
    _error(_post(Client(), "/consultations", body, {}), 401, "not_authenticated")


# -- the OpenAPI file ----------------------------------------------------------------------


def test_every_operation_documents_its_errors_with_the_one_error_shape():
    schema = ninja_api.get_openapi_schema(path_prefix="/api")
    assert "ErrorOut" in schema["components"]["schemas"]
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            for status in ("400", "404", "422", "429"):
                assert status in responses, (method, path, status)
            if operation.get("security"):
                assert {"401", "403"} <= set(responses), (method, path)
            if "requestBody" in operation:
                assert "413" in responses, (method, path)
            for status, answer in responses.items():
                if int(status) >= 400:
                    ref = answer["content"]["application/json"]["schema"]["$ref"]
                    assert ref == "#/components/schemas/ErrorOut"


def test_the_openapi_file_documents_formats_and_lengths():
    schema = ninja_api.get_openapi_schema(path_prefix="/api")
    components = schema["components"]["schemas"]
    publish = components["PublishIn"]["properties"]["month"]
    assert publish["pattern"] == "^[1-9][0-9]{3}-(0[1-9]|1[0-2])$"
    applicant = components["ApplicantIn"]["properties"]
    assert applicant["name"]["maxLength"] == 128 and applicant["name"]["minLength"] == 1
    assert applicant["phone"]["maxLength"] == 20
    assert applicant["address"]["maxLength"] == 255
    assert "\\u0000" in applicant["name"]["pattern"]
    parameters = schema["paths"]["/api/v1/consultations"]["get"]["parameters"]
    offset = next(p for p in parameters if p["name"] == "offset")["schema"]
    assert offset["maximum"] == MAX_OFFSET and offset["minimum"] == 0


# -- web forms ask the same contracts ---------------------------------------------------------


def test_nul_in_a_web_form_field_is_refused_before_any_view(world, debug):
    client = Client()
    client.force_login(world.user("420100Z01-clerk"))
    response = client.post(
        "/consultations/new/",
        "jurisdiction=420100Z01&channel=window&topic=a%00b&question=q",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 422
    assert not Consultation.objects.exists()


def test_web_case_forms_check_the_api_contract():
    from django.http import QueryDict

    from tongban.core.errors import Invalid
    from tongban.web.forms import action_input, applicant_input

    with pytest.raises(Invalid) as too_long:
        applicant_input(QueryDict("applicant_kind=person&applicant_name=" + "名" * 129))
    assert too_long.value.code == "invalid_input"
    assert too_long.value.details["errors"][0]["loc"] == ["name"]
    with pytest.raises(Invalid) as carrier:
        action_input(QueryDict("carrier=" + "c" * 65))
    assert carrier.value.code == "invalid_input"
    assert applicant_input(QueryDict("applicant_name=" + "名" * 128)).name == "名" * 128


@pytest.mark.parametrize(
    "path",
    [
        f"/cases/?ordering=due&page={OFFSET_OVERFLOW}",
        f"/consultations/?page={OFFSET_OVERFLOW}",
        f"/ratings/tasks/?page={OFFSET_OVERFLOW}",
        "/ratings/summaries/?month=2024-13",
    ],
)
def test_huge_page_numbers_and_bad_months_on_web_pages_are_not_500(world, path):
    client = Client()
    client.force_login(world.user("platform-admin"))
    assert client.get(path).status_code < 500


def test_web_submission_parts_check_the_api_contract():
    from django.http import QueryDict

    from tongban.core.errors import Invalid
    from tongban.web.forms import delivery_address, submission_token

    with pytest.raises(Invalid) as too_long:
        delivery_address(QueryDict("delivery_address=" + "址" * 256))
    assert too_long.value.details["errors"][0]["type"] == "string_too_long"
    assert delivery_address(QueryDict("delivery_address=" + "址" * 255)) == "址" * 255
    assert submission_token(QueryDict("token=t-1")) == "t-1"
    fresh = submission_token(QueryDict("token=" + "t" * 65))
    assert len(fresh) == 32 and fresh != "t" * 65
