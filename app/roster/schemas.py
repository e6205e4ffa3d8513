"""Request and response shapes of the roster routes (the table model is never one of them)."""

from pydantic import BaseModel, Field

from app.core.money import YUAN_PATTERN


class RejectedRow(BaseModel):
    row: int = Field(description="电子表格中的行号（表头为第 1 行）", examples=[3])
    errors: list[str] = Field(description="未导入的原因", examples=[["统一社会信用代码校验位不正确（GB 32100-2015）"]])


class RosterImportResult(BaseModel):
    imported: int = Field(description="新增的名录行数")
    updated: int = Field(description="按统一社会信用代码与年份更新的已有行数")
    rejected: list[RejectedRow] = Field(description="未导入的行及原因")


class RosterEntryPublic(BaseModel):
    year: int
    name: str
    district_code: str
    industry_code: str
    first_included: str = Field(description="入库年月 YYYY-MM", examples=["2023-06"])
    main_revenue: str = Field(description="主营业务收入（元，两位小数）", pattern=YUAN_PATTERN, examples=["35200000.00"])


class EnterpriseRoster(BaseModel):
    uscc: str
    entries: list[RosterEntryPublic] = Field(description="按年份升序")

