from datetime import datetime

from sqlmodel import Field, SQLModel

from app.core.db import utcnow


class Enterprise(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    uscc: str = Field(max_length=18, unique=True)
    name: str = Field(max_length=200, index=True)
    district_code: str = Field(foreign_key="district.code", max_length=6, index=True)
    industry_code: str = Field(max_length=4)
    address: str = Field(default="", max_length=300)
    legal_representative: str = Field(default="", max_length=100)
    contact_name: str = Field(default="", max_length=100)
    contact_phone: str = Field(default="", max_length=50)
    bank_name: str = Field(default="", max_length=100)
    bank_account: str = Field(default="", max_length=64)  # sensitive: masked outside finance
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
