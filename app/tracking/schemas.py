"""Response bodies of post-award tracking (保规跟踪)."""

from typing import Annotated

from pydantic import BaseModel, Field

Rate = Annotated[float | None, Field(description="保规率（%），四舍五入保留两位小数；获奖补企业为 0 时为 null，原因见 rate_note",
                                     examples=[92.68])]
Money = Annotated[str, Field(description="金额（元），两位小数", examples=["35200000.00"])]


class ProgramRef(BaseModel):
    code: str
    title: str
    cohort_year: int


class DistrictRef(BaseModel):
    code: str
    name: str


class PendingDistrict(BaseModel):
    """A district that has not imported the year's roster: its enterprises are left out."""

    code: str
    name: str
    awarded: Annotated[int, Field(description="该区县的获奖补企业数（本年度不计入）")]
    note: str


class DistrictRetention(BaseModel):
    code: str
    name: str
    awarded: int
    retained: int
    dropped: int
    rate: Rate
    rate_note: str | None


class RevenuePoint(BaseModel):
    year: Annotated[int, Field(description="名录年度")]
    main_revenue: Money


class Dropout(BaseModel):
    uscc: str
    name: str
    district_code: str
    district_name: str
    declared_revenue: Annotated[str, Field(description="在本项目申报的营业收入（元）", examples=["35200000.00"])]
    revenues: Annotated[list[RevenuePoint], Field(description="该企业历年名录中的主营业务收入（含入库前、入库当年）")]


class YearRetention(BaseModel):
    year: int
    awarded: Annotated[int, Field(description="计入本年度的获奖补企业数（不含待导入区县）")]
    retained: int
    dropped: int
    rate: Rate
    rate_note: str | None
    pending_districts: list[PendingDistrict]
    districts: list[DistrictRetention]
    dropouts: list[Dropout]


class Retention(BaseModel):
    program: ProgramRef
    district: Annotated[DistrictRef | None, Field(description="统计范围：某区县；null 为全市")]
    awarded: Annotated[int, Field(description="获奖补企业数（已拨付且未退回）")]
    years: Annotated[list[YearRetention], Field(description="入库年度之后的各名录年度，按年度升序；尚无则为空")]
    note: str
