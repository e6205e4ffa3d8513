"""create_app(): routers, static files, error handlers, middleware."""

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app.core.errors import install_error_handlers
from app.core.middleware import LimitBodyMiddleware, RejectNulMiddleware, SecurityHeadersMiddleware
from app.core.openapi import document_problems

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"

DESCRIPTION = """
小升规奖补资金管理与绩效评价系统 API v1。区县申报系统通过 Bearer 令牌提交申报；官员使用会话 Cookie（不安全方法需附
`X-CSRF-Token`）。错误均为 RFC 9457 `application/problem+json`，`detail` 为中文。金额为以元为单位、两位小数的字符串。
"""


def create_app() -> FastAPI:
    from app.applications.router import router as applications_router
    from app.audit.router import router as audit_router
    from app.districts.router import router as districts_router
    from app.documents.router import router as documents_router
    from app.evaluation.pages import router as evaluation_pages_router
    from app.evaluation.report_router import pages_router as report_pages_router, router as report_router
    from app.evaluation.router import router as evaluation_router
    from app.enterprises.router import pages_router as enterprises_pages_router, router as enterprises_router
    from app.followups.router import router as followups_router
    from app.funds.pages import router as funds_pages_router
    from app.funds.router import router as funds_router
    from app.funds.statements import router as statements_router
    from app.health import router as health_router
    from app.notices.router import pages_router as notices_pages_router, router as notices_router
    from app.pages.router import router as pages_router
    from app.programs.router import router as programs_router
    from app.reviews.router import router as reviews_router
    from app.roster.router import router as roster_router
    from app.surveys.router import pages_router as surveys_pages_router, router as surveys_router
    from app.tracking.router import pages_router as tracking_pages_router, router as tracking_router
    from app.users.router import router as users_router

    app = FastAPI(title="ScaleUp 小升规奖补资金管理与绩效评价系统", version="1.0.0", description=DESCRIPTION)
    install_error_handlers(app)
    app.add_middleware(LimitBodyMiddleware)
    app.add_middleware(RejectNulMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    for router in (
        health_router,
        districts_router,
        programs_router,
        roster_router,
        applications_router,
        reviews_router,
        notices_router,
        notices_pages_router,
        documents_router,
        funds_router,
        funds_pages_router,
        statements_router,
        surveys_router,
        surveys_pages_router,
        enterprises_router,
        enterprises_pages_router,
        followups_router,
        tracking_router,
        tracking_pages_router,
        evaluation_router,
        report_router,
        evaluation_pages_router,
        report_pages_router,
        audit_router,
        users_router,
        pages_router,
    ):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    document_problems(app)
    return app


app = create_app()
