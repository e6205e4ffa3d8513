"""What the generator and the scenarios share: the benchmark database, the districts and
programmes of the national-scale data set, the intake pool, and the machine's description."""

from __future__ import annotations

import os
import platform
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "bench"
RESULTS_DIR = BENCH_DIR / "results"
TMP_DIR = RESULTS_DIR / "tmp"  # git-ignored: the roster CSV, the server's documents and logs
VENV_BIN = ROOT / ".venv" / "bin"

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_DB = "scaleup_bench"

# Full scale (scale 1.0), from spec/quality.md.
FULL_ROSTER = 500_000  # distinct enterprises in the statistics roster, over two years
FULL_BIG = 50_000  # applications in the largest programme
# The intake scenario needs fresh enterprises (on the roster, never applied) for as long as it
# runs, whatever the scale: this pool is not scaled. At scale 1.0 it is part of the 500,000.
INTAKE_POOL = 80_000
POOL_SERIAL_BASE = 20_000_000  # make_uscc serials of the pool
BASELINE_SERIAL_BASE = 40_000_000  # make_uscc serials used by the intake baseline (not on the roster)

ROSTER_YEARS = (2023, 2024)
IMPORT_YEAR = 2025  # the roster import scenario loads next year's roster, then removes it again

BIG = "BENCH-BIG"
INTAKE = "BENCH-INTAKE"

# A province: Urumqi's eight real districts (seeded by the migrations) and twelve more
# prefectures of seven synthetic county-level districts each (codes of the GB/T 2260 shape).
URUMQI = "650100"
OTHER_CITIES = [
    ("650200", "克拉玛依市"), ("650400", "吐鲁番市"), ("650500", "哈密市"), ("652300", "昌吉回族自治州"),
    ("652700", "博尔塔拉蒙古自治州"), ("652800", "巴音郭楞蒙古自治州"), ("652900", "阿克苏地区"),
    ("653000", "克孜勒苏柯尔克孜自治州"), ("653100", "喀什地区"), ("653200", "和田地区"),
    ("654000", "伊犁哈萨克自治州"), ("654200", "塔城地区"),
]
DISTRICTS_PER_CITY = 7
CITY_NAMES = {URUMQI: "乌鲁木齐市", **dict(OTHER_CITIES)}


def extra_districts() -> list[tuple[str, str, str]]:
    """(code, name, city_code) of the synthetic districts the generator adds."""
    out = []
    for city, name in OTHER_CITIES:
        for i in range(1, DISTRICTS_PER_CITY + 1):
            out.append((f"{city[:4]}{i:02d}", f"{name}第{i}区县", city))
    return out


@dataclass(frozen=True)
class ProgramPlan:
    code: str
    title: str
    city: str | None  # None: the whole province
    cohort_year: int
    size: int  # applications at scale 1.0
    levels: tuple[str, ...]  # award tranches
    mix: str  # "paid" (every application paid) or "mixed" (every status)


PROGRAMS: list[ProgramPlan] = [
    ProgramPlan(BIG, "新疆维吾尔自治区2024年度“小升规”专项奖补资金（基准测试）", None, 2024, FULL_BIG, ("city",), "paid"),
    ProgramPlan(INTAKE, "2024年度“小升规”专项奖补资金（申报压测）", None, 2024, 2_000, ("city", "district"), "mixed"),
    ProgramPlan("BENCH-650100-2023", "乌鲁木齐市2023年度“小升规”专项奖补资金", URUMQI, 2023, 6_000, ("city", "district"), "mixed"),
    ProgramPlan("BENCH-650200-2024", "克拉玛依市2024年度“小升规”专项奖补资金", "650200", 2024, 4_000, ("city", "district"), "mixed"),
    ProgramPlan("BENCH-650400-2023", "吐鲁番市2023年度“小升规”专项奖补资金", "650400", 2023, 3_000, ("city", "district"), "mixed"),
    ProgramPlan("BENCH-650500-2024", "哈密市2024年度“小升规”专项奖补资金", "650500", 2024, 2_000, ("city", "district"), "mixed"),
    ProgramPlan("BENCH-652300-2023", "昌吉回族自治州2023年度“小升规”专项奖补资金", "652300", 2023, 1_500, ("city", "district"), "mixed"),
    ProgramPlan("BENCH-652700-2024", "博尔塔拉蒙古自治州2024年度“小升规”专项奖补资金", "652700", 2024, 1_000, ("city", "district"), "mixed"),
    ProgramPlan("BENCH-652800-2023", "巴音郭楞蒙古自治州2023年度“小升规”专项奖补资金", "652800", 2023, 500, ("city", "district"), "mixed"),
    ProgramPlan("BENCH-652900-2024", "阿克苏地区2024年度“小升规”专项奖补资金", "652900", 2024, 300, ("city", "district"), "mixed"),
]


def scaled(n: int, scale: float, minimum: int = 1) -> int:
    return max(minimum, round(n * scale))


# ---------------------------------------------------------------- database URLs


def db_url(admin_url: str, db: str) -> str:
    """The URL of database `db` on the server of `admin_url`."""
    base, _, _ = admin_url.rpartition("/")
    return f"{base}/{db}"


def connect(url: str, **kwargs) -> psycopg.Connection:
    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), **kwargs)


# ---------------------------------------------------------------- the intake pool


def pool_district(i: int, districts: list[str]) -> str:
    return districts[i % len(districts)]


# ---------------------------------------------------------------- the machine


def machine_info(url: str | None = None) -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kib = 0
    try:
        m = re.search(r"MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text())
        mem_kib = int(m.group(1)) if m else 0
    except OSError:
        pass
    info = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
    }
    if url:
        with connect(url) as conn:
            info["postgresql"] = conn.execute("SHOW server_version").fetchone()[0]
            info["shared_buffers"] = conn.execute("SHOW shared_buffers").fetchone()[0]
    try:
        info["git_commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                            text=True, timeout=5, check=False).stdout.strip()
        # Uncommitted changes to what the server runs, if any (the figures are of that code).
        info["git_dirty"] = subprocess.run(["git", "status", "--porcelain", "--", "app", "migrations", "templates"],
                                           cwd=ROOT, capture_output=True, text=True, timeout=5, check=False).stdout.split("\n")
        info["git_dirty"] = [line.strip() for line in info["git_dirty"] if line.strip()]
    except (OSError, subprocess.SubprocessError):
        pass
    return info
