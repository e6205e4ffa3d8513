"""The notice pages without a browser: the public notice (no sign-in, name, district and
amount only), its objection form posted by htmx, and the officials' management pages."""

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from app.notices.models import Objection
from tests.notices.test_notices import NATIONAL_DAY_2025

HX = {"HX-Request": "true"}
SECRETS = ("6217000012345678", "0991-1234567", "李四", "张三", "乌鲁木齐市天山区测试路 1 号", "中国银行乌鲁木齐分行")


def _sign_in(client, user_for, role: str, district: str | None = None) -> str:
    username, password = user_for(role, district)
    r = client.post("/login", data={"username": username, "password": password, "next": "/"}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get("/applications")
    return page.text.split('"X-CSRF-Token": "', 1)[1].split('"', 1)[0]


def _assert_csp_clean(html: str) -> None:
    assert " style=" not in html and not re.search(r"\son[a-z]+=", html)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"


@pytest.fixture
def current(client, heads, program, city_approved, known_calendar) -> dict:
    apps = [city_approved(name="新疆丙新材料有限公司"), city_approved("650103", name="乌鲁木齐丁电子有限公司")]
    r = client.post(f"/api/v1/programs/{program}/notices", json={"title": "2023年度拟奖补企业名单公示",
                                                                  "starts_on": known_calendar.isoformat()},
                    headers=heads["c_ind"])
    assert r.status_code == 201, r.text
    return {"notice": r.json(), "apps": apps}


@pytest.fixture
def ended(client, heads, program, city_approved) -> dict:
    apps = [city_approved(name="甲机械有限公司")]
    r = client.post(f"/api/v1/programs/{program}/notices", json=NATIONAL_DAY_2025, headers=heads["c_ind"])
    assert r.status_code == 201, r.text
    return {"notice": r.json(), "apps": apps}


def test_public_page_without_sign_in_shows_name_district_and_amount_only(client, current):
    notice, apps = current["notice"], current["apps"]
    assert not client.cookies
    r = client.get(f"/notices/{notice['id']}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    for text in ("2023年度拟奖补企业名单公示", f"公示期：{notice['starts_on']} 至 {notice['ends_on']}（5 个工作日）",
                 "新疆丙新材料有限公司", "乌鲁木齐丁电子有限公司", "天山区", "沙依巴克区", "20.00", "合计 2 家", "40.00",
                 "本系统公示页面", "正在公示", "提交异议"):
        assert text in html, text
    for app in apps:
        assert app["enterprise"]["uscc"] not in html
    for secret in SECRETS:
        assert secret not in html, secret
    assert f'hx-post="/api/v1/notices/{notice["id"]}/objections"' in html
    assert "X-CSRF-Token" not in html and "退出" not in html  # nobody is signed in
    _assert_csp_clean(html)


def test_public_page_outside_the_period_hides_the_form(client, ended):
    r = client.get(f"/notices/{ended['notice']['id']}")
    assert r.status_code == 200
    assert "公示期（2025-09-29 至 2025-10-11）已结束，不再受理在线异议" in r.text
    assert "<form" not in r.text and "甲机械有限公司" in r.text


def test_public_page_unknown_notice(client):
    for path in ("/notices/999999", "/notices/abc", "/notices/99999999999999999999"):
        r = client.get(path, headers={"Accept": "text/html"})
        assert r.status_code == 404 and "公示不存在" in r.text, path


def test_htmx_objection_form_confirms_in_chinese(client, session, current):
    notice, apps = current["notice"], current["apps"]
    form = {"application_id": str(apps[1]["id"]), "objector_name": "张某", "contact": "13800001111",
            "content": "该企业实际在外地生产。"}
    r = client.post(f"/api/v1/notices/{notice['id']}/objections", data=form, headers=HX)
    assert r.status_code == 201 and r.headers["content-type"].startswith("text/html")
    assert "您的异议已提交" in r.text and "<html" not in r.text and "再提交一条异议" in r.text
    row = session.exec(select(Objection)).one()
    assert (row.application_id, row.channel, row.objector_name) == (apps[1]["id"], "online", "张某")

    # errors come back next to the form, not in the page's flash region
    r = client.post(f"/api/v1/notices/{notice['id']}/objections", data={**form, "content": ""}, headers=HX)
    assert r.status_code == 422 and r.headers["HX-Retarget"] == "#objection-errors"
    assert "请检查填写内容：异议内容" in r.text
    r = client.post(f"/api/v1/notices/{notice['id']}/objections", data={**form, "application_id": ""}, headers=HX)
    assert r.status_code == 422 and r.headers["HX-Retarget"] == "#objection-errors"


def test_htmx_objection_outside_the_period(client, session, ended):
    notice, apps = ended["notice"], ended["apps"]
    form = {"application_id": str(apps[0]["id"]), "objector_name": "张某", "contact": "13800001111", "content": "异议"}
    r = client.post(f"/api/v1/notices/{notice['id']}/objections", data=form, headers=HX)
    assert r.status_code == 409 and r.headers["HX-Retarget"] == "#objection-errors"
    assert "当前不在公示期内" in r.text
    assert session.exec(select(Objection)).all() == []


def test_manage_page_needs_an_official(client, user_for, ended):
    notice = ended["notice"]
    r = client.get(f"/notices/{notice['id']}/manage", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/login?next=%2Fnotices%2F{notice['id']}%2Fmanage"
    _sign_in(client, user_for, "district_industry", "650102")
    r = client.get(f"/notices/{notice['id']}/manage")
    assert r.status_code == 200 and "甲机械有限公司" in r.text
    assert "提交处理意见" not in r.text and "登记来信、来电异议" not in r.text  # read-only for a district official
    assert client.get("/notices/424242/manage").status_code == 404


def test_keeper_manages_a_notice_with_htmx(client, session, user_for, ended):
    notice, apps = ended["notice"], ended["apps"]
    csrf = _sign_in(client, user_for, "city_industry")
    hx = {**HX, "X-CSRF-Token": csrf}

    page = client.get(f"/notices/{notice['id']}/manage")
    assert page.status_code == 200
    html = page.text
    for text in ("甲机械有限公司", apps[0]["enterprise"]["uscc"], "下载名单（XLSX）", "打印名单", "暂无异议", "登记来信、来电异议",
                 "结束公示并审定", f'/api/v1/notices/{notice["id"]}/entries.xlsx', 'src="/static/js/print.js"'):
        assert text in html, text
    _assert_csp_clean(html)

    # a letter, recorded from the management page
    r = client.post(f"/api/v1/notices/{notice['id']}/objections", headers=hx, data={
        "channel": "letter", "application_id": str(apps[0]["id"]), "objector_name": "某协会", "contact": "0991-7654321",
        "content": "反映该企业存在拆分经营情况。"})
    assert r.status_code == 201, r.text
    assert 'id="notice"' in r.text and "<html" not in r.text and "反映该企业存在拆分经营情况" in r.text
    assert "还有 1 条异议尚未处理" in r.text
    objection = session.exec(select(Objection)).one()
    assert objection.channel == "letter"

    # without the CSRF header a cookie-authenticated change is refused
    assert client.post(f"/api/v1/objections/{objection.id}/resolution", data={"upheld": "true", "note": "x"},
                       headers=HX).status_code == 403

    r = client.post(f"/api/v1/objections/{objection.id}/resolution", headers=hx,
                    data={"upheld": "true", "note": "经核查情况属实。"})
    assert r.status_code == 200 and "异议成立" in r.text and "经核查情况属实。" in r.text
    r = client.post(f"/api/v1/notices/{notice['id']}/close", headers=hx)
    assert r.status_code == 200 and "已结束" in r.text and "异议成立，不予奖补" in r.text
    assert client.get(f"/api/v1/applications/{apps[0]['id']}").json()["status"] == "rejected"


def test_program_page_publishes_with_htmx(client, session, user_for, program, city_approved):
    a = city_approved()
    csrf = _sign_in(client, user_for, "city_industry")
    page = client.get(f"/programs/{program}/notices")
    assert page.status_code == 200 and "当前有 <strong>1</strong> 家企业" in page.text and "本项目尚未发布公示" in page.text
    _assert_csp_clean(page.text)
    r = client.post(f"/api/v1/programs/{program}/notices", headers={**HX, "X-CSRF-Token": csrf}, data={
        "title": "拟奖补企业名单公示", "starts_on": "2025-09-29", "working_days": "", "channels": ["本系统公示页面", "政务公开栏"]})
    assert r.status_code == 201, r.text
    notice_id = int(r.headers["location"].rsplit("/", 1)[1])
    assert r.headers["HX-Redirect"] == f"/notices/{notice_id}/manage"
    notice = client.get(f"/api/v1/notices/{notice_id}").json()
    assert notice["ends_on"] == "2025-10-11" and notice["channels"] == ["本系统公示页面", "政务公开栏"]
    assert [e["application_id"] for e in notice["entries"]] == [a["id"]]
    page = client.get(f"/programs/{program}/notices")
    assert "拟奖补企业名单公示" in page.text and "当前没有复审通过、等待公示的申报" in page.text

    # a calendar gap shows up in the flash region as a Chinese message naming the year
    city_approved()
    r = client.post(f"/api/v1/programs/{program}/notices", headers={**HX, "X-CSRF-Token": csrf},
                    data={"title": "跨年", "starts_on": "2026-12-30"})
    assert r.status_code == 409 and r.headers["HX-Retarget"] == "#flash" and "2027 年的法定节假日安排尚未录入" in r.text


def test_print_script_is_same_origin_javascript(client):
    r = client.get("/static/js/print.js")
    assert r.status_code == 200 and "javascript" in r.headers["content-type"]
    assert "window.print()" in r.text


def test_keeper_form_errors_go_to_the_flash_region(client, user_for, ended):
    notice = ended["notice"]
    csrf = _sign_in(client, user_for, "city_industry")
    r = client.post(f"/api/v1/notices/{notice['id']}/objections", headers={**HX, "X-CSRF-Token": csrf},
                    data={"channel": "letter", "application_id": str(ended["apps"][0]["id"]), "objector_name": "某",
                          "contact": "", "content": "x"})
    assert r.status_code == 422 and r.headers["HX-Retarget"] == "#flash"


def test_public_page_before_the_period(client, heads, program, city_approved, known_calendar):
    city_approved(name="戊科技有限公司")
    starts_on = known_calendar + timedelta(days=14)
    r = client.post(f"/api/v1/programs/{program}/notices", json={"title": "下期公示", "starts_on": starts_on.isoformat()},
                    headers=heads["c_ind"])
    assert r.status_code == 201, r.text
    page = client.get(f"/notices/{r.json()['id']}")
    assert f"公示将于 {starts_on} 开始" in page.text and "公示尚未开始" in page.text and "<form" not in page.text
    assert "戊科技有限公司" in page.text
