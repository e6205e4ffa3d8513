"""The review pages without a browser: the decision form only for the seat whose decision is
due, the form's HTML face of the review service, 待我审核 and the dashboard's counts."""

import re
from itertools import count

import pytest
from sqlalchemy import event, func
from sqlmodel import select

from app.applications.models import Application
from app.programs.models import Program
from tests.browser.test_fragments import HX, _sign_in
from tests.factories import add_roster, application_body, complete_documents, make_program, new_uscc

_codes = count(1)


def _program(session) -> str:
    code = f"RP-{next(_codes):03d}"
    make_program(session, code)
    return code


def _submit(client, headers, code, district="650102", **kw) -> dict:
    r = client.post(f"/api/v1/programs/{code}/applications", json=application_body(new_uscc(district), district=district, **kw),
                    headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def _review(client, headers, app_id, decision, opinion="同意"):
    version = client.get(f"/api/v1/applications/{app_id}", headers=headers).json()["version"]
    r = client.post(f"/api/v1/applications/{app_id}/reviews", json={"decision": decision, "opinion": opinion},
                    headers={**headers, "If-Match": f'"{version}"'})
    assert r.status_code == 201, r.text
    return r.json()


def _csrf(html: str) -> str:
    return re.search(r'"X-CSRF-Token": "([^"]+)"', html).group(1)


def _as(client, user_for, role, district=None) -> None:
    client.cookies.clear()
    username, password = user_for(role, district)
    assert _sign_in(client, username, password).status_code == 303


@pytest.fixture
def reviewed(client, session, token_for):
    """An application with its documents, district industry already approved (by API token)."""
    code = _program(session)
    ts = token_for("district_system", "650102")
    app = _submit(client, ts, code, name="天山区审核测试机械有限公司")
    add_roster(session, app["enterprise"]["uscc"], year=2023, revenue_fen=41_250_000_00)
    add_roster(session, app["enterprise"]["uscc"], year=2024, revenue_fen=52_000_000_00)
    complete_documents(session, app["id"])
    heads = {"ts": ts, "d_ind": token_for("district_industry", "650102", name="ts-ind-api"),
             "d_sta": token_for("district_stats", "650102", name="ts-sta-api")}
    return code, app, heads


def test_the_form_is_shown_to_the_seat_whose_decision_is_due(client, user_for, reviewed):
    code, app, h = reviewed
    page = f"/applications/{app['id']}"

    # 区县工信: their decision is due; the form carries the current version as If-Match.
    _as(client, user_for, "district_industry", "650102")
    html = client.get(page).text
    assert 'id="review-form"' in html
    assert "hx-headers='{\"If-Match\": \"\\\"1\\\"\"}'" in html
    for decision in ("approve", "reject", "return"):
        assert f'hx-vals=\'{{"decision": "{decision}"}}\'' in html
    assert f'hx-post="/applications/{app["id"]}/reviews"' in html
    assert "工信部门 · 区县初审" in html and "待审核" in html
    assert 'id="approve-blocked"' not in html  # documents complete: 同意 is enabled
    # the roster rows beside it: year, revenue in 万元, 入库年月, district
    roster = html[html.index('id="roster"'):html.index('id="documents"')]
    for text in ("2023", "2024", "4,125.00", "5,200.00", "2023-06", "天山区", "申报年度"):
        assert text in roster, text

    # 市工信 at the district stage: no form, a note that the district stage comes first.
    _as(client, user_for, "city_industry")
    html = client.get(page).text
    assert 'id="review-form"' not in html and "尚在区县初审阶段" in html

    # 区县统计 decides (through the API); afterwards their page shows no form any more.
    _review(client, h["d_sta"], app["id"], "approve", "名录核实无误")
    _as(client, user_for, "district_stats", "650102")
    html = client.get(page).text
    assert 'id="review-form"' not in html
    assert "统计部门已于" in html and "同一部门对同一次申报只审核一次" in html
    progress = html[html.index('id="review-progress"'):html.index("</section>", html.index('id="review-progress"'))]
    assert "✓ 同意" in progress and "待审核" in progress  # statistics approved, industry pending

    # Roles without a seat see the progress but no review section at all.
    for role in ("finance", "auditor"):
        _as(client, user_for, role)
        html = client.get(page).text
        assert 'id="review-progress"' in html and 'id="review"' not in html, role

    # Another district's official cannot even see the application.
    _as(client, user_for, "district_industry", "650103")
    assert client.get(page).status_code == 404

    # Once 区县工信 approved too, the city seats get the form and the district ones do not.
    _review(client, h["d_ind"], app["id"], "approve")
    _as(client, user_for, "city_stats")
    html = client.get(page).text
    assert 'id="review-form"' in html and "统计部门 · 市级复审" in html and "hx-headers='{\"If-Match\": \"\\\"3\\\"\"}'" in html
    _as(client, user_for, "district_industry", "650102")
    html = client.get(page).text
    assert 'id="review-form"' not in html and "工信部门已于" in html and "申报当前状态：初审通过" in html


def test_approval_blocked_until_documents_are_complete(client, session, token_for, user_for):
    code = _program(session)
    app = _submit(client, token_for("district_system", "650102"), code)
    _as(client, user_for, "district_stats", "650102")
    html = client.get(f"/applications/{app['id']}").text
    approve = re.search(r'<button[^>]*hx-vals=\'\{"decision": "approve"\}\'[^>]*>', html, re.S).group(0)
    assert " disabled" in approve and 'aria-describedby="approve-blocked"' in approve
    assert "申报材料尚不齐全" in html and "尚缺材料" in html
    assert 'id="roster"' in html and "统计名录中暂无该企业" in html
    # 不同意 and 退回补正 stay available.
    reject = re.search(r'<button[^>]*hx-vals=\'\{"decision": "reject"\}\'[^>]*>', html, re.S).group(0)
    assert " disabled" not in reject


def test_the_form_posts_to_the_review_service(client, session, user_for, reviewed):
    code, app, _h = reviewed
    _as(client, user_for, "district_industry", "650102")
    page = client.get(f"/applications/{app['id']}").text
    csrf = _csrf(page)
    url = f"/applications/{app['id']}/reviews"

    # Without the CSRF token: refused.
    r = client.post(url, data={"decision": "approve"}, headers={**HX, "If-Match": '"1"'})
    assert r.status_code == 403
    # 退回补正 without an opinion: the service's Chinese 422, retargeted to #flash.
    r = client.post(url, data={"decision": "return", "opinion": " "}, headers={**HX, "X-CSRF-Token": csrf, "If-Match": '"1"'})
    assert r.status_code == 422 and r.headers["HX-Retarget"] == "#flash"
    assert "须填写审核意见" in r.text
    # An unknown decision, a missing or stale version.
    r = client.post(url, data={"decision": "maybe"}, headers={**HX, "X-CSRF-Token": csrf, "If-Match": '"1"'})
    assert r.status_code == 422 and "未知的审核意见" in r.text
    assert client.post(url, data={"decision": "approve"}, headers={**HX, "X-CSRF-Token": csrf}).status_code == 428
    r = client.post(url, data={"decision": "approve"}, headers={**HX, "X-CSRF-Token": csrf, "If-Match": '"7"'})
    assert r.status_code == 412 and "请刷新后重试" in r.text
    assert session.get(Application, app["id"]).version == 1  # nothing written

    r = client.post(url, data={"decision": "approve", "opinion": "材料齐全，同意推荐"},
                    headers={**HX, "X-CSRF-Token": csrf, "If-Match": '"1"'})
    assert r.status_code == 201 and r.headers["etag"] == '"2"'
    assert "<html" not in r.text and 'id="detail"' in r.text
    assert 'hx-swap-oob="innerHTML"' in r.text and "已记录您的审核意见" in r.text
    assert 'id="review-form"' not in r.text and "✓ 同意" in r.text and "材料齐全，同意推荐" in r.text
    # The JSON API saw the same decision.
    body = client.get(f"/api/v1/applications/{app['id']}").json()
    assert [(x["stage"], x["department"], x["decision"]) for x in body["reviews"]] == [("district", "industry", "approve")]
    # A second decision by the same department is refused.
    r = client.post(url, data={"decision": "reject", "opinion": "再次审核"}, headers={**HX, "X-CSRF-Token": csrf, "If-Match": '"2"'})
    assert r.status_code == 409

    # The JSON route's own HTMX face answers the same block (JSON body, as htmx's json-enc would send).
    _as(client, user_for, "district_stats", "650102")
    csrf = _csrf(client.get("/queue").text)
    r = client.post(f"/api/v1/applications/{app['id']}/reviews", json={"decision": "approve", "opinion": "同意"},
                    headers={**HX, "X-CSRF-Token": csrf, "If-Match": '"2"'})
    assert r.status_code == 201 and 'id="detail"' in r.text and "初审通过" in r.text


def test_queue_lists_what_awaits_my_department(client, session, token_for, user_for):
    code, other = _program(session), _program(session)
    ts = token_for("district_system", "650102")
    mine = [_submit(client, ts, code) for _ in range(3)] + [_submit(client, ts, other)]
    for a in mine:
        complete_documents(session, a["id"])
    _submit(client, token_for("district_system", "650103"), code, district="650103")
    _review(client, token_for("district_industry", "650102"), mine[0]["id"], "approve")  # industry done with #0
    _review(client, token_for("district_stats", "650102"), mine[1]["id"], "return", "补充财务报表")  # #1 returned

    _as(client, user_for, "district_industry", "650102")
    html = client.get("/queue").text
    assert 'id="queue-total">2<' in html  # #2 and #3 (#0 decided, #1 returned, 650103's not ours)
    chip = re.search(rf'data-program="{code}"[^>]*>.*?<span class="chip-count">(\d+)</span>', html, re.S).group(1)
    assert chip == "1"
    assert f'href="/applications/{mine[2]["id"]}"' in html and f'href="/applications/{mine[3]["id"]}"' in html
    assert f'href="/applications/{mine[0]["id"]}"' not in html and f'href="/applications/{mine[1]["id"]}"' not in html
    assert re.search(r'<span class="nav-count"[^>]*>2</span>', html)  # the navigation badge

    # The statistics department still has #0 waiting.
    _as(client, user_for, "district_stats", "650102")
    html = client.get(f"/queue?program={code}").text
    assert f'href="/applications/{mine[0]["id"]}"' in html and f'href="/applications/{mine[2]["id"]}"' in html
    assert f'href="/applications/{mine[3]["id"]}"' not in html  # another programme

    # The fragment: the list API with awaiting_me=true; its 加载更多 keeps the filter.
    r = client.get("/api/v1/applications", params={"awaiting_me": "true", "program": code, "limit": 1},
                   headers={**HX, "HX-Trigger": "queue-filters"})
    assert r.status_code == 200 and "awaiting_me=true" in r.text and 'id="more-row"' in r.text
    assert r.headers["HX-Push-Url"] == f"/queue?program={code}"

    # The city: nothing yet (no district stage passed); non-reviewers get a friendly note.
    _as(client, user_for, "city_industry")
    html = client.get("/queue").text
    assert "目前没有等待您审核的申报" in html
    _as(client, user_for, "finance")
    html = client.get("/queue").text
    assert 'id="queue-note"' in html and "不参与初审和复审" in html and 'href="/queue"' not in html


def _cells(html: str, code: str) -> dict:
    """{(district or None, status): number} of one programme's dashboard card."""
    start = html.index(f'id="program-{code}"')
    card = html[start:html.index("</section>", start)]
    out = {}
    for m in re.finditer(r'<li class="step[^"]*" data-status="(\w+)">.*?<span class="step-count">(\d+)</span>', card, re.S):
        out[("pipeline", m.group(1))] = int(m.group(2))
    for row in re.finditer(r'<tr data-district="(\d+)">(.*?)</tr>', card, re.S):
        for cell in re.finditer(r'data-status="(\w+)">(?:<a [^>]*>)?(?:<span class="zero">)?(\d+)<', row.group(2)):
            out[(row.group(1), cell.group(1))] = int(cell.group(2))
    return out


def test_dashboard_counts_match_the_data(client, session, engine, token_for, user_for):
    code = _program(session)
    ts, sb = token_for("district_system", "650102"), token_for("district_system", "650103")
    a = [_submit(client, ts, code) for _ in range(4)] + [_submit(client, sb, code, district="650103") for _ in range(2)]
    for x in a:
        complete_documents(session, x["id"])
    d_ind, d_sta = token_for("district_industry", "650102"), token_for("district_stats", "650102")
    _review(client, d_ind, a[0]["id"], "approve")
    _review(client, d_sta, a[0]["id"], "approve")  # → district_approved
    _review(client, d_sta, a[1]["id"], "reject", "名录核查：收入未达标")  # → rejected
    r = client.post(f"/api/v1/applications/{a[2]['id']}/withdraw", json={"reason": "企业主动撤回"},
                    headers={**ts, "If-Match": '"1"'})
    assert r.status_code == 200

    _as(client, user_for, "city_industry")
    html = client.get("/").text
    assert "工作台" in html and f'id="program-{code}"' in html
    cells = _cells(html, code)
    program_id = session.exec(select(Program.id).where(Program.code == code)).one()
    truth = dict(session.exec(select(Application.status, func.count()).where(Application.program_id == program_id)
                              .group_by(Application.status)).all())
    assert truth == {"submitted": 3, "district_approved": 1, "rejected": 1, "withdrawn": 1}
    for status in ("submitted", "district_approved", "city_approved", "in_notice", "approved", "paid"):
        assert cells[("pipeline", status)] == truth.get(status, 0), status
    assert cells[("650102", "submitted")] == 1 and cells[("650102", "district_approved")] == 1
    assert cells[("650102", "rejected")] == 1 and cells[("650102", "withdrawn")] == 1
    assert cells[("650103", "submitted")] == 2 and cells[("650104", "submitted")] == 0
    # Every number links into the filtered list.
    assert f'href="/applications?program={code}&amp;status=submitted&amp;district=650103">2</a>' in html
    assert f'href="/applications?program={code}&amp;status=district_approved">' in html

    # A district official sees their own district only.
    _as(client, user_for, "district_stats", "650102")
    html = client.get("/").text
    cells = _cells(html, code)
    assert {d for d, _s in cells if d != "pipeline"} == {"650102"}
    assert cells[("pipeline", "submitted")] == 1  # 650103's two are not counted
    assert 'id="queue-callout"' in html  # a reviewer sees 待我审核 first

    # The counting is SQL's: the dashboard issues as many statements with twice the applications.
    def statements() -> int:
        seen = []
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert client.get("/").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    before = statements()
    for _ in range(4):
        _submit(client, ts, code)
    assert statements() == before


def test_home_needs_sign_in(client):
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    r = client.get("/queue", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fqueue"
