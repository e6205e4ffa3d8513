"""Typed domain errors and their one translation into RFC 9457 problem+json (or, for HTMX,
an error fragment). Services raise these, never HTTPException."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM = "application/problem+json"


class DomainError(Exception):
    status = 400
    code = "bad_request"
    title = "请求有误"

    def __init__(self, detail: str, *, errors: list[dict] | None = None, headers: dict | None = None, **extra: Any):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra


class Unauthorized(DomainError):
    status, code, title = 401, "unauthorized", "未登录或凭证无效"

    def __init__(self, detail: str = "请先登录，或在 Authorization 头中提供有效的 Bearer 令牌。", **kw: Any):
        kw.setdefault("headers", {"WWW-Authenticate": 'Bearer realm="scaleup"'})
        super().__init__(detail, **kw)


class Forbidden(DomainError):
    status, code, title = 403, "forbidden", "无权执行此操作"


class NotFound(DomainError):
    status, code, title = 404, "not_found", "未找到"


class Conflict(DomainError):
    status, code, title = 409, "conflict", "与现有数据冲突"


class PreconditionFailed(DomainError):
    status, code, title = 412, "precondition_failed", "版本已变化"


class TooLarge(DomainError):
    status, code, title = 413, "payload_too_large", "内容过大"


class UnsupportedMedia(DomainError):
    status, code, title = 415, "unsupported_media_type", "不支持的文件类型"


class Invalid(DomainError):
    status, code, title = 422, "validation_error", "数据校验未通过"


class PreconditionRequired(DomainError):
    status, code, title = 428, "precondition_required", "缺少 If-Match 版本"


class TooManyRequests(DomainError):
    status, code, title = 429, "too_many_requests", "请求过于频繁"


def problem_body(status: int, code: str, title: str, detail: str, errors: list[dict] | None = None, **extra: Any) -> dict:
    body: dict[str, Any] = {"type": f"https://scaleup.example/problems/{code}", "title": title, "status": status, "detail": detail}
    if errors is not None:
        body["errors"] = errors
    body.update(extra)
    return body


def _respond(request: Request, body: dict, headers: dict | None = None) -> JSONResponse | HTMLResponse:
    headers = dict(headers or {})
    if _wants_page(request):
        from app.core.templating import templates

        return templates.TemplateResponse(request, "pages/error.html", {"problem": body, "principal": None},
                                           status_code=body["status"], headers=headers)
    if request.headers.get("HX-Request") == "true":
        from app.core.templating import templates

        resp = templates.TemplateResponse(request, "fragments/error.html", {"problem": body}, status_code=body["status"], headers=headers)
        # Let HTMX swap the error into the page's error region instead of dropping it.
        resp.headers["HX-Retarget"] = "#flash"
        resp.headers["HX-Reswap"] = "innerHTML"
        return resp
    return JSONResponse(body, status_code=body["status"], headers=headers, media_type=PROBLEM)


def _wants_page(request: Request) -> bool:
    """A browser navigating to a page (not the API, not HTMX) gets an error page."""
    return (
        not request.url.path.startswith("/api/")
        and request.headers.get("HX-Request") != "true"
        and "text/html" in request.headers.get("Accept", "")
    )


# Chinese messages for pydantic's error types; the English `code` stays machine-readable.
_MSG_ZH = {
    "missing": "缺少必填字段",
    "string_type": "应为字符串",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "bool_type": "应为布尔值",
    "bool_parsing": "应为布尔值",
    "float_type": "应为数字",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "list_type": "应为数组",
    "date_type": "应为日期（YYYY-MM-DD）",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "datetime_parsing": "时间格式应为 ISO 8601",
    "datetime_type": "时间格式应为 ISO 8601",
    "string_too_short": "内容过短",
    "string_too_long": "内容过长",
    "string_pattern_mismatch": "格式不正确",
    "literal_error": "取值不在允许范围内",
    "enum": "取值不在允许范围内",
    "greater_than_equal": "数值过小",
    "greater_than": "数值过小",
    "less_than_equal": "数值过大",
    "less_than": "数值过大",
    "extra_forbidden": "不允许的字段",
    "json_invalid": "JSON 格式错误",
    "json_type": "JSON 格式错误",
    "uuid_parsing": "应为 UUID",
    "too_short": "数组元素过少",
    "too_long": "数组元素过多",
    "int_from_float": "应为整数",
    "string_unicode": "应为 UTF-8 文本",
    "value_error": "取值无效",
    "assertion_error": "取值无效",
    "missing_argument": "缺少必填字段",
    "url_parsing": "应为网址",
}


def _zh(err: dict) -> str:
    if err.get("type") in ("value_error", "assertion_error"):
        # Our own validators already speak Chinese: strip pydantic's English prefix.
        msg = str(err.get("msg", ""))
        if "Expected UploadFile" in msg:
            return "应为上传的文件（multipart/form-data 文件字段）"
        for prefix in ("Value error, ", "Assertion failed, "):
            msg = msg.removeprefix(prefix)
        return msg or _MSG_ZH["value_error"]
    return _MSG_ZH.get(err.get("type", ""), "取值无效")


def validation_errors(exc_errors: list[dict]) -> list[dict]:
    return [{"loc": list(e.get("loc", [])), "msg": _zh(e), "code": e.get("type", "invalid")} for e in exc_errors]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError):
        return _respond(request, problem_body(exc.status, exc.code, exc.title, exc.detail, exc.errors, **exc.extra), exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        errors = validation_errors(list(exc.errors()))
        if any(e["code"] in ("json_invalid", "json_type") for e in errors):
            detail = "请求体不是有效的 JSON。"
        else:
            fields = "、".join(".".join(str(p) for p in e["loc"][1:] or e["loc"]) for e in errors[:5])
            detail = f"请求数据校验未通过：{fields}。"
        return _respond(request, problem_body(422, "validation_error", "数据校验未通过", detail, errors))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        zh = {404: ("not_found", "未找到", "请求的地址不存在。"), 405: ("method_not_allowed", "方法不允许", "该地址不支持此请求方法。"),
              413: ("payload_too_large", "内容过大", "请求体过大。"), 400: ("bad_request", "请求有误", "请求格式有误。")}
        code, title, detail = zh.get(exc.status_code, ("http_error", "请求有误", "请求无法处理。"))
        if isinstance(exc.detail, str) and any("\u4e00" <= ch <= "\u9fff" for ch in exc.detail):
            detail = exc.detail
        return _respond(request, problem_body(exc.status_code, code, title, detail), getattr(exc, "headers", None))
