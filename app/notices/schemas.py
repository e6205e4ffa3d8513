"""Request and response bodies of the notice routes (table models never are)."""

import datetime as dt
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.core.schemas import InputModel, IsoDate, line, text

RowId = Annotated[int, Field(ge=1, le=2_147_483_647)]


class _Body(InputModel):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- requests


class NoticeCreate(_Body):
    title: line(200) = Field(examples=["2023年度“小升规”专项奖补资金拟奖补企业名单公示"])
    starts_on: IsoDate = Field(description="公示开始日期（计入公示期）")
    working_days: int | None = Field(default=None, ge=1, le=60, description="公示期（工作日），省略则取项目设置（默认 5）")
    channels: list[line(50)] | None = Field(
        default=None, max_length=10, description="公示渠道，如 市工信局门户网站、政务公开栏；省略则为本系统公示页面"
    )


class ObjectionCreate(_Body):
    application_id: RowId = Field(description="被提出异议的公示企业（申报编号）")
    objector_name: line(100) = Field(description="异议人姓名或单位")
    contact: line(100) = Field(description="联系电话或电子邮箱")
    content: text(2000) = Field(description="异议内容及事实依据")
    channel: Literal["online", "letter", "phone"] | None = Field(
        default=None, description="市工信局登记来信（letter）、来电（phone）时必填；公众在线提交一律为 online"
    )


class ObjectionResolve(_Body):
    upheld: bool = Field(description="true：异议成立（该企业不予奖补）；false：异议不成立")
    note: text(2000, required=False) = Field(default="", description="核查处理意见（必填）")


class WorkdayIn(_Body):
    is_workday: bool = Field(description="false：放假；true：调休上班")
    name: line(50, required=False) = Field(default="", examples=["元旦"])


# ---------------------------------------------------------------- responses


class NoticeEntryPublic(BaseModel):
    application_id: int
    enterprise_name: str
    uscc: str
    district_code: str
    district_name: str
    award: str = Field(description="奖补金额合计（元），两位小数", examples=["200000.00"])
    status: str = Field(description="申报当前状态")
    outcome: Literal["approved", "rejected"] | None = Field(description="公示结束时的结果")


class ObjectionPublic(BaseModel):
    id: int
    notice_id: int
    application_id: int
    enterprise_name: str
    objector_name: str
    contact: str
    content: str
    channel: Literal["online", "letter", "phone"]
    recorded_by: str | None
    created_at: str = Field(description="ISO 8601 UTC")
    state: Literal["pending", "upheld", "dismissed"]
    upheld: bool | None
    resolution_note: str | None
    resolved_by: str | None
    resolved_at: str | None


class NoticeSummary(BaseModel):
    id: int
    program_code: str
    title: str
    starts_on: date
    ends_on: date
    working_days: int
    channels: list[str]
    status: Literal["open", "closed"]
    version: int
    entry_count: int
    total_award: str = Field(description="奖补金额总计（元）")
    pending_objections: int
    created_by: str
    created_at: str
    closed_at: str | None


class NoticePublic(NoticeSummary):
    entries: list[NoticeEntryPublic]
    objections: list[ObjectionPublic]


class NoticePage(BaseModel):
    items: list[NoticeSummary]
    next_cursor: str | None


class WorkdayPublic(BaseModel):
    date: dt.date
    is_workday: bool | None = Field(description="null：该年节假日安排尚未录入")
    source: Literal["override", "calendar", "weekday", "missing"] = Field(
        description="override 节假日表；calendar 国务院放假安排（chinesecalendar）；weekday 该年已开始录入、未列日期按周一至周五上班；missing 尚未录入"
    )
    name: str
    entered_by: str | None


class WorkdayYear(BaseModel):
    year: int
    calendar_known: bool = Field(description="chinesecalendar 是否已包含该年的放假安排")
    entered: bool = Field(description="节假日表中是否已有该年的记录")
    items: list[WorkdayPublic]
