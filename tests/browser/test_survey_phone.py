"""The enterprise's questionnaire in a real headless Chromium at a phone's size: the link
from the invitation opens the form, a skipped question is pointed out in Chinese, the
answers go in once, and the link then says it was used. Screenshots (tests/artifacts/) are
looked at by eye: Chinese in Noto Sans CJK, options large enough to tap."""

import uuid

import httpx
import pytest
from sqlmodel import select

from app.surveys.models import SurveyResponse
from app.users.service import create_token
from tests.browser.conftest import PHONE, csp_problems, expect, shot
from tests.factories import award_applications, make_program

pytestmark = [pytest.mark.browser, pytest.mark.live]


@pytest.fixture(scope="module")
def link(live_server) -> dict:
    code = f"SVP-{uuid.uuid4().hex[:6].upper()}"
    with live_server.session() as s:
        make_program(s, code)
        award_applications(s, code, ["650102"], name="乌鲁木齐天山精工机械有限公司")
        _tok, raw = create_token(s, name=f"city-ind-{code}", role="city_industry")
        s.commit()
    r = httpx.post(f"{live_server.url}/api/v1/programs/{code}/surveys", headers={"Authorization": f"Bearer {raw}"})
    assert r.status_code == 201, r.text
    [invitation] = r.json()
    return {"code": code, **invitation}


def test_enterprise_answers_the_survey_on_a_phone(live_server, backend, link, new_page):
    pg = new_page(PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    pg.goto(link["url"])
    expect(pg.get_by_role("heading", level=1)).to_have_text(f"{link['code']} 测试项目")
    expect(pg.get_by_text("乌鲁木齐天山精工机械有限公司")).to_be_visible()
    # the options are stacked one per line and big enough for a thumb
    option = pg.locator(".survey-option span").first
    box = option.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 300, box
    assert pg.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scrolling

    pg.get_by_role("group", name="总体而言").get_by_label("非常满意", exact=True).tap()
    pg.get_by_role("group", name="了解程度").get_by_label("比较了解").tap()
    pg.get_by_role("group", name="申报流程").get_by_label("非常便捷").tap()
    pg.get_by_role("group", name="公开透明").get_by_label("满意", exact=True).tap()
    # 拨付及时 skipped on purpose
    pg.get_by_role("group", name="服务质量").get_by_label("非常满意", exact=True).tap()
    pg.get_by_label("意见和建议").fill("希望进一步简化申报材料，加强政策解读。")
    pg.get_by_role("button", name="提交问卷").tap()

    alert = pg.locator("#survey-errors")
    expect(alert).to_contain_text("还有题目没有作答：拨付及时")
    expect(pg.locator("fieldset.survey-missing")).to_have_count(1)
    expect(pg.get_by_role("group", name="申报流程").get_by_label("非常便捷")).to_be_checked()  # choices kept
    expect(pg.get_by_label("意见和建议")).to_have_value("希望进一步简化申报材料，加强政策解读。")
    shot(pg, backend, "survey-phone-1-missing")

    pg.get_by_role("group", name="拨付是否及时").get_by_label("比较及时").tap()
    pg.get_by_role("button", name="提交问卷").tap()
    expect(pg.get_by_role("heading", name="提交成功，感谢您的参与！")).to_be_visible()
    shot(pg, backend, "survey-phone-2-thanks")

    with live_server.session() as s:
        [saved] = s.exec(select(SurveyResponse).where(SurveyResponse.program_id == _program_id(s, link["code"]))).all()
        assert saved.overall == "very_satisfied" and saved.channel == "online"
        assert saved.answers == {"policy_awareness": 4, "application_ease": 5, "review_transparency": 4,
                                 "payment_timeliness": 4, "service_quality": 5}
        assert saved.comment == "希望进一步简化申报材料，加强政策解读。"

    pg.goto(link["url"])
    expect(pg.get_by_role("heading", level=1)).to_have_text("问卷已提交")
    expect(pg.locator("form.survey-form")).to_have_count(0)
    assert csp_problems(pg) == []


def test_survey_form_screenshot_before_answering(live_server, backend, new_page):
    """The empty form as an enterprise first sees it (for the eye; the flow is above)."""
    code = f"SVQ-{uuid.uuid4().hex[:6].upper()}"
    with live_server.session() as s:
        make_program(s, code)
        award_applications(s, code, ["650103"], name="沙依巴克区新材料科技有限公司")
        _tok, raw = create_token(s, name=f"city-ind-{code}", role="city_industry")
        s.commit()
    [invitation] = httpx.post(f"{live_server.url}/api/v1/programs/{code}/surveys",
                              headers={"Authorization": f"Bearer {raw}"}).json()
    pg = new_page(PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    pg.goto(invitation["url"])
    expect(pg.get_by_role("button", name="提交问卷")).to_be_visible()
    path = shot(pg, backend, "survey-phone-0-form")
    assert path.stat().st_size > 20_000  # a rendered page, not a blank one
    assert csp_problems(pg) == []


def _program_id(session, code: str) -> int:
    from app.programs.models import Program

    return session.exec(select(Program.id).where(Program.code == code)).one()
