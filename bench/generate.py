"""The national-scale data set of spec/quality.md, loaded with COPY into a fresh database.

    python -m bench.generate --scale 1.0 --seed 7          # or: python -m bench (generates first)

What it builds (scale 1.0; every count but the intake pool scales):

- a province of 92 districts (Urumqi's 8 seeded by the migrations + 84 synthetic ones);
- the statistics roster for 2023 and 2024: 500,000 distinct enterprises (established ones in
  both years, dropouts, the 2023 and 2024 cohorts of first-time 规上 enterprises, and the
  80,000-enterprise pool the intake scenario submits for);
- ten programmes created through app.programs.service.create_program (tranches, districts,
  the indicator table); BENCH-BIG: 50,000 applications, every one with enterprise,
  eligibility checks, three documents, four review decisions, an approved notice entry, a paid
  payment with its bank receipt, and a survey response; the others smaller, at every status;
- appropriations (arrived) for every level and district with payments.

Generated rows carry no audit events: audit_event holds only what the services wrote (the
programmes here, the users and tokens of the scenarios, and what the scenarios themselves do),
so `scaleup audit verify` passes on the benchmark database. Document rows have no files (no
scenario downloads one). Foreign keys are not checked during the load
(session_replication_role = replica); the generator builds them consistent.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, ClassVar

import typer

from bench.common import (
    BIG,
    CITY_NAMES,
    DEFAULT_ADMIN_URL,
    DEFAULT_DB,
    FULL_ROSTER,
    INTAKE,
    INTAKE_POOL,
    POOL_SERIAL_BASE,
    PROGRAMS,
    ProgramPlan,
    connect,
    db_url,
    extra_districts,
    scaled,
)

THRESHOLD_FEN = 20_000_000_00  # 2000 万元
AWARD_FEN = 100_000_00  # 10 万元 per tranche
INDUSTRIES = ["0610", "0810", "1311", "1391", "1469", "1511", "1713", "2011", "2211", "2611", "2641", "2710", "2929",
              "3011", "3021", "3130", "3311", "3421", "3511", "3670", "3831", "3921", "3990", "4011", "4411", "4610"]
NAME_PLACES = ["天山", "昆仑", "丝路", "西域", "博格达", "准噶尔", "塔里木", "伊犁河", "天池", "火洲", "金沙", "雪莲",
               "胡杨", "绿洲", "阿尔泰", "赛里木", "红山", "白杨", "瀚海", "东方"]
NAME_TRADES = ["机械制造", "新材料", "食品", "纺织", "化工", "建材", "电子科技", "能源装备", "农牧产品加工", "塑料制品",
               "金属制品", "医药", "光伏科技", "环保科技", "印务", "汽车零部件", "电气", "木业", "乳业", "矿业"]
BANKS = ["中国银行", "中国工商银行", "中国建设银行", "中国农业银行", "交通银行", "新疆银行", "乌鲁木齐银行"]
OVERALL = (["very_satisfied"] * 55 + ["satisfied"] * 35 + ["neutral"] * 7 + ["dissatisfied"] * 2
           + ["very_dissatisfied"] * 1)
QUESTION_KEYS = ("policy_awareness", "application_ease", "review_transparency", "payment_timeliness", "service_quality")
REQUIRED_KINDS = (("application_report", "申请报告"), ("business_license", "营业执照副本"), ("financial_statement", "财务报表"))
MIX_OPEN = {"submitted": 20, "returned": 5, "district_approved": 15, "city_approved": 10, "in_notice": 10,
            "approved": 10, "paid": 20, "rejected": 7, "withdrawn": 3}
MIX_DONE = {"paid": 82, "approved": 3, "rejected": 10, "withdrawn": 5}
LIVE = {"submitted", "returned", "district_approved", "city_approved", "in_notice", "approved", "paid"}
REVIEWS_DONE = {"city_approved": 4, "in_notice": 4, "approved": 4, "paid": 4}


def log_default(msg: str) -> None:
    print(msg, flush=True)


def ts(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def storage_key(doc_id: int, seed: int) -> str:
    # An odd multiplier is a bijection modulo 2^128: unique keys that look random.
    h = f"{((doc_id + (seed << 40)) * 0x9E3779B97F4A7C15F39CC0605CEDC835) & ((1 << 128) - 1):032x}"
    return f"{h[:2]}/{h[2:4]}/{h}.pdf"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Ent:
    uscc: str
    name: str
    district: str
    industry: str
    first_included: str
    revenue: dict[int, int]  # roster year -> main revenue (fen)
    applied: bool = False


@dataclass
class App:
    program: ProgramPlan
    program_id: int
    ent: Ent
    status: str
    created: datetime
    id: int = 0
    enterprise_id: int = 0
    reviews: list = field(default_factory=list)


class Generator:
    def __init__(self, url: str, scale: float, seed: int, log=log_default):
        self.url, self.scale, self.seed, self.log = url, scale, seed, log
        self.rng = random.Random(seed)
        self.serial = 0
        self.timings: dict[str, float] = {}
        self.counts: dict[str, int] = {}

    # ------------------------------------------------------------ helpers

    def next_uscc(self, district: str) -> str:
        from app.enterprises.uscc import make_uscc

        self.serial += 1
        return make_uscc(district, self.serial)

    def company_name(self, n: int) -> str:
        r = self.rng
        return f"新疆{r.choice(NAME_PLACES)}{r.choice(NAME_TRADES)}有限公司{n:06d}"

    def revenue(self, lo_wan: int, median_wan: int) -> int:
        """A lognormal main revenue in fen, at least lo_wan 万元."""
        wan = max(lo_wan + self.rng.random() * 50, self.rng.lognormvariate(0, 0.8) * median_wan)
        return int(wan * 1_000_000) // 100 * 100

    def timed(self, name: str, started: float) -> None:
        self.timings[name] = round(time.perf_counter() - started, 2)
        self.log(f"  {name}: {self.timings[name]:.1f} s")

    # ------------------------------------------------------------ database

    def recreate(self, admin_url: str, db: str) -> None:
        with connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{db}"')

    def migrate(self) -> None:
        from app.core.migrate import upgrade

        upgrade(self.url)

    # ------------------------------------------------------------ the plan

    def run(self, admin_url: str, db: str) -> dict:
        started = time.perf_counter()
        self.log(f"generating {db} at scale {self.scale} (seed {self.seed})")
        t = time.perf_counter()
        self.recreate(admin_url, db)
        self.migrate()
        self.timed("create + migrate", t)

        t = time.perf_counter()
        with connect(self.url, autocommit=True) as conn:
            with conn.cursor().copy("COPY district (code, name, city_code) FROM STDIN") as cp:
                for row in extra_districts():
                    cp.write_row(row)
            self.districts = [r[0] for r in conn.execute("SELECT code FROM district ORDER BY code")]
            rows = conn.execute("SELECT code, city_code FROM district ORDER BY code").fetchall()
        self.city_districts: dict[str, list[str]] = defaultdict(list)
        for code, city in rows:
            self.city_districts[city].append(code)
        self.program_ids = self.create_programs()
        self.timed("districts + programmes (services)", t)

        t = time.perf_counter()
        self.plan_roster_and_applications()
        self.timed("plan (Python)", t)

        with connect(self.url) as conn:
            conn.execute("SET session_replication_role = replica")  # no FK triggers while loading
            conn.execute("SET synchronous_commit = off")
            self.check_columns(conn)
            self.load(conn)
            conn.commit()
            t = time.perf_counter()
            for table in ("roster_entry", "enterprise", "application", "document", "review_decision", "notice",
                          "notice_entry", "appropriation", "payment", "survey_invitation", "survey_response"):
                conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                             f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)")
            conn.execute("CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value jsonb NOT NULL)")
            conn.commit()
        with connect(self.url, autocommit=True) as conn:
            conn.execute("VACUUM (ANALYZE)")
        self.timed("sequences + VACUUM ANALYZE", t)
        total = round(time.perf_counter() - started, 1)
        meta = {
            "scale": self.scale, "seed": self.seed, "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "seconds": total, "timings": self.timings, "counts": self.counts,
            "programs": {p.code: {"id": self.program_ids[p.code], "applications": self.sizes[p.code]} for p in PROGRAMS},
            "pool": {"size": INTAKE_POOL, "serial_base": POOL_SERIAL_BASE},
        }
        with connect(self.url) as conn:
            conn.execute("INSERT INTO bench_meta (key, value) VALUES ('generation', %s) "
                          "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (json.dumps(meta),))
        self.log(f"generated in {total:.1f} s: " + ", ".join(f"{k} {v:,}" for k, v in self.counts.items()))
        return meta

    def create_programs(self) -> dict[str, int]:
        """The ten programmes through the service (tranches, districts, indicator table, audit)."""
        from sqlmodel import Session

        from app.core.db import make_engine
        from app.programs.schemas import ProgramCreate
        from app.programs.service import create_program
        from app.users.auth import Principal
        from app.users.models import Role

        engine = make_engine(self.url)
        principal = Principal(name="bench-generator", role=Role.city_industry, district_code=None, via="token")
        self.sizes = {}
        ids = {}
        with Session(engine) as session:
            for plan in PROGRAMS:
                n = scaled(plan.size, self.scale, 20)
                self.sizes[plan.code] = n
                y = plan.cohort_year + 1
                opens, closes = (date(2020, 1, 1), date(2099, 12, 31)) if plan.code == INTAKE else \
                    (date(y, 3, 1), date(y, 4, 30))
                awarded = n if plan.mix == "paid" else max(1, n * 6 // 10)
                body = ProgramCreate.model_validate({
                    "code": plan.code, "title": plan.title, "cohort_year": plan.cohort_year, "budget_year": y,
                    "revenue_threshold": "20000000.00",
                    "awards": [{"level": level, "amount": "100000.00"} for level in plan.levels],
                    "city_budget": f"{awarded * 100000}.00", "target_enterprise_count": min(awarded, 100_000),
                    "application_opens_on": opens.isoformat(), "application_closes_on": closes.isoformat(),
                    "notice_working_days": 5, "payment_deadline": max(date(y, 9, 30), closes).isoformat(), "template": "xsg-default",
                    "district_codes": self.city_districts[plan.city] if plan.city else None,
                    "policy_documents": [{"document_no": f"新工信规〔{y - 1}〕{len(ids) + 1}号",
                                          "title": f"{plan.title}管理办法", "issued_on": f"{y - 1}-12-20"}],
                })
                program = create_program(session, body, principal=principal)
                ids[plan.code] = program.id
            session.commit()
        engine.dispose()
        return ids

    # ------------------------------------------------------------ roster and applications in memory

    def new_ent(self, district: str, cohort: int | None, n: int) -> Ent:
        """cohort 2023 / 2024: a first-time 规上 enterprise of that year; None: an established one."""
        r = self.rng
        uscc = self.next_uscc(district)
        if cohort is None:
            first = f"{r.randint(2011, 2022)}-{r.randint(1, 12):02d}"
            base = self.revenue(2000, 9000)
            revenue = {2023: base, 2024: int(base * r.uniform(0.85, 1.25)) // 100 * 100}
        else:
            first = f"{cohort}-{r.randint(1, 12):02d}"
            base = self.revenue(2000, 3200)
            revenue = {cohort: base}
            if cohort == 2023 and r.random() < 0.9:  # 90 % of the 2023 cohort is still 规上 in 2024
                revenue[2024] = int(base * r.uniform(0.9, 1.4)) // 100 * 100
        return Ent(uscc, self.company_name(n), district, r.choice(INDUSTRIES), first, revenue)

    def plan_roster_and_applications(self) -> None:
        from app.enterprises.uscc import make_uscc

        r, s = self.rng, self.scale
        self.ents: list[Ent] = []
        self.apps: list[App] = []
        n = 0
        for plan in PROGRAMS:
            districts = self.city_districts[plan.city] if plan.city else self.districts
            mix = MIX_DONE if plan.cohort_year == 2023 else MIX_OPEN
            statuses, weights = zip(*mix.items(), strict=True)
            y = plan.cohort_year + 1
            for _ in range(self.sizes[plan.code]):
                n += 1
                ent = self.new_ent(r.choice(districts), plan.cohort_year, n)
                ent.applied = True
                if plan.cohort_year == 2024:
                    ent.revenue.pop(2023, None)
                self.ents.append(ent)
                status = "paid" if plan.mix == "paid" else r.choices(statuses, weights)[0]
                created = datetime(y, 3, 1, 1, tzinfo=UTC) + timedelta(seconds=r.randint(0, 60 * 86400))
                self.apps.append(App(plan, self.program_ids[plan.code], ent, status, created))
        # Non-applicants: cohort entrants who did not apply, dropouts, established enterprises.
        total = round((FULL_ROSTER - INTAKE_POOL) * s)
        extra_2023 = scaled(30_000, s)
        extra_2024 = scaled(20_000, s)
        dropped = scaled(20_000, s)
        established = max(0, total - len(self.ents) - extra_2023 - extra_2024 - dropped)
        for cohort, count in ((2023, extra_2023), (2024, extra_2024), (None, established + dropped)):
            for i in range(count):
                n += 1
                ent = self.new_ent(r.choice(self.districts), cohort, n)
                if cohort is None and i < dropped:
                    ent.revenue.pop(2024)
                self.ents.append(ent)
        # The intake pool: 2024 entrants of every district, serials from POOL_SERIAL_BASE.
        for i in range(INTAKE_POOL):
            district = self.districts[i % len(self.districts)]
            ent = Ent(make_uscc(district, POOL_SERIAL_BASE + i), f"新疆申报池{r.choice(NAME_TRADES)}有限公司{i:06d}",
                      district, r.choice(INDUSTRIES), f"2024-{r.randint(1, 12):02d}", {2024: self.revenue(2000, 3200)})
            self.ents.append(ent)
        # Application ids in submission order: programmes of the same year interleave.
        self.apps.sort(key=lambda a: a.created)
        for i, app in enumerate(self.apps, start=1):
            app.id = i
            app.enterprise_id = i

    # ------------------------------------------------------------ COPY

    COLUMNS: ClassVar[dict[str, tuple[str, ...]]] = {
        "roster_entry": ("id", "uscc", "year", "name", "district_code", "industry_code", "first_included",
                         "main_revenue_fen", "imported_at"),
        "enterprise": ("id", "uscc", "name", "district_code", "industry_code", "address", "legal_representative",
                       "contact_name", "contact_phone", "bank_name", "bank_account", "created_at", "updated_at"),
        "application": ("id", "program_id", "enterprise_id", "live_enterprise_id", "district_code", "external_ref",
                        "submitted_by", "declared_revenue_fen", "first_above_scale_period", "status", "version",
                        "submission_no", "body_sha256", "created_at", "updated_at"),
        "eligibility_check": ("application_id", "rule", "position", "outcome", "message", "checked_at"),
        "document": ("id", "application_id", "payment_id", "kind", "filename", "content_type", "size", "sha256",
                     "storage_key", "uploaded_by", "created_at"),
        "review_decision": ("id", "application_id", "submission_no", "stage", "department", "decision", "opinion",
                            "reviewer", "decided_at"),
        "notice": ("id", "program_id", "title", "starts_on", "ends_on", "working_days", "channels", "status",
                   "version", "created_by", "created_at", "closed_at"),
        "notice_entry": ("id", "notice_id", "application_id", "award_fen", "outcome"),
        "appropriation": ("id", "program_id", "level", "district_code", "amount_fen", "document_no", "approved_on",
                          "arrived_amount_fen", "arrived_on", "version", "created_by", "created_at"),
        "payment": ("id", "application_id", "level", "live_level", "amount_fen", "voucher_no", "paid_on",
                    "payee_bank_name", "payee_account", "status", "returned_on", "return_reason", "recorded_by",
                    "created_at"),
        "survey_invitation": ("id", "program_id", "enterprise_id", "token_hash", "created_at", "used_at", "revoked_at",
                              "created_by"),
        "survey_response": ("id", "program_id", "enterprise_id", "invitation_id", "overall", "answers", "comment",
                            "channel", "collected_on", "entered_by", "created_at"),
    }

    def check_columns(self, conn) -> None:
        """Fail clearly if a migration added a NOT NULL column without default that this
        generator does not fill (COPY would fail with a less helpful message)."""
        missing = []
        for table, columns in self.COLUMNS.items():
            for (name,) in conn.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
                    "AND table_name = %s AND is_nullable = 'NO' AND column_default IS NULL", (table,)):
                if name not in columns:
                    missing.append(f"{table}.{name}")
        if missing:
            raise SystemExit("bench/generate.py does not fill these NOT NULL columns (added by a migration?): "
                             + ", ".join(missing))

    def copy(self, conn, table: str, rows) -> None:
        t = time.perf_counter()
        cols = self.COLUMNS[table]
        count = 0
        with conn.cursor().copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as cp:
            for row in rows:
                cp.write_row(row)
                count += 1
        self.counts[table] = count
        self.timed(f"COPY {table} ({count:,} rows)", t)

    def load(self, conn) -> None:
        stamp = datetime(2025, 2, 20, 2, tzinfo=UTC)
        self.copy(conn, "roster_entry", self.roster_rows(stamp))
        self.copy(conn, "enterprise", self.enterprise_rows())
        self.copy(conn, "application", self.application_rows())
        self.copy(conn, "eligibility_check", self.eligibility_rows())
        self.copy(conn, "review_decision", self.review_rows())
        notices, entries = self.notice_rows()
        self.copy(conn, "notice", notices)
        self.copy(conn, "notice_entry", entries)
        self.copy(conn, "appropriation", self.appropriation_rows())
        payments = self.payment_rows()
        self.copy(conn, "payment", payments)
        self.copy(conn, "document", self.document_rows(payments))
        invitations, responses = self.survey_rows()
        self.copy(conn, "survey_invitation", invitations)
        self.copy(conn, "survey_response", responses)
        # BENCH-BIG's evaluators have scored every qualitative row and explained every
        # quantitative one, so its live evaluation is complete (no row left unscored).
        conn.execute(
            "INSERT INTO indicator_assessment (program_id, key, tier, score, justification, deviation_note, "
            "assessed_by, updated_at) SELECT program_id, key, "
            "CASE WHEN kind = 'qualitative' THEN 'achieved' END, CASE WHEN kind = 'qualitative' THEN weight END, "
            "CASE WHEN kind = 'qualitative' THEN '经查阅立项文件、管理办法和过程资料，该项达成。' END, "
            "CASE WHEN kind = 'quantitative' THEN '目标值按上年规模设定，本年申报企业数量大幅增加。' END, "
            "'bench-evaluator', now() FROM indicator WHERE program_id = %s", (self.program_ids[BIG],))

    def roster_rows(self, stamp: datetime):
        i = 0
        for e in self.ents:
            for year, fen in sorted(e.revenue.items()):
                i += 1
                yield (i, e.uscc, year, e.name, e.district, e.industry, e.first_included, fen, stamp)

    def enterprise_rows(self):
        r = self.rng
        for a in self.apps:
            e = a.ent
            account = f"62{r.randint(10**15, 10**16 - 1)}"
            city = CITY_NAMES.get(e.district[:4] + "00", "新疆")
            yield (a.enterprise_id, e.uscc, e.name, e.district, e.industry, f"{city}工业园区{r.randint(1, 999)}号",
                   r.choice("张王李赵刘陈杨黄") + r.choice(["伟", "芳", "军", "丽", "强", "敏"]), "联系人",
                   f"0991-{r.randint(1000000, 9999999)}", f"{r.choice(BANKS)}{city}分行", account, a.created, a.created)

    def application_rows(self):
        for a in self.apps:
            live = a.enterprise_id if a.status in LIVE else None
            y = a.program.cohort_year
            declared = a.ent.revenue.get(y, THRESHOLD_FEN + 1_000_000_00)
            version = 1 + {"submitted": 0, "returned": 1, "district_approved": 2, "city_approved": 4, "in_notice": 5,
                           "approved": 6, "paid": 6 + len(a.program.levels), "rejected": 1, "withdrawn": 1}[a.status]
            updated = a.created + timedelta(days=30)
            yield (a.id, a.program_id, a.enterprise_id, live, a.ent.district, f"{a.program.code}-{a.id:07d}",
                   f"{a.ent.district}-system", declared, a.ent.first_included, a.status, version, 1,
                   sha(f"{a.id}"), a.created, updated)

    def docs_complete(self, a: App) -> bool:
        return a.status not in ("submitted", "returned") or a.id % 5 != 0

    def eligibility_rows(self):
        for a in self.apps:
            y = a.program.cohort_year
            e = a.ent
            wan = f"{e.revenue[y] / 1_000_000:.2f}"
            complete = self.docs_complete(a)
            checked = a.created + timedelta(minutes=5)
            rows = [
                ("uscc_valid", "pass", "统一社会信用代码校验通过（GB 32100-2015）"),
                ("district_in_city", "pass", "企业注册地属于本项目所辖区县"),
                ("industrial", "pass", f"统计名录行业代码 {e.industry} 属于工业（GB/T 4754 门类 B、C、D）"),
                ("revenue_threshold", "pass", f"统计名录 {y} 年主营业务收入 {wan} 万元达到门槛 2000.00 万元"),
                ("first_time_above_scale", "pass", f"{e.first_included} 首次纳入规上名录"),
                ("documents_complete", "pass", "申请报告、营业执照副本、财务报表均已上传") if complete else
                ("documents_complete", "warn", "尚缺材料：财务报表"),
                ("not_awarded_before", "pass", "此前未获得“小升规”奖补"),
                ("no_duplicate", "pass", "本项目中无该企业的其他有效申报"),
            ]
            for position, (rule, outcome, message) in enumerate(rows):
                yield (a.id, rule, position, outcome, message, checked)

    def review_rows(self):
        r = self.rng
        i = 0
        for a in self.apps:
            decisions: list[tuple[str, str, str]] = []
            st = a.status
            if st in REVIEWS_DONE:
                decisions = [("district", "industry", "approve"), ("district", "stats", "approve"),
                             ("city", "industry", "approve"), ("city", "stats", "approve")]
            elif st == "district_approved":
                decisions = [("district", "industry", "approve"), ("district", "stats", "approve")]
                if r.random() < 0.5:
                    decisions.append(("city", r.choice(["industry", "stats"]), "approve"))
            elif st == "submitted" and r.random() < 0.5:
                decisions = [("district", r.choice(["industry", "stats"]), "approve")]
            elif st == "returned":
                decisions = [("district", "industry", "return")]
            elif st == "rejected":
                decisions = [("district", "stats", "approve"), ("district", "industry", "reject")]
            moment = a.created
            for stage, department, decision in decisions:
                i += 1
                moment = moment + timedelta(days=r.randint(1, 10), minutes=r.randint(0, 600))
                opinion = {"approve": "材料齐全，符合条件，同意。", "return": "财务报表不完整，请补正后重新提交。",
                           "reject": "经核实不符合首次升规条件，不同意。"}[decision]
                reviewer = f"{a.ent.district}_{department}" if stage == "district" else f"city_{department}"
                yield (i, a.id, 1, stage, department, decision, opinion, reviewer, moment)
            a.reviews = decisions
            a.reviewed_at = moment  # type: ignore[attr-defined]

    @staticmethod
    def notice_monday(budget_year: int, k: int) -> date:
        first = date(2024, 6, 17) if budget_year == 2024 else date(2025, 6, 9)
        return first + timedelta(days=7 * k)

    def notice_rows(self):
        """BENCH-BIG: one closed notice per 5,000 applications; the others: one closed notice
        (approved, paid) and one open notice (in_notice)."""
        notices, entries = [], []
        by_program: dict[str, list[App]] = defaultdict(list)
        for a in self.apps:
            if a.status in ("in_notice", "approved", "paid"):
                by_program[a.program.code].append(a)
        nid = eid = 0
        for plan in PROGRAMS:
            apps = by_program.get(plan.code, [])
            if not apps:
                continue
            award = AWARD_FEN * len(plan.levels)
            y = plan.cohort_year + 1
            closed = [a for a in apps if a.status != "in_notice"]
            open_ = [a for a in apps if a.status == "in_notice"]
            batches = [closed[i:i + 5000] for i in range(0, len(closed), 5000)]
            for k, batch in enumerate(batches):
                nid += 1
                starts = self.notice_monday(y, k)
                ends = starts + timedelta(days=4)
                created = datetime.combine(starts, datetime.min.time(), UTC)
                notices.append((nid, self.program_ids[plan.code], f"{plan.title}拟奖补企业名单公示（第{k + 1}批）", starts,
                                ends, 5, json.dumps(["本系统公示页面"], ensure_ascii=False), "closed", 2, "city_industry",
                                created, created + timedelta(days=7)))
                for a in batch:
                    eid += 1
                    entries.append((eid, nid, a.id, award, "approved"))
                    a.notice_end = ends  # type: ignore[attr-defined]
            if open_:
                nid += 1
                starts = date(2026, 11, 23)
                created = datetime.combine(starts, datetime.min.time(), UTC)
                notices.append((nid, self.program_ids[plan.code], f"{plan.title}拟奖补企业名单公示（补充）", starts,
                                starts + timedelta(days=4), 5, json.dumps(["本系统公示页面"], ensure_ascii=False), "open",
                                1, "city_industry", created, None))
                for a in open_:
                    eid += 1
                    entries.append((eid, nid, a.id, award, None))
        return notices, entries

    def appropriation_rows(self):
        paid: dict[str, list[App]] = defaultdict(list)
        for a in self.apps:
            if a.status == "paid":
                paid[a.program.code].append(a)
        i = 0
        for plan in PROGRAMS:
            apps = paid.get(plan.code)
            if not apps:
                continue
            y = plan.cohort_year + 1
            approved, arrived = date(y, 6, 5), date(y, 6, 10)
            created = datetime.combine(approved, datetime.min.time(), UTC)
            pid = self.program_ids[plan.code]
            i += 1
            amount = AWARD_FEN * len(apps)
            yield (i, pid, "city", None, amount, f"新财建〔{y}〕{100 + i}号", approved, amount, arrived, 2, "finance",
                   created)
            if "district" in plan.levels:
                per_district: dict[str, int] = defaultdict(int)
                for a in apps:
                    per_district[a.ent.district] += 1
                for district, n in sorted(per_district.items()):
                    i += 1
                    amount = AWARD_FEN * n
                    yield (i, pid, "district", district, amount, f"{district}财建〔{y}〕{i}号", approved, amount, arrived,
                           2, "finance", created)

    def payment_rows(self) -> list[tuple]:
        r = self.rng
        rows = []
        i = 0
        for a in self.apps:
            if a.status != "paid":
                continue
            y = a.program.cohort_year + 1
            notice_end = getattr(a, "notice_end", date(y, 6, 20))
            for level in a.program.levels:
                i += 1
                # 97 % before the payment deadline (y-09-30), the rest a little late.
                room = (date(y, 9, 30) - notice_end).days
                days = r.randint(5, max(6, min(60, room))) if r.random() < 0.97 else room + r.randint(1, 30)
                paid_on = max(notice_end + timedelta(days=days), date(y, 6, 11))
                created = datetime.combine(paid_on, datetime.min.time(), UTC) + timedelta(hours=3)
                rows.append((i, a.id, level, level, AWARD_FEN, f"GK{y}{i:08d}", paid_on, "中国银行新疆分行",
                             f"62{(a.id * 7919) % 10**16:016d}", "paid", None, None, "finance", created))
        return rows

    def document_rows(self, payments: list[tuple]):
        i = 0
        for a in self.apps:
            kinds = REQUIRED_KINDS if self.docs_complete(a) else REQUIRED_KINDS[:2]
            for kind, zh in kinds:
                i += 1
                yield (i, a.id, None, kind, f"{zh}.pdf", "application/pdf", 200_000 + (i * 7919) % 800_000,
                       sha(f"doc{i}"), storage_key(i, self.seed), a.ent.district + "-system",
                       a.created + timedelta(minutes=10))
        for p in payments:
            i += 1
            yield (i, None, p[0], "bank_receipt", "银行电子回单.pdf", "application/pdf", 80_000 + (i * 7919) % 100_000,
                   sha(f"doc{i}"), storage_key(i, self.seed), "finance", p[-1] + timedelta(days=2))

    def survey_rows(self):
        r = self.rng
        invitations, responses = [], []
        for a in self.apps:
            if a.status != "paid":
                continue
            y = a.program.cohort_year + 1
            collected = date(y, 11, 1) + timedelta(days=r.randint(0, 40))
            moment = datetime.combine(collected, datetime.min.time(), UTC) + timedelta(hours=r.randint(1, 12))
            overall = r.choice(OVERALL)
            top = 5 if overall in ("very_satisfied", "satisfied") else 3
            answers = json.dumps({k: r.randint(max(1, top - 1), top) for k in QUESTION_KEYS})
            invitation_id = None
            if r.random() < 0.7:
                invitation_id = len(invitations) + 1
                invitations.append((invitation_id, a.program_id, a.enterprise_id, sha(f"token{self.seed}-{a.id}"),
                                    moment - timedelta(days=10), moment, None, "city_industry"))
            responses.append((len(responses) + 1, a.program_id, a.enterprise_id, invitation_id, overall, answers, "",
                              "online" if invitation_id else "paper", collected,
                              None if invitation_id else "city_industry", moment))
        return invitations, responses


def generate(admin_url: str = DEFAULT_ADMIN_URL, db: str = DEFAULT_DB, scale: float = 1.0, seed: int = 7,
             log=log_default) -> dict:
    return Generator(db_url(admin_url, db), scale, seed, log).run(admin_url, db)


def read_meta(url: str) -> dict | None:
    """The generation record of an existing benchmark database, or None."""
    import psycopg

    try:
        with connect(url) as conn:
            row = conn.execute("SELECT value FROM bench_meta WHERE key = 'generation'").fetchone()
    except psycopg.Error:
        return None
    return row[0] if row else None


def main(
    scale: Annotated[float, typer.Option(help="1.0 = full national scale")] = 1.0,
    seed: Annotated[int, typer.Option(help="random seed")] = 7,
    admin_url: Annotated[str, typer.Option(help="any database on the PostgreSQL server")] = DEFAULT_ADMIN_URL,
    db: Annotated[str, typer.Option(help="the benchmark database (dropped and created)")] = DEFAULT_DB,
) -> None:
    generate(admin_url, db, scale, seed)


if __name__ == "__main__":
    typer.run(main)
