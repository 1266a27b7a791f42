"""The `tongban` console command: Django's management commands under friendlier names.

`tongban seed-demo` is `manage.py seed_demo`; `tongban serve` starts gunicorn (gthread
workers: the sync ORM under an ASGI server measured eight times slower on our hardware).
"""

from __future__ import annotations

import os
import sys


def _binds_given(argv: list[str]) -> bool:
    """Whether the caller names an address: gunicorn's `--bind` appends, so a default
    passed as well would make the server listen on both (issue 15)."""
    return any(arg.startswith(("-b", "--bind")) for arg in argv)


def gunicorn_argv(argv: list[str]) -> list[str]:
    """The gunicorn command line for `tongban serve ARGV` (separate so a test can read it)."""
    default = ["--bind", os.environ.get("TONGBAN_BIND", "127.0.0.1:8000")]
    bind = [] if _binds_given(argv) else default
    workers = os.environ.get("TONGBAN_WORKERS", str(max(2, (os.cpu_count() or 1))))
    threads = os.environ.get("TONGBAN_THREADS", "4")
    return [
        "gunicorn",
        "tongban.wsgi:application",
        *bind,
        "--workers",
        workers,
        "--worker-class",
        "gthread",
        "--threads",
        threads,
        "--access-logfile",
        "-",
        # request lines and referers are masked like every other log line
        "--logger-class",
        "tongban.core.gunicorn.MaskingLogger",
        *argv,
    ]


def _serve(argv: list[str]) -> None:
    from gunicorn.app.wsgiapp import run

    sys.argv = gunicorn_argv(argv)
    run()


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "serve":
        _serve(args[1:])
        return
    from django.core.management import execute_from_command_line

    if args:
        args[0] = args[0].replace("-", "_")
    execute_from_command_line(["tongban", *args])


if __name__ == "__main__":
    main()
