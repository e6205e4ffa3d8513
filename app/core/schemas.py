"""The base of every request body."""

from pydantic import BaseModel, ConfigDict, field_validator


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


class InputModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        if _has_nul(value):
            raise ValueError("不能包含 NUL（\\u0000）字符")
        return value
