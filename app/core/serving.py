"""`scaleup serve --workers N`: N uvicorn worker processes, each listening on its own
SO_REUSEPORT socket bound to the same address.

Why not uvicorn's own supervisor: it hands every worker one shared listening socket, and
asyncio accepts a whole burst of waiting connections in the worker that wakes first — 32
district systems connecting at once ended up mostly in one worker, which ran at 100 % of a
core while the other idled (bench/, intake scenario). With a socket per worker the kernel
spreads new connections across the workers. The sockets are also made with proto
IPPROTO_TCP, so asyncio sets TCP_NODELAY on accepted connections (uvicorn's inherited socket
has proto 0 and every keep-alive response waited ~40 ms for a delayed ACK; uvicorn #3149).

The parent only supervises: a worker that dies is replaced; one that fails within its first
seconds (a taken port, a broken configuration) stops the whole server with its exit code."""

import multiprocessing
import signal
import socket
import sys
import time

STARTUP_SECONDS = 10.0


def listening_socket(host: str, port: int, *, shared: bool = True) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if shared:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _worker(host: str, port: int) -> None:
    import uvicorn

    config = uvicorn.Config("app.main:app", host=host, port=port, proxy_headers=True)
    uvicorn.Server(config).run(sockets=[listening_socket(host, port)])


def serve_workers(host: str, port: int, workers: int) -> int:
    """Run until SIGINT/SIGTERM; returns the exit code."""
    # Fail here, not in N workers, when anything holds the address — another ScaleUp's
    # SO_REUSEPORT sockets included (a socket without the option cannot join them).
    try:
        listening_socket(host, port, shared=False).close()
    except OSError as exc:
        print(f"无法监听 {host}:{port}：{exc.strerror}（端口已被占用？）", file=sys.stderr)
        return 1
    spawn = multiprocessing.get_context("spawn")
    stopping: list[int] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, _frame: stopping.append(signum))

    def start() -> tuple[multiprocessing.Process, float]:
        process = spawn.Process(target=_worker, args=(host, port), name="scaleup-worker")
        process.start()
        return process, time.monotonic()

    processes = [start() for _ in range(workers)]
    code = 0
    while not stopping:
        time.sleep(0.5)
        for i, (process, started) in enumerate(processes):
            if process.is_alive() or stopping:
                continue
            if time.monotonic() - started < STARTUP_SECONDS and process.exitcode:
                code = process.exitcode
                stopping.append(0)
                break
            processes[i] = start()
    for process, _started in processes:
        if process.is_alive():
            process.terminate()  # SIGTERM: uvicorn finishes the requests in flight
    for process, _started in processes:
        process.join()
    return code
