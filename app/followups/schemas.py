"""Request and response bodies of the follow-up service (跟踪服务) routes."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.core.schemas import InputModel, IsoDate, text
from app.followups.models import FOLLOW_UP_KINDS

FOLLOW_UP_STATUSES = {"open": "待办结", "resolved": "已办结"}

_KINDS_ZH = "、".join(f"{code}（{name}）" for code, name in FOLLOW_UP_KINDS.items())
_STATUSES_ZH = "、".join(f"{code}（{name}）" for code, name in FOLLOW_UP_STATUSES.items())


Needs = Annotated[text(2000), Field(description="企业提出的需求和问题")]
Notes = Annotated[text(2000, required=False), Field(description="服务情况、办理说明")]
# The enum is in the schema for clients; the validator answers in Chinese with the choices.
Kind = Annotated[str, Field(description="服务方式：" + _KINDS_ZH, json_schema_extra={"enum": list(FOLLOW_UP_KINDS)})]
Status = Annotated[str, Field(description="open 待办结；resolved 已办结", json_schema_extra={"enum": list(FOLLOW_UP_STATUSES)})]




def _check_kind(value: str) -> str:
    if value not in FOLLOW_UP_KINDS:
        raise ValueError(f"服务方式应为以下之一：{_KINDS_ZH}")
    return value


def _check_status(value: str | None) -> str | None:
    if value is not None and value not in FOLLOW_UP_STATUSES:
        raise ValueError(f"状态应为以下之一：{_STATUSES_ZH}")
    return value


class _Body(InputModel):
    # Free text is trimmed after its length is checked (text()), so that what the schema
    # refuses is refused.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class FollowUpCreate(_Body):
    occurred_on: Annotated[IsoDate, Field(description="服务日期（不得晚于今天，北京时间）")]
    kind: Kind
    needs: Needs
    notes: Notes = ""
    status: Status = "open"
    program_code: Annotated[str | None, Field(max_length=32, description="关联的奖补项目编号（可选）")] = None

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        return _check_kind(value)

    @field_validator("status")
    @classmethod
    def _status(cls, value: str) -> str:
        return _check_status(value)


class FollowUpUpdate(_Body):
    status: Annotated[Status | None, Field(description="resolved 办结（默认办结日期为今天）；open 重新打开")] = None
    notes: Notes | None = None
    resolved_on: Annotated[IsoDate | None, Field(description="办结日期，仅在办结时填写；默认今天（北京时间）")] = None

    @field_validator("status")
    @classmethod
    def _status(cls, value: str | None) -> str | None:
        return _check_status(value)


class FollowUpPublic(BaseModel):
    id: int
    uscc: str
    enterprise_name: str
    district_code: str
    program_code: str | None
    occurred_on: str
    kind: str
    kind_name: str
    needs: str
    notes: str
    status: str
    status_name: str
    created_by: str
    created_at: str
    resolved_on: str | None
    resolved_by: str | None
    updated_at: str


class FollowUpPage(BaseModel):
    items: list[FollowUpPublic]
    next_cursor: str | None
