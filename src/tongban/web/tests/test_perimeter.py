"""The perimeter of the web workbench and the API (issue 9, ADR 0091, docs/security.md):
Content-Security-Policy on every page, every browser asset from this host (Swagger UI
included), no inline script or style, error pages that show a reference and nothing else,
look-ups and registration that do not tell whether an ID number exists."""

from __future__ import annotations

import logging
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client

from tongban.web.tests.conftest import online_case, proxy_case

# (user, path): a page of every kind and every role
PAGES = [
    (None, "/"),
    (None, "/login/"),
    (None, "/register/"),
    (None, "/lookup/"),
    (None, "/verify/"),
    (None, "/api/docs"),
    (None, "/admin/login/"),
    ("applicant-1", "/my/"),
    ("applicant-1", "/my/apply/"),
    ("applicant-1", "/my/apply/ITEM-COMPANY/420100Z01/"),
    ("applicant-1", "/ratings/my/"),
    ("421102-clerk", "/clerk/"),
    ("421102-clerk", "/delivery/"),
    ("421102-clerk", "/consultations/"),
    ("420100Z01-officer", "/queue/"),
    ("421102-supervisor", "/overview/"),
    ("421102-supervisor", "/stats/"),
]


class _Assets(HTMLParser):
    """Every URL the browser fetches by itself while showing the page, plus inline code."""

    def __init__(self) -> None:
        super().__init__()
        self.fetched: list[str] = []
        self.inline_scripts = 0
        self.style_attributes = 0
        self.style_elements = 0
        self.handlers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "script":
            if values.get("src"):
                self.fetched.append(values["src"])
            elif values.get("type") != "application/json":
                self.inline_scripts += 1
        if tag in {"img", "iframe", "embed", "source", "audio", "video"} and values.get("src"):
            self.fetched.append(values["src"])
        if tag == "link" and values.get("href"):
            self.fetched.append(values["href"])
        if tag == "object" and values.get("data"):
            self.fetched.append(values["data"])
        if tag == "style":
            self.style_elements += 1
        if "style" in values:
            self.style_attributes += 1
        self.handlers += [k for k in values if k.startswith("on")]


def _parse(html: str) -> _Assets:
    parser = _Assets()
    parser.feed(html)
    return parser


def _client(world: Any, username: str | None) -> Client:
    client = Client()
    if username:
        client.force_login(world.user(username))
    return client


def _csp(response: Any) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


@pytest.mark.parametrize(("username", "path"), PAGES)
def test_every_page_has_a_strict_csp_and_fetches_only_from_this_host(web, world, username, path):
    response = _client(world, username).get(path)
    assert response.status_code == 200, (path, response.status_code)
    csp = _csp(response)
    assert csp["script-src"] == ["'self'"]
    assert csp["default-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"]
    assert not any("unsafe" in word for words in csp.values() for word in words)
    html = response.content.decode()
    assets = _parse(html)
    assert assets.fetched, path
    for url in assets.fetched:
        parts = urlsplit(url)
        assert not parts.netloc and parts.scheme in {"", "data"}, (path, url)
    assert assets.inline_scripts == 0, path
    assert not assets.handlers, (path, assets.handlers)
    if not path.startswith("/admin/"):  # Django's admin is not ours to restyle
        assert assets.style_attributes == 0 and assets.style_elements == 0, path
    # a URL naming a CDN anywhere (a link, a preload hint, a comment); the bare word is not
    # enough, since a random CSRF token may contain "cdn"
    assert not re.search(r"(?://|\.)[\w.-]*cdn[\w.-]*\.[a-z]", html.lower()), path


def test_case_pages_fetch_only_from_this_host(web, world):
    case = proxy_case(world)
    own = online_case(world)
    for username, path in [
        ("421102-clerk", f"/cases/{case.number}/"),
        ("421102-clerk", f"/cases/{case.number}/receipt/"),
        ("applicant-1", f"/cases/{own.number}/"),
    ]:
        response = _client(world, username).get(path)
        assert response.status_code == 200, path
        assets = _parse(response.content.decode())
        assert all(not urlsplit(u).netloc for u in assets.fetched), path
        assert assets.inline_scripts == 0 and assets.style_attributes == 0, path


def test_swagger_ui_is_served_from_this_host(web, world):
    page = Client().get("/api/docs").content.decode()
    assets = _parse(page)
    assert any(u.endswith("swagger-ui-bundle.js") for u in assets.fetched)
    assert all(u.startswith("/static/") for u in assets.fetched), assets.fetched
    assert not re.search(r"https?://", page)
    assert '"validatorUrl": null' in page  # Swagger UI must not call validator.swagger.io


def test_error_answers_carry_the_csp_too(web, world):
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert _csp(response)["script-src"] == ["'self'"]


# ---------------------------------------------------------------- error pages, DEBUG off


def _boom(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("boom-marker SECRET_KEY=tongban-insecure 420102199005041234")


def test_a_web_500_shows_only_a_reference_that_is_in_the_log(
    web, world, settings, monkeypatch, caplog
):
    settings.DEBUG = False
    monkeypatch.setattr("tongban.web.views.portal.render", _boom)
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.ERROR, logger="tongban.errors"):
        response = client.get("/")
    assert response.status_code == 500
    html = response.content.decode()
    found = re.search(r'class="error-reference">([0-9a-f]{32})<', html)
    assert found is not None, html
    reference = found.group(1)
    assert "服务器内部错误" in html
    for leak in ("boom-marker", "Traceback", "SECRET_KEY", "INSTALLED_APPS", "RuntimeError"):
        assert leak not in html
    record = next(r for r in caplog.records if reference in r.getMessage())
    assert record.exc_info and record.exc_info[0] is RuntimeError


def test_an_api_500_answers_internal_error_with_the_reference(
    web, world, settings, monkeypatch, caplog
):
    from tongban.cases.tests.conftest import ApiClient

    settings.DEBUG = False
    monkeypatch.setattr("tongban.accounts.api.user_out", _boom)
    client = ApiClient(world.user("421102-clerk"))
    with caplog.at_level(logging.ERROR, logger="tongban.errors"):
        response = client.get("/auth/me")
    assert response.status_code == 500
    body = response.json()
    assert body["code"] == "internal_error"
    reference = body["details"]["reference"]
    assert re.fullmatch(r"[0-9a-f]{32}", reference) and reference in body["message"]
    assert "boom-marker" not in response.content.decode()
    assert any(reference in r.getMessage() and r.exc_info for r in caplog.records)


def test_an_api_500_is_json_even_with_debug_on(web, world, settings, monkeypatch):
    """Ninja would answer a plain-text traceback with DEBUG on; ours never does."""
    from tongban.cases.tests.conftest import ApiClient

    settings.DEBUG = True
    monkeypatch.setattr("tongban.accounts.api.user_out", _boom)
    response = ApiClient(world.user("421102-clerk")).get("/auth/me")
    assert response.status_code == 500 and response.json()["code"] == "internal_error"
    assert "Traceback" not in response.content.decode()


def test_a_404_lists_no_urls(web, world, settings):
    settings.DEBUG = False
    response = Client().get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404 and "页面不存在" in html
    for leak in ("URLconf", "admin/", "api/", "tongban.urls", "Using the URLconf"):
        assert leak not in html
    english = Client().get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Page not found" in english


def test_an_api_404_is_json(web, world, settings):
    settings.DEBUG = False
    response = Client().get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# ---------------------------------------------------------------- enumeration


def test_the_public_lookup_answers_the_same_for_a_wrong_number_and_a_wrong_id(web, world):
    case = online_case(world)
    person = world.applicants["person"]
    other = world.applicants["other"]
    answers = [
        Client().post("/lookup/", {"number": number, "identifier": identifier}, REMOTE_ADDR=a)
        for number, identifier, a in [
            (case.number, other.id_number, "10.7.0.1"),  # registered ID, not this case's
            (case.number, "110101199003076375", "10.7.0.2"),  # unregistered ID
            ("420100-20240927-9999", person.id_number, "10.7.0.3"),  # no such case
        ]
    ]
    assert {a.status_code for a in answers} == {404}
    # the same page apart from the echoed form input and the CSRF token
    texts = {
        re.sub(r'(value="[^"]*"|"X-CSRFToken": "[^"]*")', "", a.content.decode()) for a in answers
    }
    assert len(texts) == 1


def test_the_lookup_limit_is_counted_in_the_shared_table(web, world, settings):
    from tongban.core.models import RateLimitCounter

    settings.TONGBAN_LOOKUP_LIMIT = 2
    case = online_case(world)
    for _ in range(2):
        Client().post(
            "/lookup/", {"number": case.number, "identifier": "X"}, REMOTE_ADDR="10.8.0.1"
        )
    # a fresh client (another process would be the same): the count is in the database
    third = Client().post(
        "/lookup/", {"number": case.number, "identifier": "X"}, REMOTE_ADDR="10.8.0.1"
    )
    assert third.status_code == 429 and int(third["Retry-After"]) > 0
    assert RateLimitCounter.objects.filter(count__gte=3).count() == 2  # address and case
    assert not RateLimitCounter.objects.filter(key__contains=case.number).exists()


def test_registration_is_rate_limited_per_address(web, world, settings):
    import datetime as dt

    from tongban.accounts.identifiers import make_id_number

    settings.TONGBAN_REGISTER_LIMIT = 2
    statuses = []
    for i in range(3):
        form = {
            "username": f"probe{i}",
            "name": "张三",
            "id_number": make_id_number("420102", dt.date(1990, 5, 4), 20 + i),
            "password": "a-long-password-9",
            "password2": "a-long-password-9",
        }
        statuses.append(Client().post("/register/", form, REMOTE_ADDR="10.9.0.1").status_code)
    assert statuses == [302, 302, 429]
    form["username"] = "probe9"
    assert Client().post("/register/", form, REMOTE_ADDR="10.9.0.2").status_code == 302


def test_the_api_applicant_lookup_does_not_disclose_to_non_staff(web, world):
    from tongban.cases.tests.conftest import ApiClient

    registered = world.applicants["other"].id_number
    unknown = "110101199003076375"
    applicant = ApiClient(world.user("applicant-1"))
    answers = [
        applicant.post("/applicants/lookup", {"identifier": i}) for i in (registered, unknown)
    ]
    assert [a.status_code for a in answers] == [404, 404]
    assert answers[0].json() == answers[1].json()
    anonymous = ApiClient(None).post("/applicants/lookup", {"identifier": registered})
    assert anonymous.status_code == 401
