from __future__ import annotations

from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator

from tongban_idp.models import Person


class IdentityValidator(OAuth2Validator):
    # the verified identity is released under its own scope, as the platforms do
    oidc_claim_scope = {
        **OAuth2Validator.oidc_claim_scope,
        "trust_level": "identity",
        "id_number": "identity",
        "uscc": "identity",
        "enterprise_name": "identity",
    }

    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        user = request.user
        claims: dict[str, Any] = {"sub": user.username, "preferred_username": user.username}
        person = Person.objects.filter(user=user).first()
        if person is None:
            return claims
        claims.update(name=person.name, trust_level=person.trust_level)
        if person.id_number:
            claims["id_number"] = person.id_number
        if person.uscc:
            claims.update(uscc=person.uscc, enterprise_name=person.enterprise_name)
        return claims
