"""The 卫女士 demo case (ADR 0096): seeded through the workflow after the demo world and
its signing keys, once."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tongban.accounts.identifiers import is_valid_uscc
from tongban.accounts.models import Applicant
from tongban.cases.models import Case
from tongban.catalog.models import ItemBundle
from tongban.demo.enterprise import BUNDLE_CODE, WEI_COMPANY


def _run(command: str) -> str:
    out = io.StringIO()
    call_command(command, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_refuses_without_demo_mode(db, settings):
    settings.DEMO_MODE = False
    with pytest.raises(CommandError, match="TONGBAN_DEMO=1"):
        _run("seed_enterprise_demo")


def test_the_wei_case_is_seeded_once(db, settings, tmp_path_factory):
    from tongban.testing.licences import use_test_pki

    settings.DEMO_MODE = True
    _run("seed_demo")
    bundle = ItemBundle.objects.get(code=BUNDLE_CODE)
    assert [p.item.code for p in bundle.parts.order_by("position")] == [
        "ITEM-SEAL",
        "ITEM-TAX-NEW",
        "ITEM-SOCIAL-UNIT",
    ]
    use_test_pki(settings, tmp_path_factory.mktemp("demo-pki"))
    first = _run("seed_enterprise_demo")
    case = Case.objects.get(bundle=bundle, parent=None)
    assert case.number in first
    assert case.status == "completed"
    assert case.receiving_jurisdiction is not None
    assert case.receiving_jurisdiction.code == "420100Z01"
    assert case.handling_jurisdiction.code == "420703400"
    assert case.applicant.kind == "person" and case.applicant.name == "卫敏"
    enterprise = Applicant.objects.get(kind="enterprise", name=WEI_COMPANY)
    assert is_valid_uscc(enterprise.uscc) and enterprise.uscc.startswith("91420703")
    assert case.licences.get().holder == enterprise
    actions = list(case.events.values_list("action", flat=True))
    assert "print_licence" in actions and "pickup" in actions
    (seal,) = case.subcases.all()
    assert seal.status == "completed"
    assert seal.events.get(action="approve").data["seals"] == ["公章", "财务专用章", "发票专用章"]

    second = _run("seed_enterprise_demo")
    assert "exists" in second
    assert Case.objects.filter(bundle=bundle, parent=None).count() == 1
