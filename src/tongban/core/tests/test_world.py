from tongban.accounts.identifiers import is_valid_id_number, is_valid_uscc


def test_world_builds_valid_identifiers(world):
    for applicant in world.applicants.values():
        assert is_valid_id_number(applicant.id_number) or is_valid_uscc(applicant.uscc)
    assert world.agreement.parties.count() == 4
