"""The enterprise pages without a browser: the list with its live search, one enterprise's
history in sections, and the 跟踪服务 form posted by htmx to the API route (form-encoded,
CSRF header, the refreshed section as the answer); the /follow-ups page of open needs."""

import re
from datetime import date

from sqlmodel import select

from app.followups.models import FollowUp
from app.programs.models import Program
from app.surveys.models import SurveyResponse
from tests.enterprises.conftest import enterprise_of
from tests.factories import add_roster, award_applications

HX = {"HX-Request": "true"}
SECTIONS = ("基本信息", "申报记录", "审核意见", "拨付记录", "统计名录", "满意度问卷", "跟踪服务")


def _sign_in(client, user_for, role: str, district: str | None = None) -> str:
    username, password = user_for(role, district)
    r = client.post("/login", data={"username": username, "password": password, "next": "/"}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get("/enterprises")
    return page.text.split('"X-CSRF-Token": "', 1)[1].split('"', 1)[0]


def _assert_csp_clean(html: str) -> None:
    assert " style=" not in html and not re.search(r"\son[a-z]+=", html)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"


def _awarded(session, program: str, name: str = "天山页面测试企业有限公司") -> tuple[int, str]:
    [app_id] = award_applications(session, program, ["650102"], name=name)
    enterprise = enterprise_of(session, app_id)
    add_roster(session, enterprise.uscc, year=2023, revenue_fen=25_000_000_00)
    add_roster(session, enterprise.uscc, year=2024, revenue_fen=18_000_000_00)
    program_id = session.exec(select(Program.id).where(Program.code == program)).one()
    session.add(SurveyResponse(program_id=program_id, enterprise_id=enterprise.id, overall="satisfied",
                               answers={"policy_awareness": 5, "payment_timeliness": 2}, comment="希望简化材料",
                               channel="online", collected_on=date(2024, 10, 15)))
    session.commit()
    return app_id, enterprise.uscc


def test_list_page_and_its_live_search(client, session, user_for, program):
    _app_id, uscc = _awarded(session, program)
    _sign_in(client, user_for, "city_industry")
    page = client.get("/enterprises")
    assert page.status_code == 200 and "<html" in page.text and 'hx-get="/api/v1/enterprises"' in page.text
    assert f'href="/enterprises/{uscc}"' in page.text and "天山页面测试企业有限公司" in page.text
    _assert_csp_clean(page.text)

    r = client.get("/api/v1/enterprises", params={"q": "页面测试", "district": ""}, headers={**HX, "HX-Trigger": "filters"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "<html" not in r.text and "<table" in r.text and f'href="/enterprises/{uscc}"' in r.text
    assert program in r.text  # the awarded programme's badge
    assert r.headers["HX-Push-Url"] == "/enterprises?q=%E9%A1%B5%E9%9D%A2%E6%B5%8B%E8%AF%95"
    r = client.get("/api/v1/enterprises", params={"q": "没有这家企业"}, headers=HX)
    assert "没有符合条件的企业" in r.text


def test_enterprise_page_shows_every_section(client, session, user_for, program):
    app_id, uscc = _awarded(session, program)
    _sign_in(client, user_for, "city_industry")
    r = client.get(f"/enterprises/{uscc}")
    assert r.status_code == 200, r.text
    html = r.text
    for heading in SECTIONS:
        assert f">{heading}" in html, heading
    assert f'href="/applications/{app_id}"' in html and "已审定" in html  # 申报记录
    assert "区县初审" in html and "市级复审" in html and "同意" in html  # 审核意见
    assert "GKZF-T-" in html and "10.00" in html  # 拨付记录 in 万元
    assert "2,500.00" in html and "1,800.00" in html and "-28.0%" in html and "<svg" in html  # revenue per year, falling
    assert "规上标准 2000 万元" in html
    assert "满意" in html and "政策知晓" in html and "非常了解" in html and "不太及时" in html and "希望简化材料" in html
    assert "************5678" in html and "6217000012345678" not in html
    assert 'id="followup-form"' in html and f'hx-post="/api/v1/enterprises/{uscc}/follow-ups"' in html
    _assert_csp_clean(html)

    # The same route as the API answers HTMX with the history block of the same template.
    r = client.get(f"/api/v1/enterprises/{uscc}", headers=HX)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "<html" not in r.text and 'id="enterprise"' in r.text and 'id="followups"' in r.text
    assert client.get(f"/api/v1/enterprises/{uscc}").json()["uscc"] == uscc

    # The application's page links to the enterprise's.
    assert f'href="/enterprises/{uscc}"' in client.get(f"/applications/{app_id}").text


def test_follow_up_form_through_htmx(client, session, user_for, program):
    _app_id, uscc = _awarded(session, program)
    csrf = _sign_in(client, user_for, "district_industry", "650102")
    form = {"occurred_on": "2024-11-05", "kind": "technical_guidance", "program_code": program, "status": "open",
            "needs": "数控设备操作人员短缺，需要技能培训", "notes": ""}

    refused = client.post(f"/api/v1/enterprises/{uscc}/follow-ups", headers=HX, data=form)
    assert refused.status_code == 403 and "CSRF" in refused.text  # a cookie-authenticated change needs the header
    assert session.exec(select(FollowUp)).all() == []

    r = client.post(f"/api/v1/enterprises/{uscc}/follow-ups", headers={**HX, "X-CSRF-Token": csrf}, data=form)
    assert r.status_code == 201, r.text
    assert r.headers["content-type"].startswith("text/html") and "<html" not in r.text
    assert 'id="followups"' in r.text and "数控设备操作人员短缺，需要技能培训" in r.text and "技术指导" in r.text
    assert 'hx-swap-oob="innerHTML"' in r.text and "已登记跟踪服务记录" in r.text  # the flash message
    assert '<span id="open-follow-ups" hx-swap-oob="outerHTML">1</span>' in r.text
    [row] = session.exec(select(FollowUp)).all()
    assert (row.kind, row.status, row.needs) == ("technical_guidance", "open", "数控设备操作人员短缺，需要技能培训")
    assert f'hx-patch="/api/v1/follow-ups/{row.id}"' in r.text

    # A bad form: the Chinese problem goes to #flash, nothing is written.
    r = client.post(f"/api/v1/enterprises/{uscc}/follow-ups", headers={**HX, "X-CSRF-Token": csrf},
                    data={**form, "kind": "lunch"})
    assert r.status_code == 422 and r.headers["HX-Retarget"] == "#flash" and "服务方式应为以下之一" in r.text
    assert len(session.exec(select(FollowUp)).all()) == 1

    # 标记为已办结: the same section comes back with the record resolved.
    r = client.patch(f"/api/v1/follow-ups/{row.id}", headers={**HX, "X-CSRF-Token": csrf, "HX-Target": "followups"},
                     data={"status": "resolved"})
    assert r.status_code == 200, r.text
    assert 'id="followups"' in r.text and "已办结" in r.text and f'hx-patch="/api/v1/follow-ups/{row.id}"' not in r.text
    assert '<span id="open-follow-ups" hx-swap-oob="outerHTML">0</span>' in r.text
    session.refresh(row)
    assert row.status == "resolved" and row.resolved_by.startswith("district_industry")

    page = client.get(f"/enterprises/{uscc}")
    assert "数控设备操作人员短缺" in page.text and "办结" in page.text


def test_who_sees_the_form_and_the_page(client, session, user_for, program):
    _app_id, uscc = _awarded(session, program)
    _sign_in(client, user_for, "finance")
    page = client.get(f"/enterprises/{uscc}")
    assert page.status_code == 200 and ">跟踪服务" in page.text and 'id="followup-form"' not in page.text
    assert "6217000012345678" in page.text  # finance sees the whole account
    assert client.get("/follow-ups").status_code == 403

    client.cookies.clear()
    _sign_in(client, user_for, "district_industry", "650103")
    r = client.get(f"/enterprises/{uscc}")
    assert r.status_code == 404 and "企业不存在或无权查看" in r.text
    assert client.get("/enterprises/NOT-A-CODE").status_code == 404

    client.cookies.clear()
    _sign_in(client, user_for, "admin")
    assert client.get("/enterprises").status_code == 403
    client.cookies.clear()
    assert client.get(f"/enterprises/{uscc}", follow_redirects=False).headers["location"].startswith("/login?next=")


def test_open_needs_page(client, session, user_for, program, heads):
    _app_id, uscc = _awarded(session, program, name="天山开放需求企业有限公司")
    r = client.post(f"/api/v1/enterprises/{uscc}/follow-ups", headers=heads["d_ind"], json={
        "occurred_on": "2024-11-05", "kind": "financing", "needs": "申请技改贴息贷款"})
    follow_up_id = r.json()["id"]
    csrf = _sign_in(client, user_for, "city_industry")
    page = client.get("/follow-ups")
    assert page.status_code == 200 and "申请技改贴息贷款" in page.text and f'href="/enterprises/{uscc}#followups"' in page.text
    _assert_csp_clean(page.text)

    r = client.get("/api/v1/follow-ups", params={"status": "open", "district": "", "kind": ""}, headers=HX)
    assert r.status_code == 200 and f'id="follow-up-{follow_up_id}"' in r.text and "<html" not in r.text
    r = client.patch(f"/api/v1/follow-ups/{follow_up_id}", data={"status": "resolved"},
                     headers={**HX, "X-CSRF-Token": csrf, "HX-Target": f"follow-up-{follow_up_id}"})
    assert r.status_code == 200, r.text
    assert r.text.lstrip().startswith(f'<tr id="follow-up-{follow_up_id}"') and "已办结" in r.text
    r = client.get("/api/v1/follow-ups", params={"status": "open"}, headers=HX)
    assert "没有待办结的需求" in r.text
