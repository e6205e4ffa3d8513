"""The intake scenario: 32 concurrent district systems POST full applications for 60 s, and
its baseline — the very SQL statements one such request issues, captured in-process with
SQLAlchemy's cursor events and replayed straight through psycopg by 32 connections.

The replay substitutes what must differ per application (credit code, external_ref, name,
the enterprise and application ids returned by the INSERTs, the audit hash) and keeps
everything else as captured, including the connection's pre-ping, the savepoints, the chain's
advisory lock and the COMMIT."""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import threading
import time
import uuid
from dataclasses import dataclass, field

from psycopg.types.json import Json

from bench.common import INTAKE, INTAKE_POOL, POOL_SERIAL_BASE, connect

# ---------------------------------------------------------------- bodies


def fresh_pool(url: str, seed: int) -> list[dict]:
    """The intake pool's enterprises that have not applied yet, shuffled: each a valid body."""
    from app.enterprises.uscc import make_uscc

    with connect(url) as conn:
        districts = [r[0] for r in conn.execute("SELECT code FROM district ORDER BY code")]
        usccs = [make_uscc(districts[i % len(districts)], POOL_SERIAL_BASE + i) for i in range(INTAKE_POOL)]
        rows = conn.execute(
            "SELECT r.uscc, r.name, r.district_code, r.industry_code, r.first_included, r.main_revenue_fen "
            "FROM roster_entry r WHERE r.year = 2024 AND r.uscc = ANY(%s) "
            "AND NOT EXISTS (SELECT 1 FROM enterprise e WHERE e.uscc = r.uscc)", (usccs,)).fetchall()
    rows.sort()
    random.Random(seed).shuffle(rows)
    return [body(*r, ref=f"P{i:06d}") for i, r in enumerate(rows)]


def body(uscc: str, name: str, district: str, industry: str, first: str, revenue_fen: int, *, ref: str) -> dict:
    return {
        "external_ref": ref,
        "declared_revenue": f"{revenue_fen // 100}.{revenue_fen % 100:02d}",
        "first_above_scale_period": first,
        "enterprise": {
            "uscc": uscc, "name": name, "district_code": district, "industry_code": industry,
            "address": "新疆维吾尔自治区某工业园区 1 号", "legal_representative": "张三", "contact_name": "李四",
            "contact_phone": "0991-1234567", "bank_name": "中国银行乌鲁木齐分行", "bank_account": "6217000012345678",
        },
    }


# ---------------------------------------------------------------- the load through HTTP


@dataclass
class LoadResult:
    seconds: float
    ok: int
    errors: int
    latencies_ms: list[float]
    statuses: dict = field(default_factory=dict)
    first_errors: list[str] = field(default_factory=list)
    pool_exhausted: int = 0

    def summary(self) -> dict:
        lat = sorted(self.latencies_ms)
        return {"seconds": round(self.seconds, 1), "ok": self.ok, "errors": self.errors,
                "per_second": round(self.ok / self.seconds, 1) if self.seconds else 0.0,
                "p50_ms": r2(pct(lat, 50)), "p95_ms": r2(pct(lat, 95)), "p99_ms": r2(pct(lat, 99)),
                "max_ms": r2(lat[-1] if lat else None),
                "statuses": self.statuses, "first_errors": self.first_errors[:5],
                "pool_exhausted": self.pool_exhausted}


def r2(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


def pct(sorted_values: list[float], p: float) -> float | None:
    if not sorted_values:
        return None
    k = max(0, min(len(sorted_values) - 1, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[k]


async def _load(base: str, bodies: list[dict], tokens: dict[str, str], *, clients: int, seconds: float,
                warmup: float, tag: str) -> tuple[LoadResult, int]:
    # aiohttp (C-accelerated), not httpx: on a two-core machine shared with the server, httpx
    # spent ≈ 4 ms of CPU per request (aiohttp ≈ 0.2 ms) — time taken from the server measured.
    import aiohttp

    it = iter(bodies)
    used = 0
    exhausted = 0
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    errors: list[str] = []
    ok = bad = 0
    start = time.perf_counter()
    measure_from = start + warmup
    stop_at = measure_from + seconds

    def next_body() -> dict:
        nonlocal used, exhausted
        b = next(it, None)  # one event loop: no lock needed
        used += 1
        if b is None:  # pool used up: an enterprise not on the roster (eligibility then fails, still 201)
            exhausted += 1
            from app.enterprises.uscc import make_uscc
            b = body(make_uscc("650102", 60_000_000 + used), f"新疆池外测试企业{used}", "650102", "3421", "2024-06",
                     35_200_000_00, ref="")
        b = dict(b)
        b["external_ref"] = f"BENCH-{tag}-{b['external_ref'] or used}"
        return b

    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(base, connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as client:
        async def worker() -> None:
            nonlocal ok, bad
            while True:
                now = time.perf_counter()
                if now >= stop_at:
                    return
                b = next_body()
                token = tokens[b["enterprise"]["district_code"]]
                t0 = time.perf_counter()
                try:
                    async with client.post(f"/api/v1/programs/{INTAKE}/applications", json=b,
                                           headers={"Authorization": f"Bearer {token}"}) as r:
                        text = await r.text()
                        code = str(r.status)
                        good = r.status == 201
                    if not good and len(errors) < 20:
                        errors.append(f"{code} {text[:300]}")
                except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                    code, good = type(exc).__name__, False
                    if len(errors) < 20:
                        errors.append(repr(exc))
                t1 = time.perf_counter()
                if t0 >= measure_from and t1 <= stop_at:
                    statuses[code] = statuses.get(code, 0) + 1
                    if good:
                        ok += 1
                        latencies.append((t1 - t0) * 1000)
                    else:
                        bad += 1

        await asyncio.gather(*(worker() for _ in range(clients)))
    return LoadResult(seconds, ok, bad, latencies, statuses, errors, exhausted), used


def http_load(base: str, bodies: list[dict], tokens: dict[str, str], *, clients: int = 32, seconds: float = 60,
              warmup: float = 5, tag: str = "") -> tuple[LoadResult, int]:
    return asyncio.run(_load(base, bodies, tokens, clients=clients, seconds=seconds, warmup=warmup,
                             tag=tag or uuid.uuid4().hex[:6]))


# ---------------------------------------------------------------- capture


@dataclass
class Captured:
    sql: str
    params: object  # dict, list of dicts (executemany) or None
    many: bool
    returns: str | None = None  # "enterprise" / "application": the INSERT whose RETURNING id we map


@dataclass
class Template:
    statements: list[Captured]
    uscc: str
    ref: str
    name: str
    audit_hashes: set
    app_id: int
    ent_id: int
    audit_ids: set = field(default_factory=set)

    @property
    def count(self) -> int:
        return len(self.statements) + 1  # + the pool's pre-ping


def capture(url: str, token: str, b: dict) -> Template:
    """Run one submission in-process (the app, on the benchmark database) and record every
    statement it sends, in order."""
    os.environ["SCALEUP_DATABASE_URL"] = url
    from fastapi.testclient import TestClient
    from sqlalchemy import event

    from app.core.db import get_engine
    from app.main import app

    engine = get_engine()
    recorded: list[Captured] = []
    recording = [False]

    def before(conn, cursor, statement, parameters, context, executemany):
        if recording[0]:
            recorded.append(Captured(statement, parameters, bool(executemany)))

    def on_commit(conn):
        if recording[0]:
            recorded.append(Captured("COMMIT", None, False))

    def on_rollback(conn):
        if recording[0]:
            recorded.append(Captured("ROLLBACK", None, False))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "commit", on_commit)
    event.listen(engine, "rollback", on_rollback)
    try:
        with TestClient(app) as client:
            recording[0] = True
            r = client.post(f"/api/v1/programs/{INTAKE}/applications", json=b,
                            headers={"Authorization": f"Bearer {token}"})
            recording[0] = False
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "commit", on_commit)
        event.remove(engine, "rollback", on_rollback)
    if r.status_code != 201:
        raise SystemExit(f"capturing the intake statements: the submission answered {r.status_code}: {r.text[:500]}")
    app_id = r.json()["id"]
    with connect(url) as conn:
        ent_id = conn.execute("SELECT id FROM enterprise WHERE uscc = %s", (b["enterprise"]["uscc"],)).fetchone()[0]
        events = conn.execute("SELECT id, hash FROM audit_event WHERE entity_type = 'application' AND entity_id = %s",
                              (str(app_id),)).fetchall()
    hashes = {h for _i, h in events if h}
    for c in recorded:
        head = c.sql.lstrip().upper()
        if head.startswith("INSERT INTO ENTERPRISE") and "RETURNING" in head:
            c.returns = "enterprise"
        elif head.startswith("INSERT INTO APPLICATION") and "RETURNING" in head:
            c.returns = "application"
        elif head.startswith("INSERT INTO AUDIT_EVENT") and "RETURNING" in head:
            c.returns = "audit_event"
        elif head.startswith("SELECT AUDIT_EVENT.SEQ"):
            c.returns = "chain_head"  # the chain's last (seq, hash): the app links the new event after it
    if min(app_id, ent_id) < 1000:
        raise SystemExit("capture: ids too small to substitute safely; generate the data set first")
    return Template(recorded, b["enterprise"]["uscc"], b["external_ref"], b["enterprise"]["name"], hashes, app_id,
                    ent_id, {i for i, _h in events})


# ---------------------------------------------------------------- replay


class Replayer:
    """One connection replaying the template again and again with fresh values."""

    def __init__(self, url: str, template: Template, district_serial: int):
        self.conn = connect(url)
        self.t = template
        self.serial = district_serial
        self.trace: dict[int, list[float]] | None = None  # statement index -> seconds, when profiling

    def _value(self, key: str, sql: str, v, new: dict):
        t = self.t
        if isinstance(v, bool) or v is None:
            return v
        if sql.lstrip().startswith("UPDATE audit_event"):
            # Sealing the event at commit (app/audit/service.py _seal): link it after the chain
            # head the SELECT just read, as the app computes it; a fresh hash (unique column).
            if key == "seq" and new.get("chain_seq") is not None:
                return new["chain_seq"] + 1
            if key == "prev_hash" and new.get("chain_hash") is not None:
                return new["chain_hash"]
            if key == "hash":
                return uuid.uuid4().hex + uuid.uuid4().hex
            if isinstance(v, int) and v in t.audit_ids and new.get("audit") is not None:
                return new["audit"]
        if "audit_seal(" in sql and isinstance(v, int) and v in t.audit_ids and new.get("audit") is not None:
            return new["audit"]  # PostgreSQL links the new event itself (migration 0007)
        if isinstance(v, int):
            if v in (t.app_id, t.ent_id):
                if t.app_id == t.ent_id:  # same number: tell by the column
                    is_ent = "enterprise" in key or (key.startswith("pk_") and "FROM enterprise" in sql)
                    return new["ent"] if is_ent else new["app"]
                return new["app"] if v == t.app_id else new["ent"]
            return v
        if isinstance(v, str):
            if v == str(t.app_id):
                return str(new["app"])
            if v in t.audit_hashes:
                return uuid.uuid4().hex + uuid.uuid4().hex
            if t.uscc in v or t.ref in v or t.name in v:
                return v.replace(t.uscc, new["uscc"]).replace(t.ref, new["ref"]).replace(t.name, new["name"])
            return v
        if isinstance(v, Json):
            return Json(self._value(key, sql, v.obj, new), v.dumps)
        if isinstance(v, dict):
            return {k: self._value(k, sql, x, new) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return type(v)(self._value(key, sql, x, new) for x in v)
        return v

    def once(self, n: int) -> None:
        from app.enterprises.uscc import make_uscc
        from bench.common import BASELINE_SERIAL_BASE

        uscc = make_uscc(self.t.uscc[2:8], BASELINE_SERIAL_BASE + n)
        new = {"uscc": uscc, "ref": f"BL-{uscc}", "name": f"基准测试企业{n}", "app": None, "ent": None}
        conn = self.conn
        # SQLAlchemy's pool_pre_ping on checkout: autocommit on, SELECT 1, autocommit off.
        conn.autocommit = True
        conn.execute("SELECT 1")
        conn.autocommit = False
        cur = conn.cursor()
        trace = self.trace
        for i, c in enumerate(self.t.statements):
            t0 = time.perf_counter() if trace is not None else 0.0
            if c.sql == "COMMIT":
                conn.commit()
            elif c.sql == "ROLLBACK":
                conn.rollback()
            elif c.many:
                cur.executemany(c.sql, [self._value("", c.sql, p, new) for p in c.params])
            else:
                params = self._value("", c.sql, c.params, new) if c.params else None
                cur.execute(c.sql, params)
                if c.returns == "chain_head":
                    row = cur.fetchone()
                    new["chain_seq"], new["chain_hash"] = (row[0], row[1]) if row else (0, "0" * 64)
                elif c.returns:
                    new[{"enterprise": "ent", "application": "app", "audit_event": "audit"}[c.returns]] = \
                        cur.fetchone()[0]
                elif cur.description is not None:
                    cur.fetchall()
            if trace is not None:
                trace.setdefault(i, []).append(time.perf_counter() - t0)

    def close(self) -> None:
        self.conn.close()


def statement_profile(url: str, template: Template, n: int = 30) -> list[dict]:
    """One connection, n serial replays, each statement timed: where a submission's SQL time
    goes when nothing contends (the slowest first)."""
    r = Replayer(url, template, 0)
    r.trace = {}
    base = random.randrange(10**6) * 1000 + 500_000_000
    try:
        for k in range(n):
            r.once(base + k)
    finally:
        r.close()
    out = []
    for i, c in enumerate(template.statements):
        if i in r.trace:
            out.append({"ms": round(statistics.median(r.trace[i]) * 1000, 3), "sql": " ".join(c.sql.split())[:240]})
    return sorted(out, key=lambda x: -x["ms"])


def replay_load(url: str, template: Template, *, clients: int = 32, seconds: float = 60, warmup: float = 5) -> LoadResult:
    """clients connections replaying the template until the time is up (after a warm-up)."""
    counter = iter(range(10**9))
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []
    ok = bad = 0
    stats_lock = threading.Lock()
    start = time.perf_counter()
    measure_from = start + warmup
    stop_at = measure_from + seconds
    run = random.randrange(10**6)

    def worker(i: int) -> None:
        nonlocal ok, bad
        r = Replayer(url, template, i)
        try:
            while time.perf_counter() < stop_at:
                with lock:
                    n = run * 1000 + next(counter)  # unique across runs of the same data set
                t0 = time.perf_counter()
                try:
                    r.once(n)
                    good = True
                except Exception as exc:  # noqa: BLE001 - counted and reported
                    good = False
                    r.conn.rollback()
                    if len(errors) < 20:
                        errors.append(repr(exc)[:300])
                t1 = time.perf_counter()
                if t0 >= measure_from and t1 <= stop_at:
                    with stats_lock:
                        if good:
                            ok += 1
                            latencies.append((t1 - t0) * 1000)
                        else:
                            bad += 1
        finally:
            r.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return LoadResult(seconds, ok, bad, latencies, {"ok": ok, "error": bad}, errors)
