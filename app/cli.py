"""The `scaleup` command."""

import sys
from typing import Annotated, Optional

import typer
from sqlmodel import Session

app = typer.Typer(help="ScaleUp 小升规奖补资金管理与绩效评价系统", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="数据库迁移", no_args_is_help=True)
users_app = typer.Typer(help="用户", no_args_is_help=True)
tokens_app = typer.Typer(help="API 令牌", no_args_is_help=True)
audit_app = typer.Typer(help="审计", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
app.add_typer(audit_app, name="audit")


def _session() -> Session:
    from app.core.db import get_engine

    return Session(get_engine(), expire_on_commit=False)


def _fail(message: str) -> None:
    typer.echo(f"错误：{message}", err=True)
    raise typer.Exit(code=1)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """迁移数据库到最新版本。"""
    from app.core.migrate import upgrade

    upgrade(revision=revision)
    typer.echo("数据库已迁移到最新版本。")


@app.command()
def demo(
    serve: Annotated[bool, typer.Option("--serve", help="加载后启动服务")] = False,
    host: str = "127.0.0.1",
    port: int = 8000,
) -> None:
    """迁移数据库并加载演示数据（XSG-2023，41 家企业），打印各角色的演示账号。"""
    from app.core.migrate import upgrade
    from app.demo import load_demo

    upgrade()
    with _session() as session:
        accounts = load_demo(session)
        session.commit()
    typer.echo("演示数据已就绪。演示账号（用户名 / 密码 / 角色）：")
    for username, password, role, district in accounts:
        typer.echo(f"  {username:<22} {password:<16} {role}{' ' + district if district else ''}")
    if serve:
        _serve(host, port, 1, reload=False)


def _serve(host: str, port: int, workers: int, reload: bool) -> None:
    import uvicorn

    from app.documents.storage import remove_stale_temporaries

    # Temporary files of uploads cut short by a crash are never referenced: clear them.
    removed = remove_stale_temporaries(older_than_seconds=3600)
    if removed:
        typer.echo(f"已清理 {removed} 个中断上传留下的临时文件。")

    typer.echo(f"ScaleUp 正在 http://{host}:{port} 提供服务")
    if workers <= 1 or reload:
        uvicorn.run("app.main:app", host=host, port=port, workers=workers, proxy_headers=True, reload=reload)
        return
    from app.core.serving import serve_workers

    raise typer.Exit(serve_workers(host, port, workers))


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    """启动 HTTP 服务。"""
    _serve(host, port, workers, reload=False)


@users_app.command("create")
def users_create(
    name: str,
    role: Annotated[str, typer.Option(help="角色")],
    district: Annotated[Optional[str], typer.Option(help="区县代码")] = None,
    display_name: Annotated[str, typer.Option(help="显示名")] = "",
) -> None:
    """创建用户；密码从标准输入读取。"""
    from app.core.errors import DomainError
    from app.users.service import create_user

    password = sys.stdin.readline().rstrip("\r\n")
    with _session() as session:
        try:
            user = create_user(session, username=name, role=role, password=password, district_code=district, display_name=display_name)
            session.commit()
        except DomainError as exc:
            _fail(exc.detail)
        typer.echo(f"已创建用户 {user.username}（{user.role}{'，' + district if district else ''}）。")


@tokens_app.command("create")
def tokens_create(
    name: str,
    role: Annotated[str, typer.Option(help="角色")],
    district: Annotated[Optional[str], typer.Option(help="区县代码")] = None,
) -> None:
    """创建 API 令牌，只在标准输出打印令牌本身（仅显示这一次）。"""
    from app.core.errors import DomainError
    from app.users.service import create_token

    with _session() as session:
        try:
            _token, raw = create_token(session, name=name, role=role, district_code=district)
            session.commit()
        except DomainError as exc:
            _fail(exc.detail)
    typer.echo(raw)


@tokens_app.command("revoke")
def tokens_revoke(token_id: int) -> None:
    """吊销 API 令牌。"""
    from app.core.errors import DomainError
    from app.users.service import revoke_token

    with _session() as session:
        try:
            revoke_token(session, token_id)
            session.commit()
        except DomainError as exc:
            _fail(exc.detail)
    typer.echo(f"令牌 {token_id} 已吊销。")


@audit_app.command("verify")
def audit_verify() -> None:
    """校验审计事件哈希链；链条完整时退出码为 0。"""
    from app.audit.service import verify_chain

    with _session() as session:
        report = verify_chain(session)
    if report.ok:
        typer.echo(f"审计链完整：已校验 {report.checked} 条事件。")
        return
    typer.echo(f"审计链校验失败：事件 #{report.event_id}：{report.problem}（此前 {report.checked} 条完好）", err=True)
    raise typer.Exit(code=2)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
