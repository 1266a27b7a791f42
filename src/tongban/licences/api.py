"""/api/v1/licences: public verification (no login) and, for logged-in users, their
licences, the PDF, and revocation. Thin: parse, call one selector or action, serialise."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema
from pydantic import ValidationError

from tongban.accounts import personal_data
from tongban.core.api_errors import ErrorOut
from tongban.core.errors import Invalid
from tongban.core.inputs import (
    Column,
    Limit,
    Offset,
    QueryText,
    RequiredNote,
    Text,
    check_json_text,
)
from tongban.core.masking import mask_id_number, mask_name
from tongban.licences import actions, selectors
from tongban.licences.models import Licence
from tongban.licences.rendering import licence_verification_url
from tongban.licences.selectors import MAX_PDF_BYTES, VerificationResult

router = Router(tags=["licences"])


class LicencePublicOut(Schema):
    identifier: str
    licence_type_code: str
    licence_name: str
    holder_name: str = Field(..., description="masked for persons")
    issuer_name: str
    issuing_jurisdiction: str
    issuing_node: str = Field(
        "", description="the federation node that issued it, when another node did (ADR 0132)"
    )
    issued_on: dt.date
    algorithm: str
    certificate_serial: str
    revoked_at: dt.datetime | None = None
    revocation_reason: str = ""
    register_fields: list[tuple[str, str]] = Field(
        [], description="public register fields of the document (e.g. a 营业执照's), in order"
    )


class VerificationOut(Schema):
    status: str = Field(
        ...,
        description="valid | revoked | unknown | tampered | signing (not signed yet) | "
        "untrusted (issued on a node the trust list does not vouch for)",
    )
    status_label: str
    licence_id: str
    problems: list[str] = Field([], description="failed checks when tampered")
    licence: LicencePublicOut | None = None


LicenceId = Annotated[str, Column(Licence, "identifier", required=True)]


class VerifyDataIn(Schema):
    licence_id: LicenceId
    data: dict[str, Any] = Field(..., description="the licence's structured data")
    signature: Annotated[str, Text(8192)] | None = Field(
        None, description="base64 detached signature (default: the one on record)"
    )


class LicenceOut(Schema):
    identifier: str
    licence_type_code: str
    licence_name: str
    holder_name: str
    holder_identifier: str = Field(..., description="masked for persons")
    issuer_name: str
    issuer_uscc: str
    issuing_jurisdiction: str
    case_number: str | None = None
    status: str
    issued_at: dt.datetime
    revoked_at: dt.datetime | None = None
    revocation_reason: str = ""
    algorithm: str
    certificate_serial: str


class LicenceDetailOut(LicenceOut):
    data: dict[str, Any]
    data_signature: str
    data_masked: bool = Field(
        False,
        description="The holder's name and ID number in `data` are masked because the "
        "caller's role does not need them; `data_signature` then does not verify `data`.",
    )


class LicenceListOut(Schema):
    items: list[LicenceOut]
    count: int


class MyLicenceOut(LicenceOut):
    state: str = Field(
        ...,
        description="signing (issued, the worker is still signing it: no PDF yet) | valid | "
        "revoked | superseded (a newer version of the same licence was issued after this "
        "one was revoked)",
    )
    verify_url: str = Field(..., description="the public verification page")
    pdf_url: str = Field(..., description="the signed PDF (GET /api/v1/licences/{id}/pdf)")


class MyLicenceListOut(Schema):
    items: list[MyLicenceOut]
    count: int


class MyLicenceListIn(Schema):
    limit: Limit = 50
    offset: Offset = 0


class LicenceListIn(Schema):
    status: QueryText | None = Field(None, description="valid | revoked")
    limit: Limit = 50
    offset: Offset = 0


class RevokeIn(Schema):
    reason: RequiredNote


def masked_licence_data(data: dict[str, Any]) -> dict[str, Any]:
    """A copy of a person's licence data with their name and ID number masked."""
    copy = dict(data)
    holder = dict(copy.get("holder") or {})
    if holder:
        holder["name"] = mask_name(holder.get("name"))
        holder["identifier"] = mask_id_number(holder.get("identifier"))
        copy["holder"] = holder
    fields = dict(copy.get("fields") or {})
    if "姓名" in fields:
        fields["姓名"] = mask_name(fields["姓名"])
    if "公民身份号码" in fields:
        fields["公民身份号码"] = mask_id_number(fields["公民身份号码"])
    copy["fields"] = fields
    return copy


def verification_out(result: VerificationResult) -> VerificationOut:
    public = result.public_fields()
    return VerificationOut(
        status=result.status,
        status_label=result.label,
        licence_id=result.licence_id,
        problems=result.problems,
        licence=LicencePublicOut(**public) if public else None,
    )


def licence_out(licence: Licence, detail: bool = False, unmasked: bool = False) -> LicenceOut:
    """`unmasked`: the caller may see the holder's full identity (personal_data decides)."""
    person = licence.holder_kind == "person"
    fields: dict[str, Any] = {
        "identifier": licence.identifier,
        "licence_type_code": licence.licence_type_code,
        "licence_name": licence.licence_name,
        "holder_name": licence.masked_holder_name,
        "holder_identifier": mask_id_number(licence.holder_identifier)
        if person and not unmasked
        else licence.holder_identifier,
        "issuer_name": licence.issuer_name,
        "issuer_uscc": licence.issuer_uscc,
        "issuing_jurisdiction": licence.issuing_jurisdiction.name,
        "case_number": licence.data.get("case_number") if licence.data else None,
        "status": licence.status,
        "issued_at": licence.issued_at,
        "revoked_at": licence.revoked_at,
        "revocation_reason": licence.revocation_reason,
        "algorithm": licence.algorithm,
        "certificate_serial": licence.certificate_serial,
    }
    if detail:
        masked = person and not unmasked
        return LicenceDetailOut(
            **fields,
            data=masked_licence_data(licence.data) if masked else licence.data,
            data_signature=licence.data_signature,
            data_masked=masked,
        )
    return LicenceOut(**fields)


_VERIFY_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "licence_id": {
                            "type": "string",
                            "description": "default: the identifier the PDF names",
                        },
                    },
                    "required": ["file"],
                }
            },
            "application/json": {"schema": VerifyDataIn.model_json_schema()},
        },
    }
}


@router.post(
    "/licences/verify",
    auth=None,
    response={200: VerificationOut, 422: ErrorOut},
    openapi_extra=_VERIFY_BODY,
    summary="核验证照文件或数据 / Verify an uploaded licence PDF or its data",
)
def verify_upload(request: HttpRequest) -> VerificationOut:
    if request.content_type == "multipart/form-data":
        upload = request.FILES.get("file")
        if upload is None:
            raise Invalid(
                _("Upload the licence PDF as 'file'."),
                code="missing_field",
                details={"field": "file"},
            )
        if upload.size is not None and upload.size > MAX_PDF_BYTES:
            raise Invalid(_("The file is too large."), code="file_too_large")
        pdf = upload.read()
        licence_id = (request.POST.get("licence_id") or "").strip()
        licence_id = licence_id or selectors.identifier_in_pdf(pdf)
        return verification_out(selectors.verify_licence(licence_id, pdf_bytes=pdf))
    try:
        body = VerifyDataIn.model_validate(check_json_text(json.loads(request.body or b"null")))
    except (ValueError, ValidationError) as exc:
        raise Invalid(
            _("Send a PDF (multipart 'file') or JSON {licence_id, data, signature}."),
            code="invalid_input",
        ) from exc
    supplied: dict[str, Any] = {"data": body.data}
    if body.signature is not None:
        supplied["signature"] = body.signature
    return verification_out(selectors.verify_licence(body.licence_id, data=supplied))


@router.get(
    "/licences/{licence_id}/verify",
    auth=None,
    response=VerificationOut,
    summary="核验电子证照 / Verify an e-licence",
)
def verify(request: HttpRequest, licence_id: str) -> VerificationOut:
    return verification_out(selectors.verify_licence(licence_id))


@router.get(
    "/licences",
    response={200: LicenceListOut, 401: ErrorOut},
    summary="电子证照列表 / Licences I may see",
)
def list_licences(request: HttpRequest, filters: Query[LicenceListIn]) -> LicenceListOut:
    queryset = selectors.readable_licences(request.user)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    count = queryset.count()
    page = queryset[filters.offset : filters.offset + filters.limit]
    return LicenceListOut(items=[licence_out(licence) for licence in page], count=count)


@router.get(
    "/me/licences",
    response={200: MyLicenceListOut, 401: ErrorOut},
    summary="我的证照 / The licences of the applicants I act as",
)
def my_licences(request: HttpRequest, filters: Query[MyLicenceListIn]) -> MyLicenceListOut:
    """The caller's own licences (as a person, or as the agent of enterprises), newest
    first; the same scope as the portal page 我的证照. Anonymous: 401."""
    queryset = selectors.own_licences(request.user)
    count = queryset.count()
    page = queryset[filters.offset : filters.offset + filters.limit]
    items = [
        MyLicenceOut(
            **licence_out(licence).model_dump(),
            state=selectors.licence_state(licence),
            verify_url=licence_verification_url(licence.identifier),
            pdf_url=f"/api/v1/licences/{quote(licence.identifier, safe='.')}/pdf",
        )
        for licence in page
    ]
    return MyLicenceListOut(items=items, count=count)


@router.get(
    "/licences/{licence_id}",
    response={200: LicenceDetailOut, 401: ErrorOut, 404: ErrorOut},
    summary="电子证照详情 / A licence with its signed data",
)
def get_licence(request: HttpRequest, licence_id: str) -> LicenceOut:
    """A person's licence: full data (recorded as a read) for the roles that need it for
    the case at hand, the holder's identity masked for everyone else."""
    licence = selectors.get_licence_for(request.user, licence_id)
    unmasked = licence.holder_kind == "person" and personal_data.may_unmask_licence(
        request.user, licence
    )
    if unmasked:
        personal_data.record_licence_read(request.user, licence, personal_data.Channel.API)
    return licence_out(licence, detail=True, unmasked=unmasked)


@router.get(
    "/licences/{licence_id}/pdf",
    # 409 licence_being_signed: issued, the worker has not signed it yet (ADR 0121)
    response={200: None, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    openapi_extra={
        "responses": {
            200: {
                "description": "PDF",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
    summary="下载证照版式文件 / Download the signed PDF",
)
def get_licence_pdf(request: HttpRequest, licence_id: str) -> HttpResponse:
    licence, pdf = selectors.get_licence_pdf_for(
        request.user, licence_id, personal_data.Channel.API
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{licence.identifier}.pdf"'
    return response


@router.post(
    "/licences/{licence_id}/revoke",
    response={
        200: LicenceOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
    },
    summary="吊销电子证照 / Revoke a licence",
)
def revoke(request: HttpRequest, licence_id: str, body: RevokeIn) -> LicenceOut:
    licence = selectors.get_licence_for(request.user, licence_id)
    return licence_out(actions.revoke_licence(request.user, licence, body.reason))
