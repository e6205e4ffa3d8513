"""Test fixtures. Every database test runs on SQLite and, when SCALEUP_TEST_DATABASE_URL is
set, on PostgreSQL too. The schema is built by Alembic; each test runs in a transaction
that is rolled back (join_transaction_mode="create_savepoint")."""

import os
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

_STORAGE = Path(tempfile.mkdtemp(prefix="scaleup-test-docs-"))
os.environ.setdefault("SCALEUP_STORAGE_DIR", str(_STORAGE))
os.environ.setdefault("SCALEUP_SECRET_KEY", "test-secret")

import httpx  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import Engine, text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app.core.config import get_settings  # noqa: E402
from app.core.db import get_session, make_engine, normalize_url  # noqa: E402
from app.core.migrate import upgrade  # noqa: E402
from app.main import create_app  # noqa: E402

get_settings.cache_clear()

PG_URL = os.environ.get("SCALEUP_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
_TMP = Path(tempfile.mkdtemp(prefix="scaleup-test-db-"))
_PG_SCHEMAS: set[str] = set()


def fresh_database_url(backend: str, name: str) -> str:
    """An empty database for one purpose: a SQLite file, or a PostgreSQL schema of its own
    inside the test database (search_path), dropped and recreated."""
    if backend == "sqlite":
        path = _TMP / f"{name}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return f"sqlite:///{path}"
    # One schema per purpose and per test process, so that concurrent runs never collide.
    name = f"{name}_{os.getpid()}"
    base = normalize_url(PG_URL)
    admin = make_engine(base)
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
        conn.commit()
    admin.dispose()
    _PG_SCHEMAS.add(name)
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{name}"


@pytest.fixture(scope="session", autouse=True)
def _drop_test_schemas():
    yield
    if not _PG_SCHEMAS:
        return
    admin = make_engine(normalize_url(PG_URL))
    with admin.connect() as conn:
        for name in _PG_SCHEMAS:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        conn.commit()
    admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def db_url(backend) -> str:
    url = fresh_database_url(backend, "scaleup_test")
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def engine(db_url) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def demo_engine(backend) -> Iterator[Engine]:
    """The demo data set (`scaleup demo`), loaded once per backend into a database of its own
    and committed. A module whose tests read the demo overrides `engine` with it; each test
    still runs in its own rolled-back transaction."""
    from app.demo import load_demo

    url = fresh_database_url(backend, "scaleup_demo")
    upgrade(url)
    eng = make_engine(url)
    with Session(eng, expire_on_commit=False) as s:
        load_demo(s)
        s.commit()
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine) -> Iterator[Session]:
    connection = engine.connect()
    outer = connection.begin()
    db = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield db
    finally:
        db.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def app(session):
    application = create_app()

    def _test_session():
        # What the test set up before this request is kept: a failing request rolls back
        # only its own work, as it would against a real database.
        session.commit()
        try:
            yield session
            session.commit()  # releases the test's savepoint only
        except BaseException:
            session.rollback()
            raise

    application.dependency_overrides[get_session] = _test_session
    return application


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=True) as c:
        yield c


@pytest.fixture
def anon(app) -> Iterator[TestClient]:
    """A client that surfaces a 500 as a response (for error-shape tests)."""
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


# ---------------------------------------------------------------- identities


@pytest.fixture
def token_for(session):
    """token_for(role, district=None) → Authorization headers of a fresh API token."""
    from app.users.service import create_token

    def _make(role: str, district: str | None = None, name: str | None = None) -> dict:
        _tok, raw = create_token(session, name=name or f"{role}-{district or 'city'}", role=role, district_code=district)
        session.flush()
        return {"Authorization": f"Bearer {raw}"}

    return _make


@pytest.fixture
def user_for(session):
    """user_for(role, district=None) → (username, password) of a fresh user."""
    from app.users.service import create_user

    counter = {"n": 0}

    def _make(role: str, district: str | None = None) -> tuple[str, str]:
        counter["n"] += 1
        username = f"{role}{counter['n']}{district or ''}"
        create_user(session, username=username, role=role, password="Passw0rd!", district_code=district, display_name=username)
        session.flush()
        return username, "Passw0rd!"

    return _make


# ---------------------------------------------------------------- live server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, url: str, engine: Engine):
        self.url = url
        self.engine = engine

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)


@pytest.fixture(scope="session")
def live_server(backend) -> Iterator[LiveServer]:
    """A real uvicorn server in a thread, on a committed database of its own."""
    import uvicorn

    url = fresh_database_url(backend, "scaleup_live")
    upgrade(url)
    eng = make_engine(url)
    application = create_app()

    def _live_session():
        with Session(eng, expire_on_commit=False) as s:
            try:
                yield s
                s.commit()
            except BaseException:
                s.rollback()
                raise

    application.dependency_overrides[get_session] = _live_session
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(application, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.05)
    yield LiveServer(base, eng)
    server.should_exit = True
    thread.join(timeout=10)
    eng.dispose()


# ---------------------------------------------------------------- Chromium


@pytest.fixture(scope="session")
def browser():
    """One real headless Chromium (Debian's, never a downloaded one) for the whole session."""
    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    playwright_sync = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium fonts-noto-cjk)")
    with playwright_sync.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def new_page(browser):
    """new_page(viewport=PHONE, is_mobile=True) → a page in its own context that records
    console errors and CSP violations, closed after the test."""
    from tests.browser.conftest import CSP_PROBE, DESKTOP

    contexts = []

    def make(viewport: dict = DESKTOP, **options):
        context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport=viewport, **options)
        contexts.append(context)
        context.add_init_script(CSP_PROBE)
        pg = context.new_page()
        pg.set_default_timeout(10_000)
        messages: list[str] = []
        pg.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))
        pg.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
        pg.console_messages_seen = messages
        return pg

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()
