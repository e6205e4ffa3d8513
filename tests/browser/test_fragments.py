"""The HTML faces of the application routes, without a browser: one template gives the page
and the HTMX fragment; sign-in cookies and CSRF as the browser meets them."""

from http.cookies import SimpleCookie
from itertools import count

from app.users.auth import SESSION_COOKIE
from tests.factories import application_body, make_program, new_uscc

_codes = count(1)


def _program(session) -> str:
    code = f"FR-{next(_codes):03d}"
    make_program(session, code)
    return code


def _submit(client, headers, code, **kw) -> dict:
    district = kw.pop("district", "650102")
    body = application_body(new_uscc(district), district=district, **kw)
    r = client.post(f"/api/v1/programs/{code}/applications", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def _sign_in(client, username, password, next_="/applications"):
    return client.post("/login", data={"username": username, "password": password, "next": next_}, follow_redirects=False)


def _set_cookie(response) -> SimpleCookie:
    jar = SimpleCookie()
    for value in response.headers.get_list("set-cookie"):
        jar.load(value)
    return jar


HX = {"HX-Request": "true"}


def test_list_route_answers_fragment_for_htmx_and_json_otherwise(client, session, token_for, user_for):
    code = _program(session)
    headers = token_for("district_system", "650102")
    first = _submit(client, headers, code, name="天山精密机械有限公司")
    second = _submit(client, headers, code, name="红山食品加工有限公司")
    username, password = user_for("district_industry", "650102")
    assert _sign_in(client, username, password).status_code == 303

    r = client.get("/api/v1/applications", params={"program": code}, headers=HX)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "HX-Request" in r.headers["vary"]
    html = r.text
    assert "<html" not in html and "<table" in html
    assert "天山精密机械有限公司" in html and "红山食品加工有限公司" in html
    assert f'href="/applications/{first["id"]}"' in html and f'href="/applications/{second["id"]}"' in html
    assert "已提交" in html and "3,520.00" in html  # status badge; 35200000.00 元 in 万元
    assert "HX-Push-Url" not in r.headers  # only the list page's own filter form moves the address bar

    r = client.get("/api/v1/applications", params={"program": code})
    assert r.headers["content-type"].startswith("application/json")
    assert "HX-Request" in r.headers["vary"]
    assert {item["id"] for item in r.json()["items"]} == {first["id"], second["id"]}

    # A history restore asks for the full representation, never a fragment.
    r = client.get("/api/v1/applications", params={"program": code}, headers={**HX, "HX-History-Restore-Request": "true"})
    assert r.headers["content-type"].startswith("application/json")


def test_filter_form_pushes_the_page_address_and_searches(client, session, token_for, user_for):
    code = _program(session)
    headers = token_for("district_system", "650102")
    _submit(client, headers, code, name="乌鲁木齐天润乳业有限公司")
    _submit(client, headers, code, name="新疆众和铝材有限公司")
    username, password = user_for("city_industry")
    _sign_in(client, username, password)

    r = client.get("/api/v1/applications", params={"program": code, "q": "天润", "status": "", "district": ""},
                   headers={**HX, "HX-Trigger": "filters"})
    assert r.status_code == 200
    assert "乌鲁木齐天润乳业有限公司" in r.text and "新疆众和铝材有限公司" not in r.text
    assert r.headers["HX-Push-Url"] == f"/applications?program={code}&q=%E5%A4%A9%E6%B6%A6"

    r = client.get("/api/v1/applications", params={"program": code, "q": "没有这家企业"}, headers={**HX, "HX-Trigger": "filters"})
    assert "没有符合筛选条件的申报" in r.text


def test_load_more_appends_rows_only(client, session, token_for, user_for):
    code = _program(session)
    headers = token_for("district_system", "650102")
    made = [_submit(client, headers, code) for _ in range(3)]
    username, password = user_for("district_industry", "650102")
    _sign_in(client, username, password)

    r = client.get("/api/v1/applications", params={"program": code, "limit": 2}, headers=HX)
    assert r.text.count('href="/applications/') == 2 and 'id="more-row"' in r.text and "加载更多" in r.text
    cursor = client.get("/api/v1/applications", params={"program": code, "limit": 2}).json()["next_cursor"]
    assert f"cursor={cursor}" in r.text

    r = client.get("/api/v1/applications", params={"program": code, "limit": 2, "cursor": cursor}, headers=HX)
    assert "<table" not in r.text and "<thead" not in r.text  # rows appended into the existing table
    assert f'href="/applications/{made[0]["id"]}"' in r.text
    assert 'id="more-row"' not in r.text


def test_detail_fragment_and_page(client, session, token_for, user_for):
    code = _program(session)
    app = _submit(client, token_for("district_system", "650102"), code, name="天山区测试装备制造有限公司")
    username, password = user_for("district_industry", "650102")
    _sign_in(client, username, password)

    r = client.get(f"/api/v1/applications/{app['id']}", headers=HX)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "<html" not in r.text and 'id="detail"' in r.text
    for text in ("天山区测试装备制造有限公司", "资格审查", "统一社会信用代码有效", "暂无审核意见", "提交申报", "************5678"):
        assert text in r.text, text
    assert "6217000012345678" not in r.text

    page = client.get(f"/applications/{app['id']}")
    assert page.status_code == 200 and "<html" in page.text and 'id="detail"' in page.text
    assert "text/html" in page.headers["content-type"]


def test_pages_need_sign_in_and_hide_other_districts(client, session, token_for, user_for):
    code = _program(session)
    other = _submit(client, token_for("district_system", "650103"), code, district="650103")

    r = client.get("/applications?status=submitted", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fapplications%3Fstatus%3Dsubmitted"
    r = client.get(f"/applications/{other['id']}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")

    username, password = user_for("district_industry", "650102")
    r = _sign_in(client, username, password, next_="/applications?status=submitted")
    assert r.headers["location"] == "/applications?status=submitted"

    page = client.get("/applications")
    assert page.status_code == 200 and "申报列表" in page.text
    assert 'name="district"' not in page.text  # a district official's district is fixed
    assert "天山区" in page.text

    for path in (f"/applications/{other['id']}", "/applications/999999999", "/applications/abc"):
        r = client.get(path)
        assert r.status_code == 404, path
        assert "text/html" in r.headers["content-type"] and "申报不存在" in r.text

    # The API answers 404 as well (never leaking another district's record).
    assert client.get(f"/api/v1/applications/{other['id']}").status_code == 404


def test_htmx_errors_come_back_as_a_fragment_for_the_flash_region(client, user_for):
    username, password = user_for("city_industry")
    _sign_in(client, username, password)
    r = client.get("/api/v1/applications", params={"status": "bogus"}, headers=HX)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["HX-Retarget"] == "#flash" and "未知状态" in r.text


def test_wrong_password_shows_chinese_error(client, user_for):
    username, _ = user_for("district_industry", "650102")
    r = _sign_in(client, username, "not-the-password")
    assert r.status_code == 401
    assert "用户名或密码错误" in r.text
    assert SESSION_COOKIE not in r.headers.get("set-cookie", "")


def test_session_cookie_flags_and_rotation(client, user_for):
    username, password = user_for("district_industry", "650102")
    first = _sign_in(client, username, password)
    assert first.status_code == 303
    raw = [v for v in first.headers.get_list("set-cookie") if v.startswith(SESSION_COOKIE + "=")]
    assert len(raw) == 1
    morsel = _set_cookie(first)[SESSION_COOKIE]
    assert morsel["httponly"] is True
    assert morsel["samesite"].lower() == "lax"
    assert morsel["path"] == "/"
    old = morsel.value

    second = _sign_in(client, username, password)  # the client sends the old cookie along
    new = _set_cookie(second)[SESSION_COOKIE].value
    assert new and new != old
    # The old session is gone; the new one works.
    client.cookies.clear()
    assert client.get("/api/v1/me", cookies={SESSION_COOKIE: old}).status_code == 401
    assert client.get("/api/v1/me", cookies={SESSION_COOKIE: new}).status_code == 200


def test_unsafe_request_without_csrf_token_is_refused(client, user_for):
    username, password = user_for("district_industry", "650102")
    _sign_in(client, username, password)
    r = client.post("/logout", follow_redirects=False)
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "CSRF" in r.json()["detail"]
    assert client.get("/api/v1/me").status_code == 200  # still signed in

    page = client.get("/applications")
    token = page.text.split('"X-CSRF-Token": "', 1)[1].split('"', 1)[0]
    r = client.post("/logout", headers={"X-CSRF-Token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert client.get("/api/v1/me").status_code == 401
