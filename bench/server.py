"""A real ScaleUp server for the scenarios: `scaleup serve --workers N` in its own process
group, production settings, against the benchmark database; its workers' peak RSS from
/proc (VmHWM, reset through /proc/<pid>/clear_refs before a scenario), and py-spy on demand."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import httpx

from bench.common import ROOT, TMP_DIR, VENV_BIN


def _children() -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces and parentheses; split after the last ")".
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        out.setdefault(ppid, []).append(int(entry.name))
    return out


def descendants(pid: int) -> list[int]:
    tree = _children()
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for c in tree.get(p, []):
            out.append(c)
            todo.append(c)
    return out


def status_kib(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class Server:
    def __init__(self, url: str, port: int = 8765, workers: int = 2, log=print,
                 pg_options: str | None = None):
        self.url, self.port, self.workers, self.log = url, port, workers, log
        self.pg_options = pg_options
        self.base = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen | None = None
        self.log_path = TMP_DIR / f"server-{port}.log"
        self.storage = TMP_DIR / "documents"

    def start(self) -> None:
        TMP_DIR.mkdir(parents=True, exist_ok=True)
        self.storage.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SCALEUP_")}
        env.update({
            "SCALEUP_DATABASE_URL": self.url,
            "SCALEUP_ENVIRONMENT": "production",
            "SCALEUP_SECRET_KEY": secrets.token_urlsafe(48),
            "SCALEUP_STORAGE_DIR": str(self.storage),
        })
        if self.pg_options:
            env["PGOPTIONS"] = self.pg_options
        with httpx.Client() as probe:
            try:
                probe.get(self.base + "/healthz", timeout=1)
            except httpx.HTTPError:
                pass
            else:
                raise SystemExit(f"port {self.port} is already serving: stop that server or pass --port")
        logfile = open(self.log_path, "ab")  # noqa: SIM115 - the child keeps it
        self.proc = subprocess.Popen(
            [str(VENV_BIN / "scaleup"), "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--workers", str(self.workers)],
            cwd=ROOT, env=env, stdout=logfile, stderr=subprocess.STDOUT, start_new_session=True)
        logfile.close()
        deadline = time.monotonic() + 90
        with httpx.Client() as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise SystemExit(f"the server exited ({self.proc.returncode}); see {self.log_path}")
                try:
                    if client.get(self.base + "/readyz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.3)
            else:
                self.stop()
                raise SystemExit(f"the server did not become ready in 90 s; see {self.log_path}")
        # Every worker has imported the app once it answers; wait until all of them are up.
        time.sleep(1.0 if self.workers > 1 else 0)
        self.log(f"server up: pid {self.proc.pid}, workers {self.worker_pids()}, log {self.log_path}")

    def worker_pids(self) -> list[int]:
        if self.proc is None:
            return []
        if self.workers <= 1:
            return [self.proc.pid]
        pids = []
        for pid in descendants(self.proc.pid):
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            worker = b"multiprocessing.spawn" in cmd or b"multiprocessing-fork" in cmd
            if worker and b"resource_tracker" not in cmd:
                pids.append(pid)
        return pids or descendants(self.proc.pid)

    def reset_peak_rss(self) -> None:
        for pid in self.worker_pids():
            try:
                Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM (Linux ≥ 4.0)
            except OSError:
                pass

    def peak_rss_mib(self) -> float:
        return round(max((status_kib(p, "VmHWM") for p in self.worker_pids()), default=0) / 1024, 1)

    def rss_mib(self) -> float:
        return round(max((status_kib(p, "VmRSS") for p in self.worker_pids()), default=0) / 1024, 1)

    def stop(self, kill: bool = False) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL if kill else signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=10)
        self.proc = None

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


class Profiler:
    """py-spy record on every worker for the duration of a block (if py-spy is installed:
    `.venv/bin/pip install py-spy`; it is not a project dependency). Writes collapsed stacks
    and returns the top functions (self and inclusive samples) over all workers."""

    def __init__(self, server: Server, name: str, rate: int = 200):
        self.server, self.name, self.rate = server, name, rate
        self.procs: list[tuple[subprocess.Popen, Path]] = []
        self.summary: dict | None = None

    @staticmethod
    def available() -> bool:
        return (VENV_BIN / "py-spy").exists()

    def __enter__(self) -> Profiler:
        if not self.available():
            return self
        for pid in self.server.worker_pids():
            out = TMP_DIR / f"profile-{self.name}-{pid}.txt"
            proc = subprocess.Popen([str(VENV_BIN / "py-spy"), "record", "-p", str(pid), "-r", str(self.rate), "-f",
                                     "raw", "-o", str(out), "--nonblocking"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            self.procs.append((proc, out))
        time.sleep(1.0)  # let py-spy attach
        return self

    def __exit__(self, *exc) -> None:
        files = []
        for proc, out in self.procs:
            try:
                os.killpg(proc.pid, signal.SIGINT)
                proc.wait(timeout=30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            if out.exists():
                files.append(out)
        if files:
            self.summary = summarize_stacks(files)


def summarize_stacks(files: list[Path], top: int = 25) -> dict:
    """Top frames by self samples and by inclusive samples (each frame once per stack)."""
    own: Counter = Counter()
    inclusive: Counter = Counter()
    total = idle = 0
    for path in files:
        for line in path.read_text(errors="replace").splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack or not count.isdigit():
                continue
            n = int(count)
            frames = stack.split(";")
            total += n
            leaf = frames[-1]
            if any(w in leaf for w in ("select (selectors", "_run_once", "wait (threading", "epoll", "poll (")) and \
                    not any("app/" in f for f in frames):
                idle += n
            own[_short(leaf)] += n
            for f in {_short(f, lines=False) for f in frames}:
                inclusive[f] += n
    return {
        "files": [str(f) for f in files], "samples": total, "idle_samples": idle,
        "self": [(f, n) for f, n in own.most_common(top)],
        "inclusive_app": [(f, n) for f, n in inclusive.most_common(2000) if " (app/" in f][:top],
        "inclusive": [(f, n) for f, n in inclusive.most_common(top)],
    }


def _short(frame: str, lines: bool = True) -> str:
    # "function (path/to/file.py:123)" -> "function (file-relative-to-site-packages-or-repo:123)"
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    if not lines:
        where = where.rsplit(":", 1)[0]
    for marker in ("site-packages/", str(ROOT) + "/"):
        if marker in where:
            where = where.split(marker, 1)[1]
    return f"{name} ({where})" if where else name
