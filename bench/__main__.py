"""python -m bench: generate (or reuse) the national-scale data set, start a real server, run
every scenario beside its baseline, stop the server, write bench/results/<timestamp>.json and
BENCHMARKS.md."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated

import typer

from bench.common import (
    DEFAULT_ADMIN_URL,
    DEFAULT_DB,
    RESULTS_DIR,
    db_url,
    machine_info,
)
from bench.generate import generate, read_meta
from bench.report import write_markdown
from bench.run import SCENARIOS, Ctx, dump, run_scenarios
from bench.server import Server

cli = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


def log(msg: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {msg}", flush=True)


@cli.command()
def main(
    scale: Annotated[float, typer.Option(help="1.0 = full national scale; 0.05 for a quick look")] = 1.0,
    only: Annotated[list[str] | None, typer.Option(help=f"run only these scenarios: {', '.join(SCENARIOS)}")] = None,
    reuse: Annotated[bool, typer.Option(help="reuse the existing benchmark database (same scale)")] = False,
    seed: Annotated[int, typer.Option(help="random seed of the data set")] = 7,
    workers: Annotated[int, typer.Option(help="scaleup serve --workers (4 on two cores measured best: fewer threads per GIL)")] = 4,
    port: Annotated[int, typer.Option(help="the server's port on 127.0.0.1")] = 8765,
    runs: Annotated[int, typer.Option(help="timed requests per latency scenario")] = 30,
    intake_seconds: Annotated[float, typer.Option(help="intake duration (each of server and baseline)")] = 60,
    roster_timeout: Annotated[float, typer.Option(help="stop the roster import after this many seconds")] = 600,
    profile: Annotated[bool, typer.Option(help="py-spy every worker during each scenario (figures perturbed)")] = False,
    markdown: Annotated[bool | None, typer.Option(help="rewrite BENCHMARKS.md (default: unless --only or --profile)")] = None,
    pg_options: Annotated[str | None, typer.Option(help="PGOPTIONS for the server's connections, e.g. '-c jit=off' "
                                                   "(an experiment; the figures of record use the defaults)")] = None,
    admin_url: Annotated[str, typer.Option(help="a database on the PostgreSQL server")] = DEFAULT_ADMIN_URL,
    db: Annotated[str, typer.Option(help="the benchmark database")] = DEFAULT_DB,
) -> None:
    names = list(only) if only else list(SCENARIOS)
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        raise typer.BadParameter(f"unknown scenario(s) {unknown}; choose from {list(SCENARIOS)}")
    started = datetime.now(UTC)
    url = db_url(admin_url, db)
    meta = read_meta(url) if reuse else None
    if reuse and meta is None:
        log(f"no benchmark data set in {db}: generating one")
    if meta is not None and meta.get("scale") != scale:
        log(f"reusing {db} generated at scale {meta.get('scale')} (not {scale})")
        scale = meta["scale"]
    if meta is None:
        meta = generate(admin_url, db, scale, seed, log=log)
    else:
        from app.core.migrate import upgrade

        upgrade(url)  # the code may have moved on since the data set was generated
        log(f"reusing {db} (scale {scale}, generated {meta.get('generated_at')}), migrated to head")
    machine = machine_info(url)
    log(f"machine: {machine['cpu']}, {machine['cores']} cores, {machine['ram_gib']} GiB, PostgreSQL {machine['postgresql']}")
    server = Server(url, port=port, workers=workers, log=log, pg_options=pg_options)
    ctx = Ctx(url=url, server=server, meta=meta, scale=scale, seed=meta.get("seed", seed), runs=runs,
              intake_seconds=intake_seconds, profile=profile, roster_timeout=roster_timeout, log=log)
    t0 = time.perf_counter()
    try:
        server.start()
        results = run_scenarios(ctx, names)
    finally:
        server.stop()
        log("server stopped")
    run = {
        "started_at": started.isoformat(timespec="seconds"), "seconds": round(time.perf_counter() - t0, 1),
        "scale": scale, "seed": ctx.seed, "workers": workers, "profile": profile, "pg_options": pg_options, "scenarios": names,
        "machine": machine, "generation": meta, "results": results,
    }
    path = RESULTS_DIR / f"{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    dump(run, path)
    log(f"results: {path}")
    if markdown if markdown is not None else (not only and not profile and not pg_options):
        log(f"wrote {write_markdown(run)}")
    failed = [n for n, r in results.items() if not r["passed"]]
    log(f"{len(results) - len(failed)} passed, {len(failed)} failed" + (f": {', '.join(failed)}" if failed else ""))


if __name__ == "__main__":
    cli()
