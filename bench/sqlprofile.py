"""Where a request's time goes: run it in-process (the app on the benchmark database, through
Starlette's TestClient), time every SQL statement it sends, and EXPLAIN ANALYZE the slowest.

    python -m bench.sqlprofile evaluation            # GET /api/v1/programs/BENCH-BIG/evaluation
    python -m bench.sqlprofile list-first | list-deep | dashboard | xlsx
    python -m bench.sqlprofile get /api/v1/... --role auditor

Prints the request's wall time, the SQL time (sum of statements) and the statements by time,
then the EXPLAIN (ANALYZE, BUFFERS) of the --explain slowest ones. Nothing here is a test."""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections import defaultdict
from typing import Annotated

import typer

from bench.common import BIG, DEFAULT_ADMIN_URL, DEFAULT_DB, TMP_DIR, connect, db_url

cli = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


def _paths(url: str) -> dict[str, str]:
    from app.core.pagination import encode_cursor

    with connect(url) as conn:
        (count,) = conn.execute("SELECT count(*) FROM application a JOIN program p ON p.id = a.program_id "
                                "WHERE p.code = %s", (BIG,)).fetchone()
        depth = min(40_000, int(count * 0.8)) // 50 * 50
        (cursor_id,) = conn.execute("SELECT a.id FROM application a JOIN program p ON p.id = a.program_id "
                                    "WHERE p.code = %s ORDER BY a.id DESC OFFSET %s LIMIT 1", (BIG, depth - 1)).fetchone()
    return {
        "evaluation": f"/api/v1/programs/{BIG}/evaluation",
        "list-first": f"/api/v1/applications?program={BIG}&limit=50",
        "list-deep": f"/api/v1/applications?program={BIG}&limit=50&cursor={encode_cursor([cursor_id])}",
        "xlsx": f"/api/v1/programs/{BIG}/payments.xlsx",
        "dashboard": "/",
    }


def profile(url: str, path: str, role: str = "auditor", repeat: int = 5, explain: int = 3,
            out=sys.stdout) -> dict:
    os.environ["SCALEUP_DATABASE_URL"] = url
    os.environ.setdefault("SCALEUP_STORAGE_DIR", str(TMP_DIR / "documents-inprocess"))
    from fastapi.testclient import TestClient
    from sqlalchemy import event
    from sqlmodel import Session

    from app.core.db import get_engine
    from app.main import app
    from app.users.service import create_token, create_user

    engine = get_engine()
    headers = {}
    with Session(engine) as session:
        if path == "/":
            from sqlmodel import select

            from app.users.models import User

            if session.exec(select(User).where(User.username == "bench-sqlprofile")).first() is None:
                create_user(session, username="bench-sqlprofile", role="city_industry", password="Bench-sqlprofile-1")
        else:
            _t, raw = create_token(session, name="bench-sqlprofile", role=role)
            headers["Authorization"] = f"Bearer {raw}"
        session.commit()

    current: list = []
    runs: list[list[tuple[str, float, object]]] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_t0"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        current.append((statement, time.perf_counter() - conn.info.pop("bench_t0", time.perf_counter()), parameters))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    walls = []
    try:
        with TestClient(app) as client:
            if path == "/":
                r = client.post("/login", data={"username": "bench-sqlprofile", "password": "Bench-sqlprofile-1"},
                                follow_redirects=False)
                client.cookies.set("scaleup_session", r.cookies.get("scaleup_session") or "")
            for i in range(repeat + 1):
                current.clear()
                t0 = time.perf_counter()
                r = client.get(path, headers=headers)
                walls.append(time.perf_counter() - t0)
                if r.status_code != 200:
                    raise SystemExit(f"{path} answered {r.status_code}: {r.text[:300]}")
                runs.append(list(current))
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    runs, walls = runs[1:], walls[1:]  # the first request warms caches
    per: dict[str, list[float]] = defaultdict(list)
    params: dict[str, object] = {}
    for run in runs:
        for statement, seconds, p in run:
            per[statement].append(seconds)
            params[statement] = p
    rows = sorted(((sum(v) / len(runs), len(v) // len(runs), s) for s, v in per.items()), reverse=True)
    wall = statistics.median(walls) * 1000
    sql_ms = sum(r[0] for r in rows) * 1000
    print(f"{path}: median wall {wall:.1f} ms over {repeat} requests in-process; SQL {sql_ms:.1f} ms in "
          f"{sum(r[1] for r in rows)} statements; Python and the rest {wall - sql_ms:.1f} ms", file=out)
    for seconds, n, statement in rows[:15]:
        print(f"  {seconds * 1000:8.2f} ms  ×{n:<3} {' '.join(statement.split())[:200]}", file=out)
    explained = []
    with connect(url) as conn:
        for _seconds, _n, statement in rows[:explain]:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            p = params[statement]
            plan = "\n".join(r[0] for r in conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, p))
            explained.append({"sql": statement, "plan": plan})
            print("\n--- EXPLAIN ANALYZE " + " ".join(statement.split())[:300] + "\n" + plan, file=out)
            conn.rollback()
    return {"wall_ms": round(wall, 2), "sql_ms": round(sql_ms, 2),
            "statements": [{"ms": round(s * 1000, 3), "times": n, "sql": " ".join(q.split())} for s, n, q in rows],
            "explain": explained}


@cli.command()
def main(
    what: Annotated[str, typer.Argument(help="evaluation | list-first | list-deep | dashboard | xlsx | get")],
    path: Annotated[str | None, typer.Argument(help="with `get`: the path")] = None,
    role: Annotated[str, typer.Option(help="the token's role")] = "auditor",
    repeat: Annotated[int, typer.Option(help="timed requests")] = 5,
    explain: Annotated[int, typer.Option(help="EXPLAIN ANALYZE the N slowest statements")] = 3,
    admin_url: Annotated[str, typer.Option()] = DEFAULT_ADMIN_URL,
    db: Annotated[str, typer.Option()] = DEFAULT_DB,
) -> None:
    url = db_url(admin_url, db)
    target = path if what == "get" else _paths(url)[what]
    profile(url, target, role=role, repeat=repeat, explain=explain)


if __name__ == "__main__":
    cli()
