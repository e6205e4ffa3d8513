from typing import Annotated

from fastapi import APIRouter, Depends, File, UploadFile

from app.core.db import SessionDep
from app.core.money import fen_to_yuan
from app.roster import service
from app.roster.schemas import EnterpriseRoster, RejectedRow, RosterEntryPublic, RosterImportResult
from app.users.auth import OFFICIALS, Principal, require_roles
from app.users.models import Role

router = APIRouter(prefix="/api/v1", tags=["roster"])


_PROBLEMS = {
    401: "未登录或令牌无效（problem+json）",
    403: "角色无权（problem+json）",
    404: "统计名录中没有该企业（problem+json）",
    413: "文件超过上传上限（problem+json）",
    422: "文件或参数校验未通过（problem+json）",
}


def _problems(*statuses: int) -> dict:
    return {s: {"description": _PROBLEMS[s]} for s in statuses}


Importer = Annotated[Principal, Depends(require_roles(Role.city_stats, Role.district_stats, Role.admin))]
RosterReader = Annotated[Principal, Depends(require_roles(*OFFICIALS, Role.auditor, Role.admin))]


@router.post(
    "/roster/imports",
    status_code=201,
    response_model=RosterImportResult,
    summary="导入统计部门规上工业企业名录（CSV 或 XLSX）",
    description="表头为第 1 行，中文或英文列名均可，列顺序不限。按统一社会信用代码与年份新增或更新；"
    "有问题的行连同行号与原因列在 rejected 中，不影响其他行。区县统计局只能导入本区县的行。",
    responses=_problems(401, 403, 413, 422),
)
def import_roster(
    session: SessionDep,
    principal: Importer,
    file: Annotated[UploadFile, File(description="名录文件：UTF-8 CSV（可带 BOM）或 XLSX")],
) -> RosterImportResult:
    # file.file is the spooled upload itself: the service streams it, never reading it whole.
    report = service.import_roster(session, filename=file.filename, fileobj=file.file, principal=principal)
    return RosterImportResult(
        imported=report.imported,
        updated=report.updated,
        rejected=[RejectedRow(row=r["row"], errors=r["errors"]) for r in report.rejected],
    )


@router.get(
    "/roster/{uscc}",
    response_model=EnterpriseRoster,
    summary="一家企业各年度的名录记录",
    responses=_problems(401, 403, 404, 422),
)
def get_enterprise_roster(session: SessionDep, _: RosterReader, uscc: str) -> EnterpriseRoster:
    entries = service.enterprise_roster(session, uscc)
    return EnterpriseRoster(
        uscc=entries[0].uscc,
        entries=[
            RosterEntryPublic(
                year=e.year,
                name=e.name,
                district_code=e.district_code,
                industry_code=e.industry_code,
                first_included=e.first_included,
                main_revenue=fen_to_yuan(e.main_revenue_fen),
            )
            for e in entries
        ],
    )
