"""Domain errors carry one lazy gettext message (ADR 0107): the msgid is English, the
Chinese text is in the zh_Hans catalogue, and the language is chosen when the message is
shown. No code passes the old inline pair `DomainError("中文", "English")` any more."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from tongban.core.errors import Invalid, not_found, too_many_attempts

PACKAGE = Path(__file__).resolve().parents[2]

SELF = "core/tests/test_error_messages.py"  # its scan test writes the old form on purpose


def _error_classes() -> set[str]:
    """DomainError and every subclass declared in the package, by name."""
    bases: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = {
                    b.id if isinstance(b, ast.Name) else b.attr
                    for b in node.bases
                    if isinstance(b, ast.Name | ast.Attribute)
                }
    names = {"DomainError"}
    while True:
        more = {name for name, parents in bases.items() if parents & names} - names
        if not more:
            return names
        names |= more


def _legacy_calls(root: Path = PACKAGE) -> list[str]:
    names = _error_classes()
    found = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if relative == SELF or "/migrations/" in relative:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            # a second positional argument is the legacy English text
            if name in names and len(node.args) >= 2:
                found.append(f"{relative}:{node.lineno} {name}")
    return found


def test_no_error_is_raised_with_an_inline_language_pair():
    assert _legacy_calls() == []


def test_the_scan_finds_an_inline_pair(tmp_path):
    """The check above can fail: the old form is reported, also through a subclass declared
    in an app, and in the case actions; the new form is not."""
    (tmp_path / "ratings").mkdir()
    (tmp_path / "ratings" / "x.py").write_text(
        "from tongban.documents.notices import NoticeNotAvailable\n"
        'NoticeNotAvailable("中文", "English")\n'
        'NoticeNotAvailable(_("English"), code="x")\n'
    )
    (tmp_path / "cases" / "actions").mkdir(parents=True)
    (tmp_path / "cases" / "actions" / "y.py").write_text('Conflict("中文", "English")\n')
    assert _legacy_calls(tmp_path) == [
        "cases/actions/y.py:1 Conflict",
        "ratings/x.py:2 NoticeNotAvailable",
    ]


def test_message_is_rendered_in_the_language_asked_for():
    error = too_many_attempts(130)
    assert error.message("zh-hans") == (
        "登录失败次数过多,已暂时锁定。请 3 分钟后再试,或联系管理员解锁。"
    )
    assert error.message("en") == (
        "Too many failed sign-ins: locked for now. Try again in 3 minutes "
        "or ask an administrator to unlock."
    )
    # any other language gets the UI's first language
    assert error.message("fr") == error.message("zh-hans")
    assert error.as_dict("en") == {
        "code": "too_many_attempts",
        "message": error.message("en"),
        "details": {"retry_after": 130},
    }


def test_message_follows_the_active_language_when_shown_not_when_raised():
    with translation.override("en"):
        error = not_found("case")
    with translation.override("zh-hans"):
        assert error.message() == "未找到该对象,或您无权查看。"
        # str() is the English text, for logs and tracebacks, whatever the request's language
        assert str(error) == "No such case, or it is outside your scope."
    with translation.override("en"):
        assert error.message() == "No such case, or it is outside your scope."


def test_a_lazy_param_is_rendered_in_the_same_language():
    error = Invalid(_("%(label)s must not be empty."), params={"label": _("answer")})
    assert error.zh == "答复内容不能为空。"
    assert error.en == "answer must not be empty."


def test_a_message_without_params_keeps_a_percent_sign():
    error = Invalid(_("100% of nothing"))
    assert error.message("en") == "100% of nothing"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_unknown_msgid_falls_back_to_the_english_text(language):
    error = Invalid(_("A message nobody translated (%(n)s)."), params={"n": 1})
    assert error.message(language) == "A message nobody translated (1)."
