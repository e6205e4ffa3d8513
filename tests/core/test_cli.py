"""`scaleup users create` and `scaleup tokens create` as a district's administrator runs them."""

import hashlib
import os
import subprocess
import sys

from sqlmodel import Session, select

from app.core.db import make_engine
from app.core.migrate import upgrade
from app.core.security import verify_password
from app.users.models import ApiToken, User
from tests.conftest import fresh_database_url


def _cli(url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "SCALEUP_DATABASE_URL": url}
    return subprocess.run([sys.executable, "-m", "app.cli", *args], input=stdin, env=env, capture_output=True, text=True, timeout=120)


def test_users_and_tokens_create(backend):
    url = fresh_database_url(backend, "scaleup_cli")
    upgrade(url)
    r = _cli(url, "users", "create", "ts_industry", "--role", "district_industry", "--district", "650102", stdin="S3cret-pass\n")
    assert r.returncode == 0, r.stderr
    t = _cli(url, "tokens", "create", "tianshan-system", "--role", "district_system", "--district", "650102")
    assert t.returncode == 0, t.stderr
    raw = t.stdout.strip()
    assert "\n" not in raw and len(raw) >= 40  # the token alone, ≥ 128 bits
    engine = make_engine(url)
    with Session(engine) as s:
        user = s.exec(select(User).where(User.username == "ts_industry")).one()
        assert user.role == "district_industry" and user.district_code == "650102"
        assert verify_password("S3cret-pass", user.password_hash) and "S3cret" not in user.password_hash
        token = s.exec(select(ApiToken).where(ApiToken.name == "tianshan-system")).one()
        assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    engine.dispose()
    # refusals are clear and change nothing
    bad = _cli(url, "users", "create", "x", "--role", "district_stats", stdin="S3cret-pass\n")
    assert bad.returncode != 0 and "区县" in bad.stderr
    dup = _cli(url, "users", "create", "ts_industry", "--role", "auditor", stdin="S3cret-pass\n")
    assert dup.returncode != 0 and "已存在" in dup.stderr
    unknown = _cli(url, "tokens", "create", "x", "--role", "king")
    assert unknown.returncode != 0 and "未知角色" in unknown.stderr and unknown.stdout == ""


def test_serve_with_workers_answers_refuses_a_taken_port_and_stops_on_sigterm():
    import signal
    import time

    import httpx

    from tests.conftest import _free_port

    url = fresh_database_url("sqlite", "scaleup_serve")
    upgrade(url)
    port = _free_port()
    env = {**os.environ, "SCALEUP_DATABASE_URL": url}
    server = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", "2"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "the server did not come up"
            time.sleep(0.3)
        # Each fresh connection is answered, whichever worker's socket the kernel picks.
        for _ in range(20):
            with httpx.Client() as c:
                assert c.get(f"http://127.0.0.1:{port}/healthz").json() == {"status": "ok"}
        # A second server on the same port is refused at once, in Chinese, not half-started.
        second = _cli(url, "serve", "--port", str(port), "--workers", "2")
        assert second.returncode == 1 and "无法监听" in second.stderr and "端口已被占用" in second.stderr
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    output = server.stdout.read()
    assert output.count("Finished server process") == 2, output
