from datetime import datetime

from sqlalchemy import BigInteger, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.db import utcnow


class RosterEntry(SQLModel, table=True):
    """统计部门规上工业企业名录: one enterprise in one year's roster. The statistics bureau's
    roster is the authority on 首次升规 and on revenue."""

    __tablename__ = "roster_entry"
    __table_args__ = (
        UniqueConstraint("uscc", "year"),
        Index("ix_roster_entry_year_district", "year", "district_code"),  # a year's roster per district, counted from the index
    )
    id: int | None = Field(default=None, primary_key=True)
    uscc: str = Field(max_length=18)
    year: int
    name: str = Field(max_length=200)
    district_code: str = Field(max_length=6, index=True)
    industry_code: str = Field(max_length=4)
    first_included: str = Field(max_length=7)  # YYYY-MM
    main_revenue_fen: int = Field(sa_type=BigInteger)
    imported_at: datetime = Field(default_factory=utcnow)
