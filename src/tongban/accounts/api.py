"""/api/v1/auth: log in for a bearer token, log out, who am I."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from tongban.accounts import actions, personal_data, selectors
from tongban.accounts.models import Applicant, Role, User
from tongban.accounts.selectors import find_applicant_for
from tongban.core.api_errors import ErrorOut
from tongban.core.inputs import Column, Text
from tongban.core.masking import mask_name

# long enough for any passphrase, short enough that hashing it costs nothing
MAX_PASSWORD = 1024

router = Router(tags=["auth"])


class TokenIn(Schema):
    username: Annotated[str, Column(User, "username", required=True)]
    password: Annotated[str, Text(MAX_PASSWORD, required=True)]


class RoleOut(Schema):
    role: str
    role_name: str
    jurisdiction_code: str | None = None
    jurisdiction_name: str | None = None


class UserOut(Schema):
    username: str
    display_name: str
    kind: str
    trust_level: int
    roles: list[RoleOut]


class TokenOut(Schema):
    access_token: str
    token_type: str = "bearer"
    expires_at: dt.datetime
    user: UserOut


def user_out(user: User) -> UserOut:
    return UserOut(
        username=user.username,
        display_name=user.display_name or user.username,
        kind=user.kind,
        trust_level=user.trust_level,
        roles=[
            RoleOut(
                role=a.role,
                role_name=Role(a.role).label,
                jurisdiction_code=a.jurisdiction.code if a.jurisdiction else None,
                jurisdiction_name=a.jurisdiction.name if a.jurisdiction else None,
            )
            for a in selectors.role_assignments_of(user)
        ],
    )


@router.post(
    "/token",
    auth=None,
    response={200: TokenOut, 401: ErrorOut, 429: ErrorOut},
    summary="登录并获取令牌 / Log in for a bearer token",
    description="连续登录失败达到次数后,按账号和来源地址暂时锁定(429 `too_many_attempts`,"
    "带 Retry-After)。/ Repeated failures lock the account and the client address for a "
    "while (429 `too_many_attempts` with Retry-After).",
)
def create_token(request: HttpRequest, body: TokenIn) -> TokenOut:
    issued = actions.issue_token(request, body.username, body.password)
    user = issued.token.user
    return TokenOut(access_token=issued.key, expires_at=issued.expires_at, user=user_out(user))


@router.delete(
    "/token",
    response={204: None, 401: ErrorOut},
    summary="吊销当前令牌 / Revoke the caller's token",
)
def delete_token(request: HttpRequest) -> Status[None]:
    actions.revoke_token(request.user, getattr(request, "api_token", None))
    return Status(204, None)


@router.get("/me", response={200: UserOut, 401: ErrorOut}, summary="当前用户 / The caller")
def me(request: HttpRequest) -> UserOut:
    assert isinstance(request.user, User)
    return user_out(request.user)


class IdentityCheckIn(Schema):
    username: str
    id_number: str


@router.post(
    "/identity-checks",
    response={200: UserOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="窗口现场核验身份(可信等级5) / In-person identity check at the window",
)
def identity_check(request: HttpRequest, body: IdentityCheckIn) -> UserOut:
    """A clerk checked the person's ID card: the applicant account reaches trust level 5
    and is linked to the applicant record with that 公民身份号码 (ADR 0099)."""
    return user_out(actions.verify_identity_in_person(request.user, body.username, body.id_number))


applicants_router = Router(tags=["applicants"])


class ApplicantLookupIn(Schema):
    identifier: str


class ApplicantLookupOut(Schema):
    id: int
    kind: str
    name: str
    identifier: str
    agent_name: str
    bad_credit: bool


@applicants_router.post(
    "/applicants/lookup", response=ApplicantLookupOut, summary="按证件号码查找申请人(窗口收件)"
)
def lookup_applicant(request: HttpRequest, body: ApplicantLookupIn) -> dict[str, Any]:
    """The exact 公民身份号码 or 统一社会信用代码 is required: no partial search, so the
    endpoint cannot be used to enumerate applicants. Personal data comes back masked.
    A POST with the number in the JSON body, never in the URL: request lines end up in
    access logs and proxies (docs/security.md, "Logs and personal data")."""
    applicant = find_applicant_for(request.user, body.identifier)
    person = applicant.kind == Applicant.Kind.PERSON
    if person:
        personal_data.record_lookup(request.user, applicant, personal_data.Channel.API)
    return {
        "id": applicant.pk,
        "kind": applicant.kind,
        "name": mask_name(applicant.name) if person else applicant.name,
        "identifier": applicant.masked_identifier,
        "agent_name": mask_name(applicant.agent_name),
        "bad_credit": applicant.bad_credit,
    }


class DataReadOut(Schema):
    read_at: dt.datetime
    purpose: str
    purpose_label: str
    reference: str
    channel: str
    reader_role: str
    reader_role_label: str
    jurisdiction: str | None


class DataReadPageOut(Schema):
    items: list[DataReadOut]
    count: int
    page: int
    pages: int


@applicants_router.get(
    "/me/data-reads",
    response={200: DataReadPageOut, 401: ErrorOut},
    summary="谁查看了我的信息 / Who read my personal data",
)
def my_data_reads(request: HttpRequest, page: int = 1) -> dict[str, Any]:
    """Reads of the caller's own personal data by others (个人信息保护法 §44–45): when,
    why, and the reader's role and jurisdiction, not the reader's name (ADR 0100)."""
    found = personal_data.reads_of_me(request.user, page)
    return {
        "items": [personal_data.read_out(read) for read in found],
        "count": found.paginator.count,
        "page": found.number,
        "pages": found.paginator.num_pages,
    }
