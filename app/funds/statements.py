"""Routes for statements: reconciliation against a treasury or bank statement, and the
payments.xlsx export. Thin — parse, call the service, answer."""

from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Path, Request, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from app.core.db import SessionDep
from app.core.htmx import wants_fragment
from app.core.templating import templates
from app.core.openapi import problem as _problem
from app.funds import exports, reconciliation
from app.programs.service import get_program
from app.users.auth import OFFICIALS, Principal, require_roles
from app.users.models import Role

router = APIRouter(prefix="/api/v1", tags=["funds"])

Code = Annotated[str, Path(max_length=32, description="项目编号，如 XSG-2023")]
Finance = Annotated[Principal, Depends(require_roles(Role.finance))]
ExportReader = Annotated[Principal, Depends(require_roles(*OFFICIALS, Role.auditor))]


PROBLEMS = {
    401: _problem("未登录或凭证无效"),
    403: _problem("角色或区县无权"),
    404: _problem("项目不存在"),
}

# ---------------------------------------------------------------- reconciliation


class Difference(BaseModel):
    field: Literal["amount", "date", "payee_account"] = Field(description="不一致的字段：金额、日期或收款账号")
    ours: str = Field(description="系统支付记录中的值")
    theirs: str = Field(description="对账单中的值")


class PaymentLine(BaseModel):
    payment_id: int
    application_id: int
    enterprise_name: str
    level: str = Field(description="级次：city 市级、district 区县级")
    voucher_no: str = Field(description="系统记录的支付凭证号")
    payee_account: str = Field(description="收款账号（财政部门可见全号，其他角色脱敏）")
    amount: str = Field(description="系统记录的金额（元）", examples=["100000.00"])
    date: str = Field(description="系统记录的支付日期 YYYY-MM-DD")


class MatchedLine(PaymentLine):
    row: int = Field(description="对账单中的行号（表头所在行之后按电子表格行号计）")


class MismatchedLine(MatchedLine):
    differences: list[Difference]


class UnknownLine(BaseModel):
    row: int
    voucher_no: str
    payee_account: str
    amount: str
    date: str
    reason: Literal["voucher_not_found", "account_not_found", "duplicate", "returned"]
    note: str = Field(description="原因的中文说明")
    payment_id: int | None = Field(default=None, description="重复或已退回时所对应的支付记录")


class RejectedRow(BaseModel):
    row: int
    errors: list[str]


class ReconciliationCounts(BaseModel):
    statement_rows: int = Field(description="对账单数据行数（不含表头和空行）")
    payments: int = Field(description="核对范围内状态为已支付的支付笔数")
    matched: int
    mismatched: int
    missing: int
    unknown: int
    rejected: int


class ReconciliationTotals(BaseModel):
    statement: str = Field(description="对账单有效行金额合计（元）")
    payments: str = Field(description="核对范围内已支付金额合计（元）")
    matched: str = Field(description="完全相符的支付金额合计（元）")


class ReconciliationReport(BaseModel):
    program_code: str
    level: Literal["city", "district"] | None = Field(description="核对的级次；null 表示市级与区县级全部")
    district_code: str | None = Field(description="区县财政只核对本区县的区县级支付")
    filename: str
    format: Literal["csv", "xlsx"]
    sha256: str = Field(description="对账单文件的 SHA-256，同时记入审计日志")
    counts: ReconciliationCounts
    totals: ReconciliationTotals
    matched: list[MatchedLine] = Field(description="凭证号、收款账号、金额、日期全部相符")
    mismatched: list[MismatchedLine] = Field(description="对应到支付记录，但金额、日期或收款账号不一致")
    missing: list[PaymentLine] = Field(description="已支付但对账单中没有的支付")
    unknown: list[UnknownLine] = Field(description="对账单中对应不到任何已支付记录的行")
    rejected: list[RejectedRow] = Field(description="无法解析的行及原因")


STATEMENT_FORMAT = """
上传国库集中支付或银行的对账单，与本项目状态为“已支付”的支付记录逐笔核对。

**文件格式**（表单字段 `file`）：CSV（UTF-8，可带 BOM；或 GBK/GB18030；逗号或制表符分隔）或 XLSX（读取第一个工作表），
按内容识别格式，不看扩展名；不支持旧版 .xls。表头须在前 10 行内（其上可有标题行），中文或英文列名均可，列顺序不限，
其他列忽略：

| 列 | 中文列名（任一） | 英文列名 | 格式 |
| --- | --- | --- | --- |
| 凭证号 | 凭证号、支付凭证号、凭证编号 | `voucher_no` | 文本，最多 64 个字符；不区分大小写，忽略空格 |
| 收款账号 | 收款账号、收款帐号、收款人账号、收款账户 | `payee_account` | 文本（忽略空格和“-”）；XLSX 中请设为文本列，超过 15 位的数字单元格会丢失精度而被拒绝 |
| 金额 | 金额（元）、金额、支付金额（元）、支付金额 | `amount` | 以元为单位的正数，最多两位小数，可带千分位逗号和 ¥，如 `100000.00`、`100,000.00` |
| 日期 | 日期、支付日期、交易日期 | `date` | `YYYY-MM-DD`（也接受 `YYYY/MM/DD`、`YYYYMMDD`，时间部分忽略）；XLSX 日期单元格亦可 |

示例（CSV）：

```
凭证号,收款账号,金额（元）,日期
GK2024080800001,6217000012345678,100000.00,2024-08-08
```

**核对规则**：同一国库支付凭证可能包含一批支付，因此以（凭证号，收款账号）对应支付记录，再比较金额和日期。
四项全部相符为 `matched`；对应到支付记录但金额、日期或收款账号不同为 `mismatched`（`differences` 列出各字段的本系统值
`ours` 与对账单值 `theirs`；收款账号不同仅在该凭证下只剩一笔未对上的支付、且只有一行对不上时才能对应）；
已支付但对账单中没有的为 `missing`；对账单中对不上任何支付的行为 `unknown`（`reason`：`voucher_not_found` 凭证号不在
本项目支付记录中，`account_not_found` 收款账号无法对应，`duplicate` 同一笔支付重复出现，`returned` 对应支付已登记退回）；
无法解析的行连同行号和原因列入 `rejected`，不影响其他行。

**范围**：仅财政部门可用。市级财政默认核对本项目全部级次，可用表单字段 `level`（`city` 或 `district`）限定；
区县财政只核对本区县的区县级支付。每次核对写入一条审计事件 `payments.reconcile`（含文件 SHA-256 与各项计数）。
文件不超过 20 MB。
"""


@router.post(
    "/programs/{code}/reconciliations",
    response_model=ReconciliationReport,
    summary="支付对账：导入国库或银行对账单（CSV 或 XLSX）",
    description=STATEMENT_FORMAT,
    responses={**PROBLEMS, 413: _problem("文件超过上传上限"), 422: _problem("文件无法读取、缺少表头列或参数无效")},
)
def reconcile_statement(
    code: Code,
    request: Request,
    session: SessionDep,
    principal: Finance,
    file: Annotated[UploadFile, File(description="对账单：CSV（UTF-8 或 GBK）或 XLSX，格式见接口说明")],
    level: Annotated[Literal["city", "district"] | None, Form(description="只核对该级次：city 市级、district 区县级")] = None,
) -> JSONResponse:
    program = get_program(session, code)
    # file.file is the spooled upload: the service reads it row by row, never whole.
    report = reconciliation.reconcile(
        session, program=program, principal=principal, filename=file.filename, fileobj=file.file, level=level
    )
    # The report of a national programme lists some 50,000 lines: encode the plain dicts the
    # service built (their shape is the response model above, checked by the tests) instead of
    # building a model object per line first.
    if wants_fragment(request):
        return templates.TemplateResponse(request, "pages/funds/_reconciliation.html", {"report": report})
    return JSONResponse(report)


# ---------------------------------------------------------------- payments.xlsx


def content_disposition(filename: str, ascii_filename: str) -> str:
    """`attachment` with an ASCII fallback and the UTF-8 name per RFC 5987/6266."""
    return f"attachment; filename=\"{ascii_filename}\"; filename*=UTF-8''{quote(filename, safe='')}"


@router.get(
    "/programs/{code}/payments.xlsx",
    response_class=StreamingResponse,
    summary="拨付明细（XLSX）",
    description="本项目的全部支付记录（含已退回），一行一笔：序号、申报编号、企业名称、统一社会信用代码、区县、级次、"
    "金额（元，数值单元格，两位小数）、凭证号、支付日期、收款银行、收款账号、状态、回单。收款账号仅财政部门可见全号，"
    "其他角色脱敏；区县用户只导出本区县的记录。以附件下载，文件名如 XSG-2023-拨付明细.xlsx。",
    responses={
        200: {"description": "拨付明细电子表格，Content-Disposition: attachment",
              "content": {exports.XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}}},
        **PROBLEMS,
    },
)
def payments_xlsx(code: Code, session: SessionDep, principal: ExportReader) -> StreamingResponse:
    program = get_program(session, code)
    export = exports.payments_xlsx(session, program, principal)
    return StreamingResponse(
        export.chunks(),
        media_type=exports.XLSX_MEDIA_TYPE,
        headers={
            "Content-Disposition": content_disposition(export.filename, export.ascii_filename),
            "Content-Length": str(export.size),
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
