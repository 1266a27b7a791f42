"""Issue 9.4: logs hold no personal data. A demo walk through a real `tongban serve`
(gunicorn, its access log) and through the in-process Django stack, with every log handler
captured; then the captured text is searched for the demo's ID and phone numbers."""

from __future__ import annotations

import io
import logging
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from tongban.accounts.models import Applicant, User
from tongban.catalog.models import ItemImplementation
from tongban.core.masking import MaskPersonalDataFilter, mask_url

pytestmark = pytest.mark.django_db(transaction=True)

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def test_mask_url_sees_through_percent_encoding():
    assert mask_url("GET /x?identifier=%20421102199705200174 HTTP/1.1") == (
        "GET /x?identifier= 421***********0174 HTTP/1.1"
    )
    assert mask_url("/x?phone=13800000011&q=%E5%BC%A0") == "/x?phone=138****0011&q=张"
    assert mask_url("/queue/?status=accepted") == "/queue/?status=accepted"


def test_every_configured_handler_masks():
    """A handler without the mask (Django's own defaults for "django" and "django.server"
    had one) would write whatever reaches it."""
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    for logger in loggers:
        for handler in logger.handlers:
            if type(handler).__module__.startswith("_pytest"):
                continue  # pytest's own capture, not part of the configuration
            if isinstance(handler, logging.NullHandler):
                continue  # libraries' (urllib3...) default: discards every record
            assert any(isinstance(f, MaskPersonalDataFilter) for f in handler.filters), (
                logger.name,
                handler,
            )


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    """Every stream handler of every logger writes into one buffer for the test."""
    buffer = io.StringIO()
    swapped: list[tuple[logging.StreamHandler[Any], Any]] = []
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    for logger in loggers:
        for handler in logger.handlers:
            if type(handler) is logging.StreamHandler:
                swapped.append((handler, handler.setStream(buffer)))
    previous = logging.getLogger().level
    logging.getLogger().setLevel(logging.INFO)
    try:
        yield buffer
    finally:
        logging.getLogger().setLevel(previous)
        for handler, stream in swapped:
            handler.setStream(stream)


def _database_url() -> str | None:
    """The test database, for the server subprocess (None: an in-memory SQLite)."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(s["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            return None
        return f"sqlite:///{Path(name).resolve()}"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    host = f"{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
    return f"postgres://{s['USER']}{password}@{host}/{s['NAME']}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`tongban serve` (gunicorn, one worker) on a random port against the test database;
    its stdout and stderr (access log and application log) go to a file."""
    url = _database_url()
    if url is None:
        pytest.skip("the server subprocess needs a file database: set TONGBAN_SQLITE_TEST_NAME")
    port = _free_port()
    log = tmp_path / "serve.log"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "TONGBAN_BIND": f"127.0.0.1:{port}",
        "TONGBAN_WORKERS": "1",
        "TONGBAN_THREADS": "2",
        "TONGBAN_DB_CONN_MAX_AGE": "0",
        "TONGBAN_LOG_LEVEL": "DEBUG",
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "tongban.cli", "serve"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/login/", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"tongban serve did not start:\n{log.read_text()}")
            time.sleep(0.3)
        yield base, log
    finally:
        process.terminate()
        process.wait(timeout=30)


def _sign_in(client: httpx.Client, username: str) -> None:
    form = client.get("/login/")
    token = CSRF_INPUT.search(form.text)
    assert token is not None
    response = client.post(
        "/login/",
        data={
            "username": username,
            "password": "tongban-demo",
            "csrfmiddlewaretoken": token.group(1),
        },
        headers={"Referer": str(client.base_url) + "/login/"},
    )
    assert response.status_code == 302, response.text[:500]


def _api_token(client: httpx.Client, username: str) -> dict[str, str]:
    response = client.post(
        "/api/v1/auth/token", json={"username": username, "password": "tongban-demo"}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _walk(client: Any, person: Applicant, enterprise: Applicant) -> None:
    """The same requests over HTTP (httpx against gunicorn) or in process (Django's Client):
    the look-ups as they are now, and the old URLs with the numbers in the query string,
    which must be refused and must still not leak through the access log."""
    post = client.post
    clerk = _api_token(client, "421102-clerk") if isinstance(client, httpx.Client) else None
    assert clerk is not None or isinstance(client, Client)
    headers = clerk or {}
    found = post(
        "/api/v1/applicants/lookup",
        json={"identifier": person.id_number},
        headers=headers,
    )
    assert found.status_code == 200, found.text
    # stale clients and bookmarks: refused, and still masked in every log
    for query in (
        f"identifier={person.id_number}",
        f"identifier=%20{enterprise.agent_id_number}",
        f"phone={person.phone}",
    ):
        assert client.get(f"/api/v1/applicants/lookup?{query}", headers=headers).status_code in (
            401,
            405,
        )
        assert client.get(f"/clerk/identifier/?{query}").status_code in (302, 405)
    impl = ItemImplementation.objects.filter(
        item__code="ITEM-COMPANY", jurisdiction__code="420100Z01", status="published"
    ).first()
    assert impl is not None
    submission = {
        "item": "ITEM-COMPANY",
        "handling": "420100Z01",
        "receiving": "421102",
        "mode": "proxy",
        "channel": "window",
        "delivery_method": "post",
        "delivery_address": "湖北省黄冈市黄州区东门路1号",
        "applicant": {
            "kind": "enterprise",
            "phone": enterprise.phone,
            "name": enterprise.name,
            "uscc": enterprise.uscc,
            "agent_name": enterprise.agent_name,
            "agent_id_number": enterprise.agent_id_number,
        },
        "materials": [
            {"material_id": m.pk, "state": "provided"} for m in impl.materials.order_by("position")
        ],
    }
    opened = post("/api/v1/cases", json=submission, headers=headers)
    assert opened.status_code in (201, 422), opened.text
    if opened.status_code == 201:
        number = opened.json()["number"]
        checked = post(f"/api/v1/cases/{number}/actions/check", json={}, headers=headers)
        assert checked.status_code == 200, checked.text
        assert client.get(f"/api/v1/cases/{number}", headers=headers).status_code == 200


class _DjangoClient(Client):
    """Django's test client with httpx's `json=` keyword, signed in through the session."""

    def post(self, path: str, data: Any = None, json: Any = None, **extra: Any) -> Any:  # type: ignore[override]
        if json is not None:
            return super().post(path, json, content_type="application/json", **extra)
        return super().post(path, data, **extra)


def test_a_demo_walk_leaves_no_id_or_phone_number_in_any_log(settings, captured_logs, server):
    settings.DEMO_MODE = True
    call_command("seed_demo", stdout=io.StringIO())
    person = Applicant.objects.filter(kind=Applicant.Kind.PERSON).exclude(phone="").first()
    enterprise = Applicant.objects.filter(kind=Applicant.Kind.ENTERPRISE).first()
    assert person is not None and enterprise is not None
    secrets = {
        value
        for row in Applicant.objects.values_list("id_number", "agent_id_number", "phone")
        for value in row
        if value
    } | {phone for phone in User.objects.values_list("phone", flat=True) if phone}
    assert person.id_number in secrets and enterprise.agent_id_number in secrets

    base, server_log = server
    with httpx.Client(base_url=base, timeout=60, follow_redirects=False) as http:
        _walk(http, person, enterprise)
        _sign_in(http, "421102-clerk")
        csrf = {"X-CSRFToken": http.cookies.get("csrftoken") or "", "HX-Request": "true"}
        page = http.get("/clerk/cases/new/?item=ITEM-COMPANY&handling=420100Z01&mode=proxy")
        assert page.status_code == 200
        looked_up = http.post(
            "/clerk/applicant/", data={"identifier": person.id_number}, headers=csrf
        )
        assert looked_up.status_code == 200 and f'value="{person.pk}"' in looked_up.text
        checked = http.post(
            "/clerk/identifier/", data={"id_number": person.id_number}, headers=csrf
        )
        assert checked.status_code == 200

    web = _DjangoClient()
    web.force_login(User.objects.get(username="421102-clerk"))
    _walk(web, person, enterprise)
    assert web.post("/clerk/applicant/", {"identifier": person.id_number}).status_code == 200

    # let the worker flush its log, then read what it wrote
    time.sleep(0.5)
    served = server_log.read_text(encoding="utf-8", errors="replace")
    in_process = captured_logs.getvalue()
    # the logs were written (the test would pass on empty logs otherwise) and masked
    assert "POST /api/v1/applicants/lookup" in served
    assert "/clerk/identifier/?identifier=" in served and "***" in served
    assert "Method Not Allowed" in in_process
    for secret in sorted(secrets):
        assert secret not in served, f"{secret[:3]}… in the server log"
        assert secret not in in_process, f"{secret[:3]}… in the application log"
