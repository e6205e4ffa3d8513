"""Batch entry in a real headless Chromium: city finance opens the programme's payments page,
ticks two approved applications, enters the batch voucher and date, and sees both payments
in the list with that voucher, highlighted as missing their bank e-receipt. Screenshots go
to tests/artifacts/ (gitignored)."""

import uuid

import pytest

from app.users.service import create_user
from tests.browser.conftest import csp_problems as _csp_problems, shot as _shot, sign_in
from tests.factories import approve_applications, make_program

pytestmark = [pytest.mark.browser, pytest.mark.live]

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect

PASSWORD = "Finance-2025!"
VOUCHER = "乌财库〔2024〕0808-017"


@pytest.fixture(scope="module")
def world(live_server):
    tag = uuid.uuid4().hex[:6].upper()
    code = f"PY-{tag}"
    username = f"city-fin-{tag.lower()}"
    with live_server.session() as s:
        make_program(s, code)
        create_user(s, username=username, role="finance", password=PASSWORD, display_name="王慧芳")
        s.commit()
        ids = approve_applications(s, code, ["650102", "650103"])
    return {"code": code, "username": username, "ids": ids}


def _sign_in(pg, live_server, username: str) -> None:
    sign_in(pg, live_server, username, PASSWORD)


def test_finance_records_a_batch_and_sees_it_in_the_payment_list(live_server, backend, world, page):
    pg = page
    code, ids = world["code"], world["ids"]
    _sign_in(pg, live_server, world["username"])
    pg.goto(live_server.url + f"/programs/{code}/payments")
    expect(pg.get_by_role("navigation", name="主导航").get_by_role("link", name="拨付")).to_have_attribute("href", "/payments")
    expect(pg.get_by_role("heading", level=1)).to_contain_text("资金拨付")
    expect(pg.locator("#payment-rows tr.empty")).to_have_count(1)
    expect(pg.locator('#payments a[href$="/payments.xlsx"]')).to_be_visible()
    candidates = pg.locator("#batch-form tbody tr")
    expect(candidates).to_have_count(2)
    _shot(pg, backend, "30-payments-before-batch")

    # Nothing ticked: the server's Chinese 422 in #flash, nothing recorded.
    pg.get_by_label("批量支付凭证号").fill(VOUCHER)
    pg.get_by_label("支付日期").fill("2024-08-08")
    pg.get_by_role("button", name="登记本批拨付").click()
    expect(pg.locator("#flash")).to_contain_text("请至少勾选一个要拨付的申报")
    expect(pg.locator("#payment-rows tr.empty")).to_have_count(1)

    for application_id in ids:
        pg.locator(f"#pay-{application_id}").check()
    pg.get_by_role("button", name="登记本批拨付").click()

    flash = pg.locator("#flash")
    expect(flash).to_contain_text("已登记本批拨付 2 笔")
    rows = pg.locator("#payment-rows tr")
    expect(rows).to_have_count(2)
    for application_id in ids:
        row = pg.locator("#payment-rows tr", has=pg.locator(f'a[href="/applications/{application_id}"]'))
        expect(row).to_have_class("missing-receipt")
        expect(row.locator("td.voucher")).to_have_text(VOUCHER)
        expect(row).to_contain_text("2024-08-08")
        expect(row).to_contain_text("市级")
        expect(row).to_contain_text("10.00")
        expect(row.locator(".badge.no-receipt")).to_have_text("缺回单")
        expect(row.locator("td.account")).not_to_contain_text("*")  # finance sees the full account
    expect(pg.locator('#funds-summary tr.total[data-level="city"] [data-figure="paid"]')).to_contain_text("20.00")
    expect(pg.locator("#batch-entry")).to_contain_text("没有待拨付市级奖补的已审定申报")
    expect(flash.locator(".problem")).to_have_count(0)
    _shot(pg, backend, "31-payments-after-batch")
    assert _csp_problems(pg) == []

    # Reloaded, the page shows the same: the batch was committed.
    pg.reload()
    expect(pg.locator("#payment-rows tr.missing-receipt")).to_have_count(2)
