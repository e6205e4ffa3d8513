"""Request and response bodies of the programme routes (table models never are)."""

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from app.core.money import Yuan
from app.core.schemas import InputModel, IsoDate
from app.programs.indicator_templates import DEFAULT_TEMPLATE, TEMPLATES

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9-]{0,31}$"
_CODE = re.compile(CODE_PATTERN)
_DISTRICT = re.compile(r"^\d{6}$")
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")

Year = Annotated[int, Field(ge=2000, le=2100, description="年份，如 2023")]
Level = Literal["city", "district"]
Op = Literal[">=", "=", "<="]
Kind = Literal["quantitative", "qualitative"]


class _Body(InputModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# ---------------------------------------------------------------- programme


class AwardIn(_Body):
    level: Level = Field(description="city 市级 / district 区级")
    amount: Yuan = Field(description="每家企业的奖补金额（元）")
    required_roster_year: Year | None = Field(
        default=None, description="分期兑付时，企业须仍在该年度规上名录中方可领取本档奖补"
    )

    @field_validator("amount")
    @classmethod
    def _positive(cls, fen: int) -> int:
        if fen <= 0:
            raise ValueError("奖补金额须大于 0")
        return fen


class PolicyDocumentIn(_Body):
    document_no: str = Field(min_length=1, max_length=100, description="文号，如 乌工信运行〔2024〕10号")
    title: str = Field(min_length=1, max_length=300)
    issued_on: IsoDate | None = None


class ProgramCreate(_Body):
    code: str = Field(
        json_schema_extra={"pattern": CODE_PATTERN, "maxLength": 32, "examples": ["XSG-2023"]},
        description="项目编号：字母、数字和短横线，最长 32 个字符",
    )
    title: str = Field(min_length=1, max_length=200)
    cohort_year: Year = Field(description="首次升规年度")
    budget_year: Year = Field(description="预算年度")
    revenue_threshold: Yuan = Field(description="主营业务收入门槛（元）")
    awards: list[AwardIn] = Field(
        max_length=2, json_schema_extra={"minItems": 1}, description="奖补档次：至少一档，每个级别至多一档"
    )
    city_budget: Yuan = Field(description="市本级预算（元）")
    target_enterprise_count: int = Field(ge=1, le=100_000, description="计划奖补企业数")
    application_opens_on: IsoDate
    application_closes_on: IsoDate
    notice_working_days: int = Field(default=5, ge=1, le=60, description="公示期（工作日）")
    payment_deadline: IsoDate = Field(description="资金拨付截止日期")
    template: str = Field(default=DEFAULT_TEMPLATE, description=f"指标表模板：{'、'.join(TEMPLATES)}")
    district_codes: list[str] | None = Field(
        default=None, min_length=1, max_length=100, description="覆盖的区县代码；省略则为全市所有区县"
    )
    policy_documents: list[PolicyDocumentIn] = Field(default_factory=list, max_length=50)

    @field_validator("code")
    @classmethod
    def _code(cls, code: str) -> str:
        if not _CODE.match(code):
            raise ValueError("项目编号只能由字母、数字和短横线组成，以字母或数字开头，最长 32 个字符，如 XSG-2023")
        return code

    @field_validator("revenue_threshold")
    @classmethod
    def _threshold(cls, fen: int) -> int:
        if fen <= 0:
            raise ValueError("营业收入门槛须大于 0")
        return fen

    @field_validator("city_budget")
    @classmethod
    def _budget(cls, fen: int) -> int:
        if fen <= 0:
            raise ValueError("市本级预算须大于 0")
        return fen

    @field_validator("awards")
    @classmethod
    def _awards(cls, awards: list[AwardIn]) -> list[AwardIn]:
        if not awards:
            raise ValueError("至少需要设置一个奖补档次（awards）")
        levels = [a.level for a in awards]
        if len(set(levels)) != len(levels):
            raise ValueError("奖补档次的级别不能重复（city、district 各至多一档）")
        return awards

    @field_validator("template")
    @classmethod
    def _template(cls, template: str) -> str:
        if template not in TEMPLATES:
            raise ValueError(f"未知的指标表模板：{template}（可选：{'、'.join(TEMPLATES)}）")
        return template

    @field_validator("district_codes")
    @classmethod
    def _districts(cls, codes: list[str] | None) -> list[str] | None:
        if codes is None:
            return None
        bad = [c for c in codes if not _DISTRICT.match(c)]
        if bad:
            raise ValueError(f"区县代码应为 6 位数字：{'、'.join(bad)}")
        if len(set(codes)) != len(codes):
            raise ValueError("区县代码不能重复")
        return codes

    @field_validator("budget_year")
    @classmethod
    def _budget_year(cls, year: int, info: ValidationInfo) -> int:
        cohort = info.data.get("cohort_year")
        if cohort is not None and year < cohort:
            raise ValueError("预算年度（budget_year）不能早于首次升规年度（cohort_year）")
        return year

    @field_validator("application_closes_on")
    @classmethod
    def _window(cls, closes: date, info: ValidationInfo) -> date:
        opens = info.data.get("application_opens_on")
        if opens is not None and opens > closes:
            raise ValueError("申报开始日期（application_opens_on）不能晚于截止日期（application_closes_on）")
        return closes

    @field_validator("payment_deadline")
    @classmethod
    def _deadline(cls, deadline: date, info: ValidationInfo) -> date:
        closes = info.data.get("application_closes_on")
        if closes is not None and deadline < closes:
            raise ValueError("资金拨付截止日期（payment_deadline）不能早于申报截止日期（application_closes_on）")
        return deadline


class AwardPublic(BaseModel):
    level: Level
    amount: str = Field(description="元，两位小数", examples=["100000.00"])
    required_roster_year: int | None


class PolicyDocumentPublic(BaseModel):
    document_no: str
    title: str
    issued_on: date | None


class GradeBand(BaseModel):
    grade: str = Field(examples=["优"])
    min_score: int = Field(description="总分不低于此值即为该等级", examples=[90])


class ProgramPublic(BaseModel):
    code: str
    title: str
    cohort_year: int
    budget_year: int
    revenue_threshold: str = Field(examples=["20000000.00"])
    awards: list[AwardPublic]
    city_budget: str = Field(examples=["4100000.00"])
    target_enterprise_count: int
    application_opens_on: date | None
    application_closes_on: date | None
    notice_working_days: int
    payment_deadline: date | None
    template: str
    status: str
    district_codes: list[str]
    policy_documents: list[PolicyDocumentPublic]
    grade_bands: list[GradeBand]
    version: int
    created_at: str = Field(description="ISO 8601 UTC")


class ProgramPage(BaseModel):
    items: list[ProgramPublic]
    next_cursor: str | None


# ---------------------------------------------------------------- indicator table


class TargetIn(_Body):
    op: Op
    value: Decimal = Field(ge=0, max_digits=18, decimal_places=4, description="目标值（JSON 数字，按指标单位）")
    unit: str = Field(min_length=1, max_length=20, examples=["%", "家", "万元/家"])


class IndicatorIn(_Body):
    key: str = Field(json_schema_extra={"pattern": _KEY.pattern, "maxLength": 64})
    level1: str = Field(min_length=1, max_length=20, description="一级指标")
    level2: str = Field(min_length=1, max_length=40, description="二级指标")
    name: str = Field(min_length=1, max_length=100, description="三级指标")
    weight: int = Field(ge=0, le=100, description="分值（整数）")
    kind: Kind
    target: TargetIn | None = None
    checkpoints: str = Field(default="", max_length=5000, description="评价要点 / 指标说明")
    explanation: str = Field(default="", max_length=5000, description="指标解释")

    @field_validator("key")
    @classmethod
    def _key(cls, key: str) -> str:
        if not _KEY.match(key):
            raise ValueError("指标 key 须以小写字母开头，只含小写字母、数字和下划线，最长 64 个字符")
        return key

    @model_validator(mode="after")
    def _target_matches_kind(self) -> "IndicatorIn":
        if self.kind == "quantitative" and self.target is None:
            raise ValueError(f"定量指标 {self.key} 须设定目标值 target")
        if self.kind == "qualitative" and self.target is not None:
            raise ValueError(f"定性指标 {self.key} 不设目标值，请将 target 置为 null")
        return self


class IndicatorTableUpdate(_Body):
    indicators: list[IndicatorIn] = Field(min_length=1, max_length=60, description="完整的指标表（按顺序）")

    @field_validator("indicators")
    @classmethod
    def _table(cls, rows: list[IndicatorIn]) -> list[IndicatorIn]:
        seen: set[str] = set()
        duplicates = []
        for row in rows:
            if row.key in seen and row.key not in duplicates:
                duplicates.append(row.key)
            seen.add(row.key)
        if duplicates:
            raise ValueError(f"指标 key 重复：{'、'.join(duplicates)}")
        total = sum(row.weight for row in rows)
        if total != 100:
            raise ValueError(f"各指标分值之和须为 100，当前为 {total}")
        return rows


class TargetPublic(BaseModel):
    op: Op
    value: int | float = Field(description="JSON 数字，按指标单位")
    unit: str | None


class IndicatorPublic(BaseModel):
    key: str
    level1: str
    level2: str
    name: str
    weight: int
    kind: str
    target: TargetPublic | None
    checkpoints: str
    explanation: str


class IndicatorTable(BaseModel):
    program_code: str
    version: int = Field(description="项目版本；修改指标表会使其加一")
    template: str
    grade_bands: list[GradeBand]
    indicators: list[IndicatorPublic]
