"""One status per error code on every surface (ADR 0106): a client that sees `code` knows
the status, whether it called the API or opened a page. The scan reads every place in
the source that builds a DomainError (raised, returned or kept for later) and the code
it gives it, and fails when one code is built with two statuses."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from collections import defaultdict
from pathlib import Path

import tongban
from tongban.core.errors import DomainError

SOURCE = Path(tongban.__file__).parent
# answers built without a DomainError (tongban/api.py, core/views.py): the same rule holds
HANDLER_CODES = {"invalid_input": 422, "not_authenticated": 401}
# clashes inside cases/actions.py, which is being split into a package in parallel: the
# lead renames one side after merging (ADR 0106) and then empties this set
PENDING_IN_CASE_ACTIONS: set[str] = set()


def _domain_error_classes() -> dict[str, type[DomainError]]:
    """Every DomainError subclass, by class name (the scan matches calls by name)."""
    for module in pkgutil.walk_packages([str(SOURCE)], "tongban."):
        name = module.name
        if ".tests" in name or ".migrations" in name or name.startswith("tongban.demo"):
            continue
        if name in {"tongban.wsgi", "tongban.conftest"}:
            continue
        importlib.import_module(name)
    found: dict[str, type[DomainError]] = {}
    pending: list[type[DomainError]] = [DomainError]
    while pending:
        cls = pending.pop()
        clash = found.get(cls.__name__)
        assert clash is None or clash.status == cls.status, (
            f"two error classes named {cls.__name__} with different statuses"
        )
        found[cls.__name__] = cls
        pending.extend(cls.__subclasses__())
    return found


def _called_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _source_files() -> list[Path]:
    return [
        path
        for path in sorted(SOURCE.rglob("*.py"))
        if "tests" not in path.parts and "migrations" not in path.parts
    ]


def code_statuses() -> dict[str, dict[int, list[str]]]:
    """code → status → where (file:line) an error with that code and status is built."""
    classes = _domain_error_classes()
    seen: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for cls in classes.values():
        seen[cls.code][cls.status].append(f"class {cls.__module__}.{cls.__name__}")
    for handled, status in HANDLER_CODES.items():
        seen[handled][status].append("tongban/api.py handler")
    for path in _source_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            built = classes.get(_called_name(node) or "")
            if built is None:
                continue
            code: object = built.code
            for keyword in node.keywords:
                if keyword.arg == "code":
                    given = keyword.value
                    code = given.value if isinstance(given, ast.Constant) else None
            if isinstance(code, str):  # a computed code is not checked here
                where = f"{path.relative_to(SOURCE.parent)}:{node.lineno}"
                seen[code][built.status].append(where)
    return seen


def test_every_error_code_has_one_status():
    clashes = {
        code: {status: places[:3] for status, places in statuses.items()}
        for code, statuses in code_statuses().items()
        if len(statuses) > 1 and code not in PENDING_IN_CASE_ACTIONS
    }
    assert not clashes, f"error codes answered with more than one status: {clashes}"


def test_pending_clashes_are_still_pending():
    # once the clash is resolved its exemption must go, or it would hide a new one
    seen = code_statuses()
    assert all(len(seen[code]) > 1 for code in PENDING_IN_CASE_ACTIONS)


def test_the_scan_sees_the_raises():
    # a scan that reads nothing would pass the test above: it must know the common codes
    seen = code_statuses()
    assert set(seen["illegal_transition"]) == {409}
    assert set(seen["unknown_action"]) == {404}
    assert set(seen["not_found"]) == {404}
    assert any("cases/actions/submission.py" in place for place in seen["unknown_item"][422])
