"""Pure ASGI middleware: body size limits and security headers."""

import json

from starlette.exceptions import HTTPException

from app.core.config import get_settings
from app.core.errors import problem_body
from app.core.htmx import VARY

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; "
    "object-src 'none'"
)


class BodyTooLarge(HTTPException):
    """Raised while the app streams a body past the limit. An HTTPException, so that FastAPI's
    form parsing passes it through (as 413 problem+json) instead of turning it into a 400."""

    def __init__(self) -> None:
        super().__init__(413, "请求体过大：文件不得超过 20 MB，JSON 请求体不得超过 1 MB。")


class LimitBodyMiddleware:
    """Refuses bodies over the limit with 413 before the app reads them (by Content-Length),
    and stops a chunked body that grows past it."""

    def __init__(self, app):  # noqa: ANN001
        self.app = app

    async def __call__(self, scope, receive, send):  # noqa: ANN001
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        settings = get_settings()
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        ctype = headers.get("content-type", "")
        if not ctype.startswith("multipart/"):
            limit = settings.max_json_bytes
        elif scope["path"] == "/api/v1/roster/imports":
            limit = settings.max_roster_bytes
        else:
            limit = settings.max_upload_bytes + 64 * 1024
        declared = headers.get("content-length")
        if declared is not None:
            try:
                too_big = int(declared) > limit
            except ValueError:
                too_big = False
            if too_big:
                return await _send_413(send, limit)
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge()
            return message

        try:
            await self.app(scope, limited_receive, send)
        except BodyTooLarge:
            await _send_413(send, limit)


async def _send_413(send, limit: int) -> None:  # noqa: ANN001
    mb = max(limit // (1024 * 1024), 1)
    body = json.dumps(
        problem_body(413, "payload_too_large", "内容过大", f"请求体过大：本接口的请求体上限约为 {mb} MB（申报材料每个文件不得超过 20 MB）。"),
        ensure_ascii=False,
    ).encode()
    await send({"type": "http.response.start", "status": 413, "headers": [
        (b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class RejectNulMiddleware:
    """PostgreSQL text cannot hold NUL: refuse it in the path or query string with a 422."""

    def __init__(self, app):  # noqa: ANN001
        self.app = app

    async def __call__(self, scope, receive, send):  # noqa: ANN001
        if scope["type"] == "http" and ("\x00" in scope["path"] or b"%00" in scope.get("query_string", b"")):
            body = json.dumps(problem_body(422, "validation_error", "数据校验未通过", "地址或查询参数不能包含 NUL（%00）字符。"),
                              ensure_ascii=False).encode()
            await send({"type": "http.response.start", "status": 422, "headers": [
                (b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


class SecurityHeadersMiddleware:
    def __init__(self, app):  # noqa: ANN001
        self.app = app

    async def __call__(self, scope, receive, send):  # noqa: ANN001
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                extra = {
                    b"content-security-policy": CSP.encode(),
                    b"x-content-type-options": b"nosniff",
                    b"x-frame-options": b"DENY",
                    b"referrer-policy": b"same-origin",
                    b"vary": VARY.encode(),
                }
                if scope["path"].startswith("/api/") or scope["path"] not in ("/healthz", "/readyz"):
                    extra[b"cache-control"] = b"no-store"
                if scope["path"].startswith("/static/"):
                    extra[b"cache-control"] = b"public, max-age=3600"
                for k, v in extra.items():
                    if k not in present:
                        headers.append((k, v))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
