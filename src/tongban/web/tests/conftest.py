"""Fixtures of the web tests: a fixed "today", the test PKI (issue_result of a licence
item signs an e-licence), uploads in a temporary directory, a self-service terminal, and
helpers that set cases up through the real actions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tongban.cases.actions import (
    ActionInput,
    MaterialInput,
    SubmitInput,
    submit_case,
)
from tongban.cases.actions import perform_case_action as act
from tongban.centres.models import Window
from tongban.testing.cases import company_submission_input

# a Friday inside the packaged calendar's range (see cases/tests/conftest.py)
TODAY = dt.date(2024, 9, 27)

PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81"
    b"\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)


def pdf_upload(name: str = "scan.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def fake_pdf_upload(name: str = "notes.pdf") -> SimpleUploadedFile:
    """A text file wearing a .pdf name and a PDF content type."""
    return SimpleUploadedFile(name, b"just some text, not a PDF\n", content_type="application/pdf")


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> dt.date:
    monkeypatch.setattr("tongban.cases.deadlines.local_today", lambda: TODAY)
    return TODAY


@pytest.fixture(scope="session")
def pki_files(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return tmp_path_factory.mktemp("pki")


@pytest.fixture
def pki(world: Any, settings: Any, pki_files: Any) -> Any:
    from tongban.testing.licences import use_test_pki

    return use_test_pki(settings, pki_files)


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def web(world: Any, today: dt.date, pki: Any) -> Any:
    """`web("421102-clerk")` → a test client logged in as that user (None: anonymous)."""

    def make(username: str | None) -> Client:
        client = Client()
        if username:
            client.force_login(world.user(username))
        return client

    return make


@pytest.fixture
def terminal(world: Any) -> Window:
    """A self-service terminal in 黄州's service centre."""
    return Window.objects.create(
        centre=world.windows["421102"].centre, code="T01", name="自助终端", kind="terminal"
    )


def company_input(
    world: Any,
    receiving: str | None = "421102",
    handling: str = "420100Z01",
    missing: tuple[int, ...] = (),
    **overrides: Any,
) -> SubmitInput:
    data = company_submission_input(
        world.implementations[("company", handling)],
        world.applicants["enterprise"],
        receiving=receiving,
        missing=missing,
    )
    for key, value in overrides.items():
        setattr(data, key, value)
    return data


def proxy_case(world: Any, receiving: str = "421102", handling: str = "420100Z01", **kw: Any):
    """A company registration received at `receiving` for `handling` by its clerk."""
    return submit_case(
        world.user(f"{receiving}-clerk"), company_input(world, receiving, handling, **kw)
    )


def online_case(world: Any, username: str = "applicant-1", handling: str = "420100Z01"):
    impl = world.implementations[("company", handling)]
    return submit_case(
        world.user(username),
        SubmitInput(
            item="ITEM-COMPANY",
            handling=handling,
            mode="online",
            channel="web",
            delivery_method="electronic",
            materials=[MaterialInput(material_id=m.pk) for m in impl.materials.all()],
        ),
    )


def advance(world: Any, number: str, *steps: tuple[str, str, dict[str, Any]]) -> None:
    for username, action, fields in steps:
        act(world.user(username), number, action, ActionInput(**fields))
