"""Static files on slow links (issue 15 §8, ADR 0126): collectstatic with the production
storage gives every file a content-hashed name with gzip and brotli copies, pages link the
hashed names, and WhiteNoise serves them compressed and cacheable for a year."""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from typing import Any

import brotli
import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.test import Client, override_settings

SOURCE = Path(__file__).resolve().parents[1] / "static"
YEAR = 365 * 24 * 3600


def production_storage() -> dict[str, Any]:
    from tongban import settings as project_settings

    return project_settings.STORAGES


@pytest.fixture(scope="module")
def collected_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The production storage of settings.py, collected once into a temporary STATIC_ROOT.
    Django admin's and django-ninja's files are left out: they are third-party, unchanged,
    and compressing them is most of collectstatic's time."""
    root = tmp_path_factory.mktemp("static")
    with override_settings(STORAGES=production_storage(), STATIC_ROOT=root, DEBUG=False):
        call_command(
            "collectstatic", interactive=False, verbosity=0, ignore_patterns=["admin", "ninja"]
        )
    return root


@pytest.fixture
def collected(settings: Any, collected_root: Path) -> Path:
    settings.STORAGES = production_storage()
    settings.STATIC_ROOT = collected_root
    settings.DEBUG = False
    return collected_root


def body_of(response: Any) -> bytes:
    """WhiteNoise answers with a streamed file."""
    return b"".join(response.streaming_content)


def cache_seconds(response: Any) -> int:
    match = re.search(r"max-age=(\d+)", response["Cache-Control"])
    assert match, response["Cache-Control"]
    return int(match.group(1))


def test_production_storage_is_whitenoise_compressed_manifest() -> None:
    backend = production_storage()["staticfiles"]["BACKEND"]
    assert backend == "whitenoise.storage.CompressedManifestStaticFilesStorage"


def test_hashed_asset_is_immutable_for_a_year_and_served_compressed(collected: Path) -> None:
    url = staticfiles_storage.url("web/tongban.css")
    assert re.fullmatch(r"/static/web/tongban\.[0-9a-f]{12}\.css", url), url
    original = (SOURCE / "web" / "tongban.css").read_bytes()
    # the collected copy may differ from the source only where url() references were hashed
    hashed_file = collected / url.removeprefix("/static/")
    assert (hashed_file.parent / (hashed_file.name + ".gz")).exists()
    assert (hashed_file.parent / (hashed_file.name + ".br")).exists()

    client = Client()
    plain = client.get(url)
    assert plain.status_code == 200
    assert "Content-Encoding" not in plain
    assert body_of(plain) == hashed_file.read_bytes()
    assert "immutable" in plain["Cache-Control"]
    assert cache_seconds(plain) >= YEAR

    zipped = client.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert zipped.status_code == 200
    assert zipped["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped["Vary"]
    assert "immutable" in zipped["Cache-Control"]
    body = body_of(zipped)
    assert len(body) < len(original) / 2
    assert gzip.decompress(body) == hashed_file.read_bytes()

    squeezed = client.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert squeezed["Content-Encoding"] == "br"
    assert brotli.decompress(body_of(squeezed)) == hashed_file.read_bytes()


def test_unhashed_name_is_not_cached_for_long(collected: Path) -> None:
    """Someone who links the plain name (no hash) must see a new version soon."""
    response = Client().get("/static/web/tongban.css")
    assert response.status_code == 200
    assert "immutable" not in response["Cache-Control"]
    assert cache_seconds(response) <= 600


def test_pages_link_the_hashed_names(collected: Path, db: Any) -> None:
    page = Client().get("/login/").content.decode()
    assert re.search(r'/static/web/tongban\.[0-9a-f]{12}\.css"', page)
    assert re.search(r'/static/web/tongban\.[0-9a-f]{12}\.js"', page)
    # nothing in the page points at an unhashed static file
    for link in re.findall(r'(?:href|src)="(/static/[^"]+)"', page):
        assert re.search(r"\.[0-9a-f]{12}\.\w+$", link), link


def test_templates_use_the_static_tag_everywhere() -> None:
    """A hard-coded /static/ path would skip the hashed name (and its year-long cache)."""
    templates = Path(__file__).resolve().parents[2]
    offenders = [
        str(path.relative_to(templates))
        for path in templates.rglob("templates/**/*.html")
        if "/static/" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
