"""Tongban as a relying party of the provincial identity platform (统一身份认证), built on
mozilla-django-oidc (ADR 0099): authorization-code flow with PKCE, the ID token's RS256
signature checked against the platform's JWKS, then issuer, audience, expiry and nonce.
The claims are mapped here and handed to ONE action, `sign_in_with_identity`."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

import jwt
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from tongban.accounts.actions import IdentityClaims, sign_in_with_identity
from tongban.core.errors import DomainError

log = logging.getLogger(__name__)


def map_claims(claims: dict[str, Any]) -> IdentityClaims:
    """The platform's claim names (TONGBAN_OIDC_CLAIM_*) to Tongban's identity fields."""
    names = settings.OIDC_CLAIM_NAMES

    def text(key: str) -> str:
        value = claims.get(names[key], "")
        return value.strip() if isinstance(value, str) else ""

    return IdentityClaims(
        subject=str(claims.get("sub", "")),
        name=text("name"),
        trust_level=claims.get(names["trust_level"], 0),
        id_number=text("id_number"),
        uscc=text("uscc"),
        enterprise_name=text("enterprise_name"),
    )


class IdentityPlatformBackend(OIDCAuthenticationBackend):
    def _verify_jws(self, payload: Any, key: Any) -> dict[str, Any]:
        # the library checks the signature and `exp` but not the audience or the issuer; a
        # token the platform issued to another system must not sign anyone in here
        header = jwt.get_unverified_header(payload)
        if header.get("alg") != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation("ID token algorithm mismatch")
        try:
            return jwt.decode(
                payload,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=settings.OIDC_OP_ISSUER,
                leeway=settings.OIDC_CLOCK_SKEW_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.InvalidTokenError as exc:
            raise SuspiciousOperation(f"ID token refused: {type(exc).__name__}") from exc

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> Any:
        try:
            return super().authenticate(request, **kwargs)
        except SuspiciousOperation as exc:
            # a tampered, expired or foreign token is a failed login, not a server error
            log.warning("identity platform login refused: %s", exc)
            return None

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Any:
        userinfo = self.get_userinfo(access_token, id_token, payload)
        if str(userinfo.get("sub", payload["sub"])) != str(payload["sub"]):
            raise SuspiciousOperation("userinfo subject differs from the ID token's")
        # the signed ID token wins over userinfo where both carry a claim
        claims = map_claims({**userinfo, **payload})
        try:
            return sign_in_with_identity(claims)
        except DomainError as exc:
            log.warning("identity platform claims refused: %s", exc.code)
            return None


def provider_logout_url(request: HttpRequest) -> str:
    """RP-initiated logout at the platform (OIDC_OP_LOGOUT_URL_METHOD): the platform ends
    its own session too, then sends the browser back to Tongban's home page."""
    params = {
        "client_id": settings.OIDC_RP_CLIENT_ID,
        "post_logout_redirect_uri": request.build_absolute_uri(settings.LOGOUT_REDIRECT_URL),
    }
    id_token = request.session.get("oidc_id_token")
    if id_token:
        params["id_token_hint"] = id_token
    return f"{settings.OIDC_OP_LOGOUT_ENDPOINT}?{urlencode(params)}"
