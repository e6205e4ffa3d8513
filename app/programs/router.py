"""Programme routes: thin — parse, call the service, answer."""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Response

from app.core.db import SessionDep
from app.core.errors import Invalid
from app.core.pagination import Limit, decode_id_cursor, encode_cursor
from app.core.openapi import problem as _problem
from app.programs import service
from app.programs.schemas import IndicatorTable, IndicatorTableUpdate, ProgramCreate, ProgramPage, ProgramPublic
from app.users.auth import CurrentPrincipal, Principal, require_roles
from app.users.models import Role

router = APIRouter(prefix="/api/v1", tags=["programs"])

ProgramCreator = Annotated[Principal, Depends(require_roles(Role.admin, Role.city_industry))]
IndicatorEditor = Annotated[Principal, Depends(require_roles(Role.city_industry, Role.evaluator))]
Code = Annotated[str, Path(max_length=32, description="项目编号，如 XSG-2023")]


AUTH_ERRORS = {401: _problem("未登录或凭证无效"), 403: _problem("无权执行此操作")}
NOT_FOUND = {404: _problem("项目不存在")}
INVALID = {422: _problem("数据校验未通过（detail 为中文说明，errors 列出各字段）")}


def _etag(response: Response, version: int) -> None:
    response.headers["ETag"] = f'"{version}"'


def _if_match_version(if_match: str | None) -> int | None:
    if if_match is None:
        return None
    text = if_match.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise Invalid("If-Match 应为项目的版本号，如 \"3\"。")
    return int(text)


@router.post(
    "/programs",
    status_code=201,
    response_model=ProgramPublic,
    summary="创建奖补项目",
    responses={**AUTH_ERRORS, 409: _problem("项目编号已存在"), **INVALID},
)
def create_program(body: ProgramCreate, session: SessionDep, principal: ProgramCreator, response: Response) -> ProgramPublic:
    program = service.create_program(session, body, principal=principal)
    _etag(response, program.version)
    response.headers["Location"] = f"/api/v1/programs/{program.code}"
    return service.program_public(session, program)


@router.get("/programs", response_model=ProgramPage, summary="奖补项目列表（新建在前）", responses={**AUTH_ERRORS, **INVALID})
def list_programs(
    session: SessionDep,
    _: CurrentPrincipal,
    limit: Limit = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> ProgramPage:
    before_id = decode_id_cursor(cursor)
    programs = service.list_programs(session, before_id=before_id, limit=limit + 1)
    page, more = programs[:limit], len(programs) > limit
    return ProgramPage(
        items=[service.program_public(session, p) for p in page],
        next_cursor=encode_cursor([page[-1].id]) if more else None,
    )


@router.get(
    "/programs/{code}", response_model=ProgramPublic, summary="奖补项目详情", responses={**AUTH_ERRORS, **NOT_FOUND}
)
def get_program(code: Code, session: SessionDep, _: CurrentPrincipal, response: Response) -> ProgramPublic:
    program = service.get_program(session, code)
    _etag(response, program.version)
    return service.program_public(session, program)


@router.get(
    "/programs/{code}/indicators",
    response_model=IndicatorTable,
    summary="项目的绩效指标表（绩效目标）",
    responses={**AUTH_ERRORS, **NOT_FOUND},
)
def get_indicators(code: Code, session: SessionDep, _: CurrentPrincipal, response: Response) -> IndicatorTable:
    program = service.get_program(session, code)
    _etag(response, program.version)
    return service.indicator_table(session, program)


@router.put(
    "/programs/{code}/indicators",
    response_model=IndicatorTable,
    summary="整表替换绩效指标表（评价定稿前）",
    description="提交完整的指标表：key 不得重复，分值为非负整数且合计为 100。评价定稿后返回 409。"
    "可选 If-Match 头携带项目版本号，版本已变化时返回 412。",
    responses={**AUTH_ERRORS, **NOT_FOUND, 409: _problem("评价已定稿，指标表不可修改"), 412: _problem("版本已变化"), **INVALID},
)
def replace_indicators(
    code: Code,
    body: IndicatorTableUpdate,
    session: SessionDep,
    principal: IndicatorEditor,
    response: Response,
    if_match: Annotated[str | None, Header(alias="If-Match", max_length=40)] = None,
) -> IndicatorTable:
    program = service.get_program(session, code)
    service.replace_indicators(
        session, program, body.indicators, principal=principal, expected_version=_if_match_version(if_match)
    )
    _etag(response, program.version)
    return service.indicator_table(session, program)
