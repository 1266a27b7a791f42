"""Production mode refuses unsafe settings; checked in a fresh interpreter because
settings are read once at import."""

from __future__ import annotations

import base64
import os
import subprocess
import sys

import pytest

from tongban.core.crypto import DEMO_DATA_KEYS

GOOD = {
    "TONGBAN_PRODUCTION": "1",
    "TONGBAN_DEBUG": "0",
    "TONGBAN_SECRET_KEY": "x" * 50,
    "TONGBAN_ALLOWED_HOSTS": "tongban.example.gov.cn",
    "TONGBAN_PKI_PASSPHRASE": "p" * 40,
    # 16-byte SM4 key and 32-byte HMAC-SM3 key, base64 (ADR 0098)
    "TONGBAN_DATA_KEYS": "k2026:" + base64.b64encode(b"k" * 16).decode(),
    "TONGBAN_BLIND_INDEX_KEY": base64.b64encode(b"b" * 32).decode(),
}


def _load_settings(
    env: dict[str, str], code: str = "import django; django.setup(); print('started')"
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TONGBAN_")}
    clean.update(env)
    clean["DJANGO_SETTINGS_MODULE"] = "tongban.settings"
    return subprocess.run(
        [sys.executable, "-c", code],
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
        ({"TONGBAN_DATA_KEYS": None}, "set TONGBAN_DATA_KEYS"),
        (
            {"TONGBAN_DATA_KEYS": f"old:{base64.b64encode(b'k' * 16).decode()},{DEMO_DATA_KEYS}"},
            "set TONGBAN_DATA_KEYS",
        ),
        ({"TONGBAN_BLIND_INDEX_KEY": None}, "set TONGBAN_BLIND_INDEX_KEY"),
        # the federation clock offset only plays a skewed node in tests (ADR 0135)
        ({"TONGBAN_FEDERATION_CLOCK_OFFSET_SECONDS": "-600"}, "CLOCK_OFFSET_SECONDS"),
    ],
)
def test_production_refuses_unsafe_settings(change, complaint):
    env = dict(GOOD)
    env.update(change)
    if change.get("TONGBAN_SECRET_KEY") == "":
        del env["TONGBAN_SECRET_KEY"]
    for name, value in change.items():
        if value is None:
            del env[name]
    result = _load_settings(env)
    assert result.returncode != 0
    assert "Refusing to start in production" in result.stderr
    assert complaint in result.stderr


def _print_settings(env: dict[str, str], *names: str) -> list[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TONGBAN_")}
    clean.update(env)
    clean["DJANGO_SETTINGS_MODULE"] = "tongban.settings"
    code = "import django; django.setup(); from django.conf import settings; " + "; ".join(
        f"print(repr(getattr(settings, {n!r}, None)))" for n in names
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=clean, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_the_demo_runs_with_debug_off():
    assert _print_settings({"TONGBAN_DEMO": "1"}, "DEBUG") == ["False"]
    # a developer's own machine keeps DEBUG unless told otherwise
    assert _print_settings({}, "DEBUG") == ["True"]
    assert _print_settings({"TONGBAN_DEMO": "1", "TONGBAN_DEBUG": "1"}, "DEBUG") == ["True"]


def test_production_sends_hsts_and_secure_cookies():
    values = _print_settings(
        GOOD,
        "SECURE_HSTS_SECONDS",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_SSL_REDIRECT",
        "SECURE_PROXY_SSL_HEADER",
    )
    assert values == [
        str(365 * 24 * 3600),
        "True",
        "True",
        "True",
        "('HTTP_X_FORWARDED_PROTO', 'https')",
    ]


def test_development_sends_no_hsts():
    # HSTS on http://127.0.0.1 would pin a developer's browser to HTTPS for a year
    assert _print_settings({}, "SECURE_HSTS_SECONDS") == ["0"]


def test_counters_and_caches_are_never_per_process():
    for env in ({}, GOOD, {"TONGBAN_DEMO": "1"}):
        (caches,) = _print_settings(env, "CACHES")
        assert "DatabaseCache" in caches and "LocMem" not in caches
    (caches,) = _print_settings({"TONGBAN_REDIS_URL": "redis://127.0.0.1:6379/1"}, "CACHES")
    assert "RedisCache" in caches
    (handler,) = _print_settings({}, "AXES_HANDLER")
    assert handler == "'axes.handlers.database.AxesDatabaseHandler'"


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"TONGBAN_DATA_KEYS": "k1:" + base64.b64encode(b"short").decode()}, "16 bytes"),
        ({"TONGBAN_DATA_KEYS": "k1:not base64!"}, "not valid base64"),
        ({"TONGBAN_DATA_KEYS": "bad id!:" + base64.b64encode(b"k" * 16).decode()}, "id:base64key"),
        ({"TONGBAN_DATA_KEYS": " , "}, "names no key"),
        ({"TONGBAN_BLIND_INDEX_KEY": base64.b64encode(b"b" * 16).decode()}, "at least 32 bytes"),
    ],
)
@pytest.mark.parametrize("production", ["1", "0"])
def test_malformed_data_keys_stop_every_process_at_start(change, complaint, production):
    env = dict(GOOD, TONGBAN_PRODUCTION=production)
    env.update(change)
    result = _load_settings(env)
    assert result.returncode != 0
    assert complaint in result.stderr


@pytest.mark.parametrize(
    ("env", "young"), [({}, "50000"), ({"TONGBAN_GC_YOUNG_THRESHOLD": "700"}, "700")]
)
def test_the_web_worker_sets_the_collectors_young_threshold(env, young):
    """ADR 0153: the WSGI module a gunicorn worker imports sets the young pass's threshold
    from the settings (50,000 unless the operator says otherwise)."""
    done = _load_settings(env, "import gc, tongban.wsgi; print(gc.get_threshold()[0])")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-1] == young


@pytest.mark.parametrize("value", ["0", "-1"])
def test_a_collector_threshold_that_is_no_tuning_stops_the_start(value):
    done = _load_settings({"TONGBAN_GC_YOUNG_THRESHOLD": value})
    assert done.returncode != 0
    assert "TONGBAN_GC_YOUNG_THRESHOLD must be a positive number" in done.stderr
