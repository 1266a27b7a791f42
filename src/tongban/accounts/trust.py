"""可信等级 (trust levels) of applicant accounts and the minimum level a sensitive action
demands (ADR 0099, docs/security.md "Unified identity (统一身份认证)").

Levels as a provincial identity platform publishes them: 2 — data given by the user, only
its format checked; 3 — name + ID number matched against the population or legal-person
register; 4 — real person, real name, real ID consistent (face match); 5 — a stronger
means (digital certificate, in-person check at a window).

The one rule: an account below `VERIFIED` typed its ID number itself, so the applicant
record it points at proves nothing. It sees only the cases it submitted; cases and
licences filed under that record by anyone else stay out of its reach until a verified
claim or a clerk's check raises the level.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tongban.accounts.models import User
from tongban.core.errors import Forbidden

SELF_ASSERTED = 2
REGISTER_MATCHED = 3
REAL_PERSON = 4
IN_PERSON = 5
LEVELS = (SELF_ASSERTED, REGISTER_MATCHED, REAL_PERSON, IN_PERSON)
VERIFIED = REGISTER_MATCHED

# sensitive actions and the level they demand unless TONGBAN_TRUST_LEVEL_<ACTION> says
# otherwise; the names are the stable keys used in settings, errors and docs
DEFAULT_MINIMUMS: dict[str, int] = {
    # see cases and licences filed under one's applicant record by others (e.g. at a window)
    "own_records": VERIFIED,
    # apply online for oneself
    "apply_online": SELF_ASSERTED,
}


class TrustLevelTooLow(Forbidden):
    code = "trust_level_too_low"


def level_of(user: User | AnonymousUser) -> int:
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    return int(getattr(user, "trust_level", SELF_ASSERTED) or SELF_ASSERTED)


def required_level(action: str) -> int:
    minimums = {**DEFAULT_MINIMUMS, **getattr(settings, "TRUST_LEVEL_MINIMUMS", {})}
    return minimums[action]


def meets(user: User | AnonymousUser, action: str) -> bool:
    return level_of(user) >= required_level(action)


def require_level(user: User | AnonymousUser, action: str) -> None:
    needed = required_level(action)
    if level_of(user) < needed:
        raise TrustLevelTooLow(
            _(
                "This needs trust level %(needed)s or higher: sign in through "
                "the identity platform or have your identity checked at a window."
            ),
            params={"needed": needed},
        )


def own_record_scope(user: User, applicant_field: str = "applicant", submitter: str = "") -> Q:
    """The filter for rows (cases, licences) reached through the user's applicant records.
    Below the `own_records` level, only rows the account itself submitted; `submitter` is
    the lookup of the submitting account (empty: such rows are never the account's own)."""
    return own_record_q(user.pk, meets(user, "own_records"), applicant_field, submitter)


def own_record_q(user_id: int, own_records: bool, applicant_field: str, submitter: str) -> Q:
    """`own_record_scope` from its inputs: the account and whether it meets `own_records`
    (a prepared statement's key holds these, never the user object; ADR 0137)."""
    from tongban.accounts.models import Applicant

    mine = Q(
        **{f"{applicant_field}_id__in": Applicant.objects.filter(user_id=user_id).values("pk")}
    )
    if own_records:
        return mine
    if not submitter:
        return Q(pk__in=[])
    return mine & Q(**{f"{submitter}_id": user_id})
