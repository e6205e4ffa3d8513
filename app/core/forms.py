"""Request bodies that arrive as JSON (the API) or as a browser form (htmx posts forms
url-encoded, and the pages run no script of their own under the CSP): one dependency
parses either into the same pydantic model, so a page and a district system go through
the same route and the same service."""

from dataclasses import dataclass, field
from typing import Any, TypeVar, get_args, get_origin

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from app.core.errors import problem_body, validation_errors
from app.core.htmx import wants_fragment

Model = TypeVar("Model", bound=BaseModel)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass(frozen=True)
class InlineProblem:
    """A public form's validation error, answered next to the form instead of in the
    page's flash region (which may be scrolled out of sight)."""

    errors: list[dict]  # pydantic's, with "body" in front of each loc
    labels: dict[str, str] = field(default_factory=dict)  # field name → its label on the form

    def body(self) -> dict:
        shown = validation_errors(self.errors)
        fields = "；".join(f"{self.labels.get(str(e['loc'][-1]), e['loc'][-1])}：{e['msg']}" for e in shown[:5])
        return problem_body(422, "validation_error", "数据校验未通过", f"请检查填写内容：{fields}。", shown)


def _is_list(annotation: Any) -> bool:
    return get_origin(annotation) is list or any(get_origin(a) is list for a in get_args(annotation))


def _is_dict(annotation: Any) -> bool:
    return get_origin(annotation) is dict or any(get_origin(a) is dict for a in get_args(annotation))


def form_data(form: Any, model: type[BaseModel]) -> dict[str, Any]:
    """A submitted form as the model's JSON body: a field is its last value (an empty one
    means "not given" unless the field is required), a list field every non-empty value,
    and a dict field the non-empty entries named `field.key` (`answers.policy_awareness`)."""
    data: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if _is_dict(info.annotation):
            prefix = f"{name}."
            entries = {key[len(prefix):]: value for key, value in form.multi_items()
                       if key.startswith(prefix) and isinstance(value, str) and value.strip()}
            if entries:
                data[name] = entries
            continue
        values = [v for v in form.getlist(name) if isinstance(v, str)]
        if _is_list(info.annotation):
            if any(v.strip() for v in values):
                data[name] = [v for v in values if v.strip()]
        elif values and (values[-1] != "" or info.is_required()):
            data[name] = values[-1]
    return data


def request_body(model: type[Model], *, inline_for_htmx: bool = False, labels: dict[str, str] | None = None):  # noqa: ANN201
    """(dependency, openapi_extra): parse the body as JSON or as form fields into `model`.

    With `inline_for_htmx`, an htmx request's validation error comes back as an
    `InlineProblem` for the route to answer beside its form; otherwise it is the usual 422."""

    async def parse(request: Request) -> Model | InlineProblem:
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        try:
            if ctype in FORM_TYPES:
                return model.model_validate(form_data(await request.form(), model))
            return model.model_validate_json(await request.body())
        except ValidationError as exc:
            errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False, include_context=False)]
            if inline_for_htmx and wants_fragment(request):
                return InlineProblem(errors, labels or {})
            raise RequestValidationError(errors) from None

    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    openapi = {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}
    return Depends(parse), openapi
