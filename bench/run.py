"""The scenarios of spec/quality.md, each against a real server and beside its baseline
measured in the same run. `python -m bench` calls run(); see bench/README.md."""

from __future__ import annotations

import csv
import json
import os
import random
import re
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.common import BENCH_DIR, BIG, IMPORT_YEAR, TMP_DIR, connect, scaled
from bench.intake import (
    capture,
    fresh_pool,
    http_load,
    pct,
    replay_load,
    statement_profile,
)
from bench.server import Profiler, Server

PASSWORD = "Bench-2026-city!"
DASHBOARD_USER = "bench-city-industry"
SCENARIOS = ("evaluation", "list", "dashboard", "xlsx", "intake", "roster")


@dataclass
class Ctx:
    url: str
    server: Server
    meta: dict
    scale: float
    seed: int
    runs: int = 30
    intake_seconds: float = 60
    intake_clients: int = 32
    profile: bool = False
    roster_timeout: float = 600
    budget: float = 60  # seconds per latency series
    log: Callable[[str], None] = print
    tokens: dict = field(default_factory=dict)
    district_tokens: dict = field(default_factory=dict)

    @property
    def base(self) -> str:
        return self.server.base

    def repetitions(self, minimum: int = 5):
        """`runs` repetitions, or fewer (at least `minimum`) once `budget` seconds have passed:
        a slow figure is still a median of several runs, and the whole run stays bounded."""
        start = time.perf_counter()
        for i in range(self.runs):
            if i >= minimum and time.perf_counter() - start > self.budget:
                return
            yield i

    def auth(self, role: str) -> dict:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def profiler(self, name: str) -> Profiler | _Nothing:
        return Profiler(self.server, name) if self.profile else _Nothing()


class _Nothing:
    summary = None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def med(values: list[float]) -> float:
    return round(statistics.median(values), 2)


def fmt(x: float | None, unit: str = "") -> str:
    if x is None:
        return "—"
    return f"{x:,.1f}{unit}" if abs(x) >= 10 else f"{x:,.2f}{unit}"


# ---------------------------------------------------------------- principals


def setup_principals(ctx: Ctx) -> None:
    """API tokens for the roles the scenarios use (one district_system per district) and the
    official who opens the dashboard, created through app/users/service.py."""
    from sqlmodel import Session, select

    from app.core.db import make_engine
    from app.users.models import User
    from app.users.service import create_token, create_user

    engine = make_engine(ctx.url)
    with Session(engine) as session:
        for role in ("auditor", "city_industry", "city_stats", "evaluator", "finance"):
            _token, raw = create_token(session, name=f"bench-{role}", role=role)
            ctx.tokens[role] = raw
        with connect(ctx.url) as conn:
            districts = [r[0] for r in conn.execute("SELECT code FROM district ORDER BY code")]
        for code in districts:
            _token, raw = create_token(session, name=f"bench-{code}-system", role="district_system", district_code=code)
            ctx.district_tokens[code] = raw
        if session.exec(select(User).where(User.username == DASHBOARD_USER)).first() is None:
            create_user(session, username=DASHBOARD_USER, role="city_industry", password=PASSWORD,
                        display_name="基准测试·市工信局")
        session.commit()
    engine.dispose()


# ---------------------------------------------------------------- evaluation


def load_baseline_sql() -> list[tuple[str, str]]:
    text = (BENCH_DIR / "sql" / "evaluation_baseline.sql").read_text()
    out = []
    for block in re.split(r"^-- @", text, flags=re.MULTILINE)[1:]:
        name, _, body = block.partition("\n")
        sql = "\n".join(line for line in body.splitlines() if not line.lstrip().startswith("--")).strip()
        out.append((name.split(":")[0].strip(), sql.rstrip(";")))
    return out


def program_params(url: str, code: str) -> dict:
    with connect(url) as conn:
        pid, cohort, deadline = conn.execute(
            "SELECT id, cohort_year, payment_deadline FROM program WHERE code = %s", (code,)).fetchone()
    return {"program_code": code, "program_id": pid, "cohort_year": cohort, "payment_deadline": deadline}


def scenario_evaluation(ctx: Ctx) -> dict:
    """Two series. Unchanged data: repeated GETs, answered from the evaluation cache (the goal's
    median). After a change: an evaluator re-scores a row (an audited write, as any change
    is) before each timed GET, so every GET computes all 18 rows and the analysis again — that
    figure stands beside the hand-written SQL."""
    path = f"/api/v1/programs/{BIG}/evaluation"
    assess = f"/api/v1/programs/{BIG}/evaluation/indicators/basis_sufficiency"
    warm, cold = [], []
    with httpx.Client(base_url=ctx.base, headers=ctx.auth("auditor"), timeout=300) as c, \
            httpx.Client(base_url=ctx.base, headers=ctx.auth("evaluator"), timeout=300) as evaluator:
        first = c.get(path)
        if first.status_code != 200:
            raise RuntimeError(f"evaluation answered {first.status_code}: {first.text[:300]}")
        body = first.json()
        with ctx.profiler("evaluation") as prof:
            for i in ctx.repetitions():
                r = evaluator.put(assess, json={"tier": "achieved", "score": 4 if i % 2 else 3.6,
                                                "justification": "基准测试：评价人员重新评分"})
                if r.status_code != 200:
                    raise RuntimeError(f"assessment answered {r.status_code}: {r.text[:300]}")
                t0 = time.perf_counter()
                r = c.get(path)
                cold.append(time.perf_counter() - t0)
                assert r.status_code == 200
            for _ in ctx.repetitions():
                t0 = time.perf_counter()
                r = c.get(path)
                warm.append(time.perf_counter() - t0)
                assert r.status_code == 200
    statements = load_baseline_sql()
    params = program_params(ctx.url, BIG)
    base_times = []
    per_statement: dict[str, list[float]] = {name: [] for name, _ in statements}
    with connect(ctx.url) as conn:
        for i in range(len(cold) + 3):
            t0 = time.perf_counter()
            for name, sql in statements:
                s0 = time.perf_counter()
                conn.execute(sql, params).fetchall()
                if i >= 3:
                    per_statement[name].append(time.perf_counter() - s0)
            conn.rollback()
            if i >= 3:
                base_times.append(time.perf_counter() - t0)
    warm_ms, cold_ms, sql_ms = ms(statistics.median(warm)), ms(statistics.median(cold)), ms(statistics.median(base_times))
    ratio = round(cold_ms / sql_ms, 3) if sql_ms else None
    states = [r["state"] for r in body["indicators"]]
    awarded = next((r["actual"] for r in body["indicators"] if r["key"] == "awarded_enterprise_count"), None)
    passed = warm_ms < 150 and ratio is not None and ratio <= 1.5
    return {
        "title": f"live evaluation of {BIG} (all 18 indicator rows, analysis included): GET {path} — while the data "
                 "is unchanged (served from the evaluation cache) and right after a change (computed again; an "
                 "evaluator's PUT before each timed GET)",
        "goal": "median < 150 ms; ratio to hand-written SQL ≤ 1.5",
        "measured": f"unchanged data: median {fmt(warm_ms, ' ms')} (p95 {fmt(ms(pct(sorted(warm), 95)), ' ms')}, "
                    f"{len(warm)} runs); after a change: median {fmt(cold_ms, ' ms')} "
                    f"(p95 {fmt(ms(pct(sorted(cold), 95)), ' ms')}, {len(cold)} runs)",
        "baseline": f"median {fmt(sql_ms, ' ms')} (bench/sql/evaluation_baseline.sql, {len(statements)} statements)",
        "ratio": ratio, "ratio_goal": "≤ 1.5; after a change ÷ SQL", "passed": passed,
        "figures": {"median_ms": warm_ms, "p95_ms": ms(pct(sorted(warm), 95)), "after_change_median_ms": cold_ms,
                    "after_change_p95_ms": ms(pct(sorted(cold), 95)), "baseline_median_ms": sql_ms,
                    "baseline_statements_ms": {k: ms(statistics.median(v)) for k, v in per_statement.items() if v},
                    "rows_scored": states.count("scored"), "rows": len(states), "awarded_enterprises": awarded,
                    "status": body["status"], "total": body["total"], "grade": body["grade"]},
        "profile": prof.summary,
    }


# ---------------------------------------------------------------- application list


def scenario_list(ctx: Ctx) -> dict:
    from app.core.pagination import encode_cursor

    with connect(ctx.url) as conn:
        (count,) = conn.execute("SELECT count(*) FROM application a JOIN program p ON p.id = a.program_id "
                                "WHERE p.code = %s", (BIG,)).fetchone()
        depth = min(40_000, int(count * 0.8)) // 50 * 50
        (cursor_id,) = conn.execute(
            "SELECT a.id FROM application a JOIN program p ON p.id = a.program_id WHERE p.code = %s "
            "ORDER BY a.id DESC OFFSET %s LIMIT 1", (BIG, depth - 1)).fetchone()
        (expected_first,) = conn.execute(
            "SELECT a.id FROM application a JOIN program p ON p.id = a.program_id WHERE p.code = %s "
            "ORDER BY a.id DESC OFFSET %s LIMIT 1", (BIG, depth)).fetchone()
    cursor = encode_cursor([cursor_id])
    n = max(100, ctx.runs * 5)
    out = {}
    with httpx.Client(base_url=ctx.base, headers=ctx.auth("auditor"), timeout=60) as c:
        for label, params in (("first", {"program": BIG, "limit": 50}),
                              ("deep", {"program": BIG, "limit": 50, "cursor": cursor})):
            r = c.get("/api/v1/applications", params=params)
            if r.status_code != 200 or len(r.json()["items"]) != 50:
                raise RuntimeError(f"list {label}: {r.status_code} {r.text[:300]}")
            if label == "deep" and r.json()["items"][0]["id"] != expected_first:
                raise RuntimeError("the constructed deep cursor does not land where the walk would")
            for _ in range(10):
                c.get("/api/v1/applications", params=params)
            times = []
            with ctx.profiler(f"list-{label}") as prof:
                for _ in range(n):
                    t0 = time.perf_counter()
                    r = c.get("/api/v1/applications", params=params)
                    times.append(time.perf_counter() - t0)
            times.sort()
            out[label] = {"p50_ms": ms(pct(times, 50)), "p95_ms": ms(pct(times, 95)), "max_ms": ms(times[-1]),
                          "requests": n, "profile": prof.summary}
    passed = out["first"]["p95_ms"] < 30 and out["deep"]["p95_ms"] < 30
    return {
        "title": f"application list of {BIG} ({count:,} applications), limit 50: first page and {depth:,} rows deep",
        "goal": "p95 < 30 ms, first page and deep page",
        "measured": f"first p95 {fmt(out['first']['p95_ms'], ' ms')}, {depth:,} deep p95 {fmt(out['deep']['p95_ms'], ' ms')}",
        "baseline": "— (depth must not matter: deep/first "
                    f"{out['deep']['p50_ms'] / out['first']['p50_ms']:.2f}× at p50)",
        "ratio": None, "passed": passed,
        "figures": {"applications": count, "depth": depth, **{k: {kk: vv for kk, vv in v.items() if kk != "profile"}
                                                              for k, v in out.items()}},
        "profile": {k: v["profile"] for k, v in out.items() if v["profile"]} or None,
    }


# ---------------------------------------------------------------- dashboard


def sign_in(ctx: Ctx) -> str:
    with httpx.Client(base_url=ctx.base, timeout=60, follow_redirects=False) as c:
        r = c.post("/login", data={"username": DASHBOARD_USER, "password": PASSWORD, "next": "/"})
    if r.status_code != 303:
        raise RuntimeError(f"sign-in answered {r.status_code}: {r.text[:300]}")
    m = re.search(r"scaleup_session=([^;]+)", r.headers.get("set-cookie", ""))
    if not m:
        raise RuntimeError("sign-in set no session cookie")
    return m.group(1)


def scenario_dashboard(ctx: Ctx) -> dict:
    cookie = sign_in(ctx)  # the cookie is Secure (production); sent by hand over plain HTTP to 127.0.0.1
    headers = {"Cookie": f"scaleup_session={cookie}"}
    times = []
    with httpx.Client(base_url=ctx.base, headers=headers, timeout=120, follow_redirects=False) as c:
        r = c.get("/")
        if r.status_code != 200 or BIG not in r.text:
            raise RuntimeError(f"dashboard answered {r.status_code}: {r.text[:300]}")
        size = len(r.content)
        for _ in range(2):
            c.get("/")
        with ctx.profiler("dashboard") as prof:
            for _ in ctx.repetitions():
                t0 = time.perf_counter()
                r = c.get("/")
                times.append(time.perf_counter() - t0)
    median_ms = ms(statistics.median(times))
    return {
        "title": "programme dashboard page (工作台, GET / as a city_industry official, all ten programmes)",
        "goal": "median < 200 ms",
        "measured": f"median {fmt(median_ms, ' ms')} (p95 {fmt(ms(pct(sorted(times), 95)), ' ms')}, {size / 1024:.0f} KiB HTML)",
        "baseline": "—", "ratio": None, "passed": median_ms < 200,
        "figures": {"median_ms": median_ms, "p95_ms": ms(pct(sorted(times), 95)), "html_bytes": size, "runs": len(times)},
        "profile": prof.summary,
    }


# ---------------------------------------------------------------- payments.xlsx


def scenario_xlsx(ctx: Ctx) -> dict:
    path = f"/api/v1/programs/{BIG}/payments.xlsx"
    runs = 3
    times, peaks, size = [], [], 0
    with httpx.Client(base_url=ctx.base, headers=ctx.auth("auditor"), timeout=600) as c:
        with ctx.profiler("xlsx") as prof:
            for _ in range(runs):
                ctx.server.reset_peak_rss()
                t0 = time.perf_counter()
                size = 0
                with c.stream("GET", path) as r:
                    if r.status_code != 200:
                        raise RuntimeError(f"payments.xlsx answered {r.status_code}: {r.read()[:300]!r}")
                    for chunk in r.iter_bytes():
                        size += len(chunk)
                times.append(time.perf_counter() - t0)
                peaks.append(ctx.server.peak_rss_mib())
    with connect(ctx.url) as conn:
        (payments,) = conn.execute("SELECT count(*) FROM payment p JOIN application a ON a.id = p.application_id "
                                   "JOIN program g ON g.id = a.program_id WHERE g.code = %s", (BIG,)).fetchone()
    t, peak = round(statistics.median(times), 2), max(peaks)
    return {
        "title": f"payments.xlsx of {BIG} ({payments:,} payments)",
        "goal": "< 20 s, peak RSS < 300 MB",
        "measured": f"{t:.2f} s (median of {runs}), worker peak RSS {peak:.0f} MiB, {size / 1024 / 1024:.1f} MiB file",
        "baseline": "—", "ratio": None, "passed": t < 20 and peak < 300,
        "figures": {"seconds": times, "median_s": t, "peak_rss_mib": peaks, "bytes": size, "payments": payments},
        "profile": prof.summary,
    }


# ---------------------------------------------------------------- intake


def watermarks(url: str) -> dict:
    with connect(url) as conn:
        return {t: conn.execute(f"SELECT COALESCE(MAX(id), 0) FROM {t}").fetchone()[0]
                for t in ("application", "enterprise", "audit_event", "idempotency_record")}


def restore(url: str, marks: dict, log: Callable[[str], None]) -> None:
    """Remove what the intake scenario and its baseline wrote (rows above the watermarks), so
    that the data set is as generated for the next run (--reuse). The audit events removed
    are the tail of the chain, which stays intact."""
    t0 = time.perf_counter()
    with connect(url) as conn:
        conn.execute("DELETE FROM eligibility_check WHERE application_id > %s", (marks["application"],))
        conn.execute("DELETE FROM document WHERE application_id > %s", (marks["application"],))
        conn.execute("DELETE FROM application WHERE id > %s", (marks["application"],))
        conn.execute("DELETE FROM enterprise WHERE id > %s", (marks["enterprise"],))
        conn.execute("DELETE FROM audit_event WHERE id > %s", (marks["audit_event"],))
        conn.execute("DELETE FROM idempotency_record WHERE id > %s", (marks["idempotency_record"],))
    with connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) eligibility_check, application, enterprise, audit_event")
    log(f"  restored the data set after intake in {time.perf_counter() - t0:.1f} s")


def scenario_intake(ctx: Ctx) -> dict:
    marks = watermarks(ctx.url)
    bodies = fresh_pool(ctx.url, ctx.seed)
    if len(bodies) < 2:
        raise RuntimeError("the intake pool is used up: regenerate the data set")
    template = None
    try:
        # The statements of one submission, captured in-process on the same data set.
        first = bodies.pop()
        template = capture(ctx.url, ctx.district_tokens[first["enterprise"]["district_code"]], first)
        ctx.log(f"  captured {template.count} statements of one submission")
        with ctx.profiler("intake") as prof:
            load, used = http_load(ctx.base, bodies, ctx.district_tokens, clients=ctx.intake_clients,
                                   seconds=ctx.intake_seconds, warmup=5)
        s = load.summary()
        ctx.log(f"  server: {s['per_second']}/s ok, p99 {s['p99_ms']} ms, errors {s['errors']}")
        base = replay_load(ctx.url, template, clients=ctx.intake_clients, seconds=ctx.intake_seconds, warmup=5).summary()
        ctx.log(f"  baseline: {base['per_second']}/s, p99 {base['p99_ms']} ms, errors {base['errors']}")
        # Where one submission's SQL time goes, uncontended (one connection, serial).
        slowest = statement_profile(ctx.url, template, 30)[:10]
    finally:
        restore(ctx.url, marks, ctx.log)
    raw_ratio = s["per_second"] / base["per_second"] if base["per_second"] else None
    ratio = round(raw_ratio, 3) if raw_ratio is not None else None
    passed = (s["per_second"] >= 400 and (s["p99_ms"] or 1e9) < 250 and s["errors"] == 0
              and raw_ratio is not None and raw_ratio >= 0.35)
    return {
        "title": f"intake: {ctx.intake_clients} concurrent district systems POST full applications for "
                 f"{ctx.intake_seconds:.0f} s (POST /api/v1/programs/BENCH-INTAKE/applications)",
        "goal": "≥ 400 applications/s, p99 < 250 ms, zero errors; ratio to the same SQL via psycopg ≥ 0.35",
        "measured": f"{s['per_second']:,.1f}/s, p50 {fmt(s['p50_ms'])} ms, p99 {fmt(s['p99_ms'])} ms, "
                    f"{s['errors']} errors ({s['ok']:,} created)",
        "baseline": f"{base['per_second']:,.1f}/s, p99 {fmt(base['p99_ms'])} ms ({template.count} statements per "
                    f"application, {ctx.intake_clients} psycopg connections)",
        "ratio": ratio, "ratio_goal": "≥ 0.35", "passed": passed,
        "figures": {"server": s, "baseline": base, "statements_per_application": template.count,
                    "bodies_used": used, "slowest_statements_uncontended": slowest},
        "profile": prof.summary,
    }


# ---------------------------------------------------------------- roster import


ROSTER_HEADER = ["统一社会信用代码", "企业名称", "区县代码", "行业代码", "年份", "入库年月", "主营业务收入（元）"]


def roster_csv(ctx: Ctx) -> tuple[Path, int]:
    """Next year's roster (IMPORT_YEAR): 92 % of this year's enterprises stay, new entrants
    fill up to 500,000 × scale rows."""
    from app.enterprises.uscc import make_uscc

    rows = scaled(500_000, ctx.scale, 100)
    path = TMP_DIR / f"roster-{IMPORT_YEAR}-{rows}-seed{ctx.seed}.csv"
    if path.exists():
        return path, rows
    rng = random.Random(ctx.seed)
    with connect(ctx.url) as conn:
        current = conn.execute("SELECT uscc, name, district_code, industry_code, first_included, main_revenue_fen "
                               "FROM roster_entry WHERE year = %s ORDER BY id", (IMPORT_YEAR - 1,)).fetchall()
        districts = [r[0] for r in conn.execute("SELECT code FROM district ORDER BY code")]
    stay = [r for r in current if rng.random() < 0.92][: int(rows * 0.9)]
    out = []
    for uscc, name, district, industry, first, fen in stay:
        fen = int(fen * rng.uniform(0.9, 1.3))
        out.append([uscc, name, district, industry, IMPORT_YEAR, first, f"{fen // 100}.{fen % 100:02d}"])
    for i in range(rows - len(stay)):
        district = rng.choice(districts)
        fen = int(rng.lognormvariate(0, 0.7) * 3000 * 1_000_000) + 2_000_000_000
        out.append([make_uscc(district, 70_000_000 + i), f"新疆新入规企业{i:06d}有限公司", district,
                    rng.choice(["1311", "2641", "3421", "3831"]), IMPORT_YEAR, f"{IMPORT_YEAR}-{rng.randint(1, 12):02d}",
                    f"{fen // 100}.{fen % 100:02d}"])
    out.sort(key=lambda row: (row[2], row[0]))  # as a statistics bureau lists it: by district, then code
    TMP_DIR.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f)
        w.writerow(ROSTER_HEADER)
        w.writerows(out)
    tmp.rename(path)
    return path, rows


def scenario_roster(ctx: Ctx) -> dict:
    timeout = ctx.roster_timeout
    path, rows = roster_csv(ctx)
    with connect(ctx.url) as conn:
        conn.execute("DELETE FROM roster_entry WHERE year = %s", (IMPORT_YEAR,))
        conn.commit()
        live_hit, reviewing = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE a.status NOT IN ('approved', 'paid')) "
            "FROM application a JOIN enterprise e ON e.id = a.enterprise_id "
            "WHERE a.status NOT IN ('rejected', 'withdrawn') AND e.uscc IN "
            "(SELECT uscc FROM roster_entry WHERE year = %s)", (IMPORT_YEAR - 1,)).fetchone()
    size_mb = path.stat().st_size / 1024 / 1024
    before_rss = ctx.server.rss_mib()
    ctx.server.reset_peak_rss()
    # Progress: the upsert draws a value of roster_entry's id sequence for every row it
    # processes, and sequences are not transactional, so another session sees how far the
    # import's one transaction has come (rows are written batch by batch, each batch followed
    # by the eligibility re-check of its enterprises).
    with connect(ctx.url, autocommit=True) as conn:
        seq = conn.execute("SELECT pg_get_serial_sequence('roster_entry', 'id')").fetchone()[0]
        seq_start = conn.execute(f"SELECT last_value FROM {seq}").fetchone()[0]
    outcome: dict = {}

    def post() -> None:
        try:
            with httpx.Client(base_url=ctx.base, headers=ctx.auth("city_stats"), timeout=timeout + 60) as c, \
                    path.open("rb") as f:
                r = c.post("/api/v1/roster/imports", files={"file": (path.name, f, "text/csv")})
            outcome["status"], outcome["body"] = r.status_code, r.text
        except Exception as exc:  # noqa: BLE001
            outcome["error"] = repr(exc)

    progress = []
    t0 = time.perf_counter()
    with ctx.profiler("roster") as prof:
        thread = threading.Thread(target=post, daemon=True)
        thread.start()
        with connect(ctx.url, autocommit=True) as conn:
            last_log = t0
            while thread.is_alive() and time.perf_counter() - t0 < timeout:
                thread.join(2)
                done = conn.execute(f"SELECT last_value FROM {seq}").fetchone()[0] - seq_start
                progress.append((round(time.perf_counter() - t0, 1), done))
                if time.perf_counter() - last_log >= 30:
                    last_log = time.perf_counter()
                    ctx.log(f"  … {done:,} of {rows:,} rows after {progress[-1][0]:.0f} s, "
                            f"RSS {ctx.server.rss_mib():.0f} MiB")
    seconds = round(time.perf_counter() - t0, 1)
    peak = ctx.server.peak_rss_mib()
    timed_out = thread.is_alive()
    if timed_out:  # the request still runs: stop the server and its backends; the transaction rolls back
        ctx.server.stop(kill=True)
        with connect(ctx.url, autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = current_database() AND pid <> pg_backend_pid()")
    elif outcome.get("status") != 201:
        raise RuntimeError(f"roster import: {outcome}"[:500])
    result = json.loads(outcome["body"]) if outcome.get("status") == 201 else {}
    done = progress[-1][1] if progress else 0
    estimate = round(seconds * rows / done) if timed_out and done else None
    # Baseline: COPY of the same file into a bare (unindexed) temporary table.
    t1 = time.perf_counter()
    with connect(ctx.url) as conn:
        conn.execute("CREATE TEMP TABLE roster_copy (uscc text, name text, district_code text, industry_code text, "
                     "year int, first_included text, main_revenue numeric)")
        with conn.cursor().copy("COPY roster_copy FROM STDIN (FORMAT csv, HEADER true)") as cp, path.open("rb") as f:
            while chunk := f.read(1024 * 1024):
                cp.write(chunk)
        (copied,) = conn.execute("SELECT count(*) FROM roster_copy").fetchone()
    copy_s = round(time.perf_counter() - t1, 2)
    t2 = time.perf_counter()
    with connect(ctx.url) as conn:
        conn.execute("DELETE FROM roster_entry WHERE year = %s", (IMPORT_YEAR,))
    with connect(ctx.url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) roster_entry, eligibility_check")
    ctx.log(f"  removed the imported {IMPORT_YEAR} roster in {time.perf_counter() - t2:.1f} s")
    ratio = round((estimate or seconds) / copy_s, 1) if copy_s and (estimate or not timed_out) else None
    if timed_out:
        measured = (f"stopped after {timeout:.0f} s at {done:,} of {rows:,} rows (≈ {estimate:,} s for the file "
                    f"at that pace)" if estimate else f"stopped after {timeout:.0f} s, no row done")
    else:
        measured = f"{seconds:,.1f} s"
    measured += f", worker peak RSS {peak:.0f} MiB (idle {before_rss:.0f} MiB)"
    return {
        "title": f"statistics roster import: {rows:,}-row CSV ({size_mb:.0f} MB, next year's roster, "
                 f"enterprises of {live_hit:,} live applications in it, {reviewing:,} of them under review), "
                 "POST /api/v1/roster/imports",
        "goal": "< 60 s, peak RSS < 300 MB",
        "measured": measured,
        "baseline": f"{copy_s:.2f} s (COPY into an unindexed temp table, {copied:,} rows)",
        "ratio": ratio, "ratio_goal": "informational: import ÷ COPY",
        "passed": (not timed_out) and seconds < 60 and peak < 300,
        "figures": {"rows": rows, "bytes": path.stat().st_size, "seconds": seconds, "timed_out": timed_out,
                    "rows_done": done, "estimated_seconds": estimate, "progress": progress[::5],
                    "peak_rss_mib": peak, "idle_rss_mib": before_rss, "copy_seconds": copy_s,
                    "live_applications_in_file": live_hit, "under_review_in_file": reviewing,
                    "response": result and {
                        "imported": result.get("imported"), "updated": result.get("updated"),
                        "rejected": len(result.get("rejected", []))}},
        "profile": prof.summary,
    }


RUNNERS: dict[str, Callable[[Ctx], dict]] = {
    "evaluation": scenario_evaluation, "list": scenario_list, "dashboard": scenario_dashboard,
    "xlsx": scenario_xlsx, "intake": scenario_intake, "roster": scenario_roster,
}


def run_scenarios(ctx: Ctx, names: list[str]) -> dict:
    os.environ["SCALEUP_DATABASE_URL"] = ctx.url  # for the in-process capture of the intake statements
    os.environ.setdefault("SCALEUP_STORAGE_DIR", str(TMP_DIR / "documents-inprocess"))
    setup_principals(ctx)
    results = {}
    for name in names:
        if ctx.server.proc is None:
            ctx.server.start()
        ctx.log(f"scenario {name} …")
        t0 = time.perf_counter()
        try:
            results[name] = RUNNERS[name](ctx)
        except Exception as exc:  # noqa: BLE001 - one broken scenario must not lose the others
            results[name] = {"title": name, "goal": "", "measured": f"error: {exc!r}"[:500], "baseline": "—",
                             "ratio": None, "passed": False, "error": repr(exc)}
        results[name]["wall_seconds"] = round(time.perf_counter() - t0, 1)
        r = results[name]
        ctx.log(f"  {'PASS' if r['passed'] else 'FAIL'} {r['measured']} | baseline {r['baseline']} | ratio {r['ratio']}")
    return results


def dump(obj: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n")
