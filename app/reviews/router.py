from typing import Annotated

from fastapi import Path as _P

from fastapi import APIRouter, Depends, Header, Query, Request

from app.applications import service as applications
from app.applications.router import PROBLEM_RESPONSES, application_response
from app.applications.schemas import ApplicationPublic
from app.core.db import SessionDep
from app.core.htmx import wants_fragment
from app.core.pagination import Limit
from app.reviews import service
from app.reviews.schemas import ReviewCreate, ReviewPage
from app.users.auth import OFFICIALS, Principal, require_roles
from app.users.models import Role

router = APIRouter(prefix="/api/v1", tags=["reviews"])

Reviewer = Annotated[Principal, Depends(require_roles(*service.SEATS))]


@router.post("/applications/{application_id}/reviews", status_code=201, response_model=ApplicationPublic,
             summary="审核（初审 / 复审）", responses=PROBLEM_RESPONSES)
def review_application(
    application_id: Annotated[int, _P(ge=1, le=2_147_483_647)],
    body: ReviewCreate,
    request: Request,
    session: SessionDep,
    principal: Reviewer,
    if_match: Annotated[str | None, Header(alias="If-Match", max_length=20)] = None,
):
    application = service.decide(session, principal, application_id, decision=body.decision, opinion=body.opinion,
                                 if_match=if_match)
    payload = applications.public(session, application, principal)
    if wants_fragment(request):
        from app.applications.router import detail_fragment

        return detail_fragment(request, session, principal, payload, status_code=201, decided=body.decision)
    return application_response(payload, 201)


@router.get("/reviews", response_model=ReviewPage, summary="审核意见列表", responses=PROBLEM_RESPONSES)
def list_reviews(
    session: SessionDep,
    principal: Annotated[Principal, Depends(require_roles(*OFFICIALS, Role.auditor, Role.admin))],
    program: Annotated[str | None, Query(max_length=32)] = None,
    stage: Annotated[str | None, Query(max_length=10)] = None,
    department: Annotated[str | None, Query(max_length=10)] = None,
    decision: Annotated[str | None, Query(max_length=10)] = None,
    district: Annotated[str | None, Query(max_length=6)] = None,
    limit: Limit = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
):
    items, next_cursor = service.list_page(session, principal, program=program, stage=stage, department=department,
                                           decision=decision, district=district, limit=limit, cursor=cursor)
    return {"items": items, "next_cursor": next_cursor}
