"""The OpenAPI document tells the truth about errors."""

from fastapi import FastAPI

PROBLEM_SCHEMA = {
    "type": "object", "title": "Problem", "required": ["type", "title", "status", "detail"],
    "properties": {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                   "detail": {"type": "string"},
                   "errors": {"type": "array", "items": {"type": "object", "required": ["loc", "msg", "code"], "properties": {
                       "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                       "msg": {"type": "string"}, "code": {"type": "string"}}}}},
}
def problem(description: str) -> dict:
    """A route's documented 4xx (`responses={404: problem("不存在")}`); document_problems()
    gives every 4xx of the API its problem+json content."""
    return {"description": description}


_ALWAYS = {"401": "未登录或凭证无效", "403": "无权执行此操作", "422": "数据校验未通过"}


def document_problems(app: FastAPI) -> None:
    """Every 4xx of the API is problem+json: say so in /openapi.json, for every route
    (401/403/422 always, 400 where there is a body), instead of FastAPI's default 422 shape."""

    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        schema = FastAPI.openapi(app)
        schema["components"]["schemas"]["Problem"] = PROBLEM_SCHEMA
        content = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
        for path, operations in schema["paths"].items():
            if not path.startswith("/api/"):
                continue
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                wanted = dict(_ALWAYS, **({"400": "请求体无法解析"} if "requestBody" in operation else {}))
                for status, description in wanted.items():
                    responses.setdefault(status, {"description": description})
                for status, response in responses.items():
                    if status.startswith("4"):
                        response["content"] = content
        for name in ("HTTPValidationError", "ValidationError"):
            schema["components"]["schemas"].pop(name, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi
