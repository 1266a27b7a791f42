"""An enterprise comes into being with its business licence (ADR 0096): a new USCC and the
filing person as its agent."""

from __future__ import annotations

import pytest

from tongban.accounts.actions import register_established_enterprise
from tongban.accounts.identifiers import (
    is_valid_uscc,
    new_uscc,
    organisation_check_character,
)
from tongban.core.errors import Conflict, Invalid
from tongban.core.models import AuditEvent


def test_organisation_check_character_of_a_published_code():
    # 华为技术有限公司 914403001922038216: organisation code 19220382-1
    assert organisation_check_character("19220382") == "1"
    assert is_valid_uscc("914403001922038216")


@pytest.mark.parametrize("kind", ["1", "2", "3"])
def test_new_codes_are_valid_and_carry_authority_type_and_region(kind):
    codes = {new_uscc("420703", kind=kind) for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert is_valid_uscc(code)
        assert code[:8] == f"9{kind}420703" and code[8:10] == "MA"
        assert code[16] == organisation_check_character(code[8:16])
        assert not set(code) & set("IOZSV")


def test_new_code_needs_a_six_digit_region():
    with pytest.raises(ValueError):
        new_uscc("420703400")


@pytest.mark.django_db
def test_the_filing_person_becomes_the_agent(world):
    person = world.applicants["person"]
    enterprise = register_established_enterprise(
        world.user("420703400-officer"),
        name="鄂州葛店新设科技有限公司",
        region_code="420703",
        kind="1",
        agent=person,
        address="葛店开发区1号",
    )
    assert enterprise.kind == "enterprise" and is_valid_uscc(enterprise.uscc)
    assert (enterprise.agent_name, enterprise.agent_id_number) == (person.name, person.id_number)
    assert enterprise.user == person.user
    audit = AuditEvent.objects.get(action="register_established_enterprise")
    # the agent's ID number is masked in the audit trail
    assert person.id_number not in str(audit.data)


@pytest.mark.django_db
def test_an_enterprise_cannot_establish_one_and_names_are_unique(world):
    officer = world.user("420703400-officer")
    with pytest.raises(Invalid) as refused:
        register_established_enterprise(
            officer,
            name="鄂州葛店新设科技有限公司",
            region_code="420703",
            kind="1",
            agent=world.applicants["enterprise"],
            address="",
        )
    assert refused.value.code == "establishment_needs_person"
    with pytest.raises(Conflict) as taken:
        register_established_enterprise(
            officer,
            name=world.applicants["enterprise"].name,
            region_code="420703",
            kind="1",
            agent=world.applicants["person"],
            address="",
        )
    assert taken.value.code == "enterprise_name_taken"
