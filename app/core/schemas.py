"""The base of every request body."""

import re

from pydantic import BaseModel, ConfigDict, field_validator

# NUL cannot be stored by PostgreSQL; the other C0 controls break XLSX exports and print
# pages. Tab, line feed and carriage return stay allowed in free text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _has_control(value: object) -> bool:
    if isinstance(value, str):
        return _CONTROL.search(value) is not None
    if isinstance(value, list):
        return any(_has_control(item) for item in value)
    return False


class InputModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_control_characters(cls, value: object) -> object:
        if _has_control(value):
            raise ValueError("不能包含控制字符（如 NUL）")
        return value
