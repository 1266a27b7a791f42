"""Production mode refuses unsafe settings; checked in a fresh interpreter because
settings are read once at import."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

GOOD = {
    "TONGBAN_PRODUCTION": "1",
    "TONGBAN_DEBUG": "0",
    "TONGBAN_SECRET_KEY": "x" * 50,
    "TONGBAN_ALLOWED_HOSTS": "tongban.example.gov.cn",
    "TONGBAN_PKI_PASSPHRASE": "p" * 40,
}


def _load_settings(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TONGBAN_")}
    clean.update(env)
    clean["DJANGO_SETTINGS_MODULE"] = "tongban.settings"
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_starts_with_safe_settings():
    result = _load_settings(GOOD)
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"TONGBAN_DEBUG": "1"}, "TONGBAN_DEBUG must be off"),
        ({"TONGBAN_SECRET_KEY": ""}, "TONGBAN_SECRET_KEY"),
        ({"TONGBAN_ALLOWED_HOSTS": ""}, "TONGBAN_ALLOWED_HOSTS"),
        ({"TONGBAN_DEMO": "1"}, "TONGBAN_DEMO must be off"),
    ],
)
def test_production_refuses_unsafe_settings(change, complaint):
    env = dict(GOOD)
    env.update(change)
    if change.get("TONGBAN_SECRET_KEY") == "":
        del env["TONGBAN_SECRET_KEY"]
    result = _load_settings(env)
    assert result.returncode != 0
    assert "Refusing to start in production" in result.stderr
    assert complaint in result.stderr
