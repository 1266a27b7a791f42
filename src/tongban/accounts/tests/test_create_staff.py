import io
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tongban.accounts import access
from tongban.accounts.models import User

STRONG = "a-long-enough-passphrase"


def run(*args):
    out = io.StringIO()
    call_command("create_staff", *args, stdout=out)
    return out.getvalue()


def test_creates_staff_with_roles(world):
    output = run(
        "hz-new",
        "--role",
        "clerk",
        "--role",
        "officer",
        "--jurisdiction",
        "421102",
        "--password",
        STRONG,
        "--display-name",
        "黄州新收件员",
    )
    assert "created hz-new" in output
    user = User.objects.get(username="hz-new")
    assert user.display_name == "黄州新收件员"
    assert user.check_password(STRONG)
    assert access.roles_in(user, world.huangzhou.pk) == {"clerk", "officer"}


def test_platform_admin_needs_no_jurisdiction(world):
    run("root2", "--role", "platform_admin", "--password", STRONG)
    user = User.objects.get(username="root2")
    assert user.is_superuser and user.is_staff


def test_unknown_jurisdiction_is_an_error(world):
    with pytest.raises(CommandError, match="unknown_jurisdiction"):
        run("x", "--role", "clerk", "--jurisdiction", "999999", "--password", STRONG)
    assert not User.objects.filter(username="x").exists()


def test_role_without_jurisdiction_is_an_error(world):
    with pytest.raises(CommandError, match="jurisdiction_required"):
        run("x", "--role", "clerk", "--password", STRONG)


def test_weak_password_is_an_error(world):
    with pytest.raises(CommandError, match="weak_password"):
        run("x", "--role", "clerk", "--jurisdiction", "421102", "--password", "123")


def test_existing_username_is_an_error(world):
    with pytest.raises(CommandError, match="username_taken"):
        run("421102-clerk", "--role", "clerk", "--jurisdiction", "421102", "--password", STRONG)


def test_missing_password_without_a_terminal_is_an_error(world, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    with pytest.raises(CommandError, match="not a terminal"):
        run("x", "--role", "clerk", "--jurisdiction", "421102")
    assert not User.objects.filter(username="x").exists()


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_missing_password_is_asked_on_a_terminal(world, monkeypatch):
    answers = iter([STRONG, STRONG])
    monkeypatch.setattr(sys, "stdin", FakeTerminal())
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    run("asked", "--role", "head", "--jurisdiction", "421102")
    assert User.objects.get(username="asked").check_password(STRONG)


def test_differing_passwords_on_a_terminal_are_an_error(world, monkeypatch):
    answers = iter([STRONG, STRONG + "x"])
    monkeypatch.setattr(sys, "stdin", FakeTerminal())
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    with pytest.raises(CommandError, match="differ"):
        run("asked", "--role", "head", "--jurisdiction", "421102")
