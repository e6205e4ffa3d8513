"""The steps every Chromium test repeats — sign in, screenshot, collect CSP problems — and
the viewports. The fixtures themselves (`browser`, `new_page`, `page`) are in
tests/conftest.py, so that every folder shares the one browser of the test session."""

from pathlib import Path

import pytest

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}  # a common phone, CSS pixels

# Records violations the page itself sees (init scripts run outside the page's CSP).
CSP_PROBE = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sourceFile || '') + ':' + e.lineNumber);
});
"""


def csp_problems(pg) -> list[str]:
    seen = [m for m in pg.console_messages_seen
            if "Content Security Policy" in m or "Refused to" in m or m.startswith("pageerror")]
    try:
        seen += pg.evaluate("window.__csp || []")
    except Exception:  # noqa: BLE001 - the page may be mid-navigation
        pass
    return seen


def shot(pg, backend: str, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{backend}-{name}.png"
    pg.screenshot(path=str(path), full_page=True)
    return path


def sign_in(pg, live_server, username: str, password: str) -> None:
    """Through the sign-in form, landing on the dashboard."""
    pg.goto(live_server.url + "/login")
    pg.get_by_label("用户名").fill(username)
    pg.get_by_label("密码").fill(password)
    pg.get_by_role("button", name="登录").click()
    expect(pg).to_have_url(live_server.url + "/")
    expect(pg.get_by_role("heading", level=1)).to_have_text("工作台")
