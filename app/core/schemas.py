"""The base of every request body."""

import re
from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator

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


_LINE_BREAK = re.compile(r"[\r\n\t]")


# Surrounding spaces are trimmed after the length check, so that what the schema refuses
# is refused (a 201-character title stays too long even if it ends in spaces).
def _plain_text(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("不能包含控制字符")
    return value.strip()


def _one_line(value: str) -> str:
    if _CONTROL.search(value) or _LINE_BREAK.search(value):
        raise ValueError("不能包含换行或控制字符")
    return value.strip()


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("不能为空")
    return value


def line(max_length: int, *, required: bool = True):  # noqa: ANN201 - an Annotated type
    """One line of text: the length checked on what was sent, then trimmed (and, when
    required, refused if nothing but spaces)."""
    checks = [AfterValidator(_one_line)] + ([AfterValidator(_not_blank)] if required else [])
    return Annotated[str, Field(min_length=1 if required else 0, max_length=max_length), *checks]


def text(max_length: int, *, required: bool = True):  # noqa: ANN201 - an Annotated type
    checks = [AfterValidator(_plain_text)] + ([AfterValidator(_not_blank)] if required else [])
    return Annotated[str, Field(min_length=1 if required else 0, max_length=max_length), *checks]


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _date_text(value: object) -> object:
    # pydantic would take 0 or "0" for 1970-01-01; the API carries dates as YYYY-MM-DD only.
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DATE.match(value)):
        return value
    raise ValueError("日期格式应为 YYYY-MM-DD")


IsoDate = Annotated[date, BeforeValidator(_date_text)]
