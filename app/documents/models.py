from datetime import datetime

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel

from app.core.db import utcnow

DOCUMENT_KINDS = {
    "application_report": "申请报告",
    "business_license": "营业执照副本",
    "financial_statement": "财务报表",
    "bank_receipt": "银行电子回单",
    "other": "其他材料",
}


class Document(SQLModel, table=True):
    """申报材料 or 回单. The file lives under the storage directory by a generated key; the
    row is written only after the file is durably on disk."""

    id: int | None = Field(default=None, primary_key=True)
    application_id: int | None = Field(default=None, foreign_key="application.id", index=True)
    payment_id: int | None = Field(default=None, foreign_key="payment.id", index=True)
    kind: str = Field(max_length=32)
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=100)
    size: int = Field(sa_type=BigInteger)
    sha256: str = Field(max_length=64)
    storage_key: str = Field(max_length=100, unique=True)
    uploaded_by: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=utcnow)
