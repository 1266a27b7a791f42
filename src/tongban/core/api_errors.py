"""The one error shape of the API, `{"code", "message", "details"}`, and the answers every
operation documents in the OpenAPI file (ADR 0090). Lives in core so that any app's
router and the request guard middleware use the same shape."""

from __future__ import annotations

from typing import Any

from ninja import Field, Schema


class ErrorOut(Schema):
    code: str = Field(..., description="stable machine-readable code, e.g. invalid_input")
    message: str = Field(..., description="Chinese, or English with Accept-Language: en")
    details: dict[str, Any] | None = Field(
        None, description="e.g. {errors: [{loc, type, msg}]} for invalid_input"
    )


# what each status means for a client; the codes listed are the stable ones
ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "请求格式错误 / Malformed request: `malformed_body` (body is not JSON), "
    "`malformed_multipart` (no or bad boundary), `invalid_query` (NUL in the URL), "
    "`bad_request`",
    401: "未登录 / `not_authenticated`: log in or send a valid bearer token",
    403: "无权操作 / `forbidden`: the caller's role may not do this",
    404: "未找到或不在权限范围内 / `not_found`: no such object, or outside the caller's scope",
    409: "状态冲突 / `conflict`, `illegal_transition`, `calendar_not_available`, …",
    413: "请求体过大 / `request_too_large`: the body exceeds the server's limit",
    422: "输入不合规 / `invalid_input` (details.errors lists each field: loc, type, msg; "
    "types include string_too_long, nul_character, unpaired_surrogate, blank, "
    "string_pattern_mismatch, less_than_equal) or a rule's own code such as `invalid`; "
    "when a body breaks several rules, the first one's code with details.fields listing "
    "every field: {field: {code, message}} (ADR 0123)",
    429: "请求过于频繁 / `too_many_requests` where a rate limit applies",
}

WRITE_METHODS = {"post", "put", "patch", "delete"}


def error_statuses(method: str, *, secured: bool, has_body: bool) -> list[int]:
    """The error statuses an operation can answer: every operation can get a malformed
    request, an unknown object, invalid input or a rate limit; authenticated ones add
    401/403, writes add 409, operations with a body add 413."""
    statuses = [400, 404, 422, 429]
    if secured:
        statuses += [401, 403]
    if method in WRITE_METHODS:
        statuses.append(409)
    if has_body:
        statuses.append(413)
    return sorted(statuses)


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Adds the shared error answers to every operation of an OpenAPI document and makes
    every 4xx answer point at the one ErrorOut schema."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["ErrorOut"] = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    ref = {"$ref": "#/components/schemas/ErrorOut"}
    for path_item in schema.get("paths", {}).values():
        for method, operation in path_item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            # Ninja keys responses by int; JSON has only string keys
            responses = {str(status): body for status, body in operation["responses"].items()}
            operation["responses"] = responses
            statuses = set(
                error_statuses(
                    method,
                    secured=bool(operation.get("security")),
                    has_body="requestBody" in operation,
                )
            )
            statuses |= {int(s) for s in responses if str(s).isdigit() and int(s) >= 400}
            for status in sorted(statuses):
                responses[str(status)] = {
                    "description": ERROR_DESCRIPTIONS.get(status, "Error"),
                    "content": {"application/json": {"schema": ref}},
                }
    return schema
