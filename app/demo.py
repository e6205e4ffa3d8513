"""`scaleup demo`: the seed's programme XSG-2023 with 41 synthetic enterprises, loaded
through the same services the API uses, and one demo account per role.

The numbers follow the seed report: 41 first-time 规上 enterprises of the 2023 cohort,
10万 city + 10万 district award each, city budget 410万, revenues averaging exactly
57111 万元 per enterprise with the two largest holding about 87 %."""

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import update
from sqlmodel import Session, select
from starlette.datastructures import UploadFile

from app.applications import service as applications
from app.applications.models import Application
from app.applications.schemas import ApplicationSubmit
from app.documents import service as documents
from app.enterprises.models import Enterprise
from app.evaluation import seed_judgement
from app.evaluation import service as evaluation
from app.enterprises.uscc import make_uscc
from app.followups import service as followups
from app.followups.schemas import FollowUpCreate, FollowUpUpdate
from app.funds import service as funds
from app.funds.schemas import AppropriationCreate, PaymentBatchCreate
from app.notices import service as notices
from app.notices.schemas import ObjectionCreate
from app.programs import service as programs
from app.programs.schemas import ProgramCreate
from app.reviews import service as reviews
from app.reviews.models import ReviewDecision
from app.roster import service as roster
from app.surveys import service as surveys
from app.surveys.models import SurveyInvitation
from app.surveys.questions import QUESTIONS
from app.surveys.schemas import OnlineResponseIn, PaperResponseIn
from app.users.auth import Principal
from app.users.models import Role, User
from app.users.service import create_token, create_user

PROGRAM_CODE = "XSG-2023"
COHORT = 2023
WAN = 1_000_000  # fen per 万元
DEMO_PASSWORD = "Demo-2024!"
REQUIRED_KINDS = ("application_report", "business_license", "financial_statement")

DISTRICT_SPLIT = [  # 41 enterprises over Urumqi's eight districts
    ("650102", 6), ("650103", 7), ("650104", 8), ("650105", 4),
    ("650106", 6), ("650107", 2), ("650109", 6), ("650121", 2),
]
DISTRICT_SHORT = {"650102": "天山", "650103": "沙依巴克", "650104": "新市", "650105": "水磨沟",
                  "650106": "头屯河", "650107": "达坂城", "650109": "米东", "650121": "乌鲁木齐县"}
TRADES = [  # (GB/T 4754 class, the trade in a company name)
    ("3421", "机械制造"), ("1331", "食品加工"), ("2619", "化工材料"), ("3011", "建材"), ("3311", "钢结构"),
    ("3831", "电线电缆"), ("2929", "塑料制品"), ("1511", "乳业"), ("1761", "纺织"), ("3899", "电气设备"),
    ("2710", "医药"), ("3130", "金属制品"), ("4411", "新能源发电"), ("2231", "包装材料"),
]
BRANDS = ["天润", "博瑞", "金盛", "华西", "昆仑", "天山雪", "丝路", "新疆恒", "益通", "鑫源", "瑞丰", "中亚",
          "联创", "汇德", "宏达", "西域", "福星", "天成", "锦程", "安泰", "和盛"]

DEMO_ACCOUNTS = [  # username, role, district
    ("admin", Role.admin, None),
    ("ts_industry", Role.district_industry, "650102"),
    ("ts_stats", Role.district_stats, "650102"),
    ("city_industry", Role.city_industry, None),
    ("city_stats", Role.city_stats, None),
    ("finance", Role.finance, None),
    ("ts_finance", Role.finance, "650102"),
    ("evaluator", Role.evaluator, None),
    ("auditor", Role.auditor, None),
]


def cohort_revenues_wan() -> list[int]:
    """41 revenues in 万元: mean exactly 57111, the two largest ≈ 87 % of the total."""
    total = 57111 * 41  # 2,341,551 万元
    big = [1_268_000, 769_149]  # together 2,037,149 万元 = 87.0 %
    rest_total = total - sum(big)  # 304,402 万元 over 39 enterprises
    rest = [2_300 + (i * 2_731) % 11_250 for i in range(38)]
    rest.append(rest_total - sum(rest))
    assert min(rest) >= 2_000 and sum(big) + sum(rest) == total
    return big + rest


def _enterprises() -> list[dict]:
    revenues = cohort_revenues_wan()
    rows = []
    i = 0
    for district, n in DISTRICT_SPLIT:
        for _ in range(n):
            code, trade = TRADES[i % len(TRADES)]
            rows.append({
                "uscc": make_uscc(district, 20230000 + i),
                "name": f"新疆{BRANDS[i % len(BRANDS)]}{trade}{'股份' if i < 2 else ''}有限公司"
                        + ("" if i < len(BRANDS) else f"（{DISTRICT_SHORT[district]}）"),
                "district_code": district,
                "industry_code": code,
                "revenue_wan": revenues[i],
                "first_included": f"{COHORT}-{(i % 12) + 1:02d}",
                "serial": i,
            })
            i += 1
    return rows


def _background_roster() -> list[dict]:
    """The rest of the city's 规上 roster: 380 enterprises in 2022, 12 of them gone in 2023
    and a few more in 2024."""
    rows = []
    for j in range(380):
        district = DISTRICT_SPLIT[j % 8][0]
        code, trade = TRADES[j % len(TRADES)]
        uscc = make_uscc(district, 10000000 + j)
        first = f"{2012 + j % 10}-{(j % 12) + 1:02d}"
        revenue = (3_000 + (j * 977) % 60_000) * WAN
        name = f"乌鲁木齐{BRANDS[j % len(BRANDS)]}{trade}有限公司{j:03d}"
        rows.append((uscc, name, district, code, 2022, first, revenue))
        if j % 32 != 5:  # 12 enterprises drop out of the 2023 roster
            rows.append((uscc, name, district, code, 2023, first, revenue + (j % 7) * 10 * WAN))
            if j % 45 != 7:  # and a few more out of the 2024 one
                rows.append((uscc, name, district, code, 2024, first, revenue + (j % 9) * 12 * WAN))
    return rows


# The 2023 cohort in the 2024 roster: all but three stayed 规上 (the seed's risk: some
# cannot sustain their growth).
DROPPED_2024 = {17, 29, 36}


def _roster_csv(enterprises: list[dict], cohort_2024: list[dict]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["统一社会信用代码", "企业名称", "区县代码", "行业代码", "年份", "入库年月", "主营业务收入（元）"])
    for uscc, name, district, code, year, first, revenue_fen in _background_roster():
        writer.writerow([uscc, name, district, code, year, first, f"{revenue_fen // 100}.00"])
    for e in enterprises:
        row = [e["uscc"], e["name"], e["district_code"], e["industry_code"]]
        writer.writerow([*row, COHORT, e["first_included"], f"{e['revenue_wan'] * WAN // 100}.00"])
        if e["serial"] not in DROPPED_2024:
            writer.writerow([*row, 2024, e["first_included"], f"{e['revenue_wan'] * 108 // 100 * WAN // 100}.00"])
    for e in cohort_2024:
        writer.writerow([e["uscc"], e["name"], e["district_code"], e["industry_code"], 2024, e["first_included"],
                         f"{e['revenue_wan'] * WAN // 100}.00"])
    return ("\ufeff" + buf.getvalue()).encode()


def _pdf(title: str) -> bytes:
    """A small, valid one-page PDF."""
    text = title.encode("ascii", "replace")
    stream = b"BT /F1 14 Tf 72 720 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{n} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def _program_body() -> ProgramCreate:
    return ProgramCreate.model_validate(_program_dict())


def _program_dict() -> dict:
    return {
        "code": PROGRAM_CODE,
        "title": "2023年度“小升规”专项奖补资金",
        "cohort_year": COHORT,
        "budget_year": 2024,
        "revenue_threshold": "20000000.00",
        "awards": [{"level": "city", "amount": "100000.00"}, {"level": "district", "amount": "100000.00"}],
        "city_budget": "4100000.00",
        "target_enterprise_count": 41,
        "application_opens_on": "2024-03-01",
        "application_closes_on": "2024-04-30",
        "notice_working_days": 5,
        "payment_deadline": "2024-09-30",
        "template": "xsg-default",
        "policy_documents": [
            {"document_no": "乌政办〔2023〕77号", "title": "乌鲁木齐市工业企业“小升规”三年培育行动工作方案（2023—2025年）", "issued_on": "2023-08-01"},
            {"document_no": "乌财建〔2024〕169号", "title": "关于拨付2023年度“小升规”专项奖补资金的通知", "issued_on": "2024-06-26"},
        ],
    }


def _ensure_accounts(session: Session) -> list[tuple[str, str, str, str]]:
    from app.core.security import hash_password

    printed = []
    for username, role, district in DEMO_ACCOUNTS:
        user = session.exec(select(User).where(User.username == username)).first()
        if user is None:
            create_user(session, username=username, role=role.value, password=DEMO_PASSWORD, district_code=district,
                        display_name=username)
        else:  # a re-run restores the printed password
            user.password_hash = hash_password(DEMO_PASSWORD)
            session.add(user)
        printed.append((username, DEMO_PASSWORD, role.value, district or ""))
    return printed


def _system(district: str) -> Principal:
    return Principal(name=f"{district}-system", role=Role.district_system, district_code=district, via="token")


def _submit(session: Session, e: dict, program_code: str, today: date, kinds: tuple[str, ...] = REQUIRED_KINDS) -> Application:
    district = e["district_code"]
    client = _system(district)
    body = ApplicationSubmit.model_validate({
        "external_ref": f"{district}-{today.year}-{e['serial'] + 1:04d}",
        "declared_revenue": f"{e['revenue_wan'] * WAN // 100}.00",
        "first_above_scale_period": e["first_included"],
        "enterprise": {
            "uscc": e["uscc"], "name": e["name"], "district_code": district, "industry_code": e["industry_code"],
            "address": f"乌鲁木齐市{DISTRICT_SHORT[district]}{'' if district == '650121' else '区'}工业园{e['serial'] + 1}号",
            "legal_representative": "王" + "建国志强海燕丽娟春梅"[e["serial"] % 10], "contact_name": "财务部",
            "contact_phone": f"0991-{5200000 + e['serial'] * 137:07d}", "bank_name": "中国工商银行乌鲁木齐分行",
            "bank_account": f"2902{e['serial'] * 7919 + 1000000:012d}",
        },
    })
    application, _created = applications.submit(session, client, program_code, body, today=today)
    titles = {"application_report": "Application report", "business_license": "Business license",
              "financial_statement": f"Financial statement {today.year - 1}"}
    for kind in kinds:
        upload = UploadFile(io.BytesIO(_pdf(f"{titles[kind]} - {e['uscc']}")), filename=f"{kind}.pdf")
        documents.upload_for_application(session, client, application.id, kind, upload)
    return application


def _review(session: Session, application: Application, role: Role, decision: str = "approve", opinion: str = "") -> None:
    district = application.district_code if role in (Role.district_industry, Role.district_stats) else None
    name = {Role.district_industry: f"{district}-industry", Role.district_stats: f"{district}-stats"}.get(role, role.value)
    reviewer = Principal(name=name, role=role, district_code=district, via="session")
    opinion = opinion or {"district": "经区（县）工信、统计部门联合初审，材料齐全，符合奖补条件，同意上报。",
                          "city": "经市工信局、市统计局复审，符合首次升规奖补条件，同意。"}[reviews.seat_of(reviewer)[0]]
    reviews.decide(session, reviewer, application.id, decision=decision, opinion=opinion, if_match=f'"{application.version}"')


def _approve_stage(session: Session, application: Application, stage: str) -> None:
    roles = (Role.district_industry, Role.district_stats) if stage == "district" else (Role.city_stats, Role.city_industry)
    for role in roles:
        _review(session, application, role)


CITY_INDUSTRY = Principal(name="city_industry", role=Role.city_industry, district_code=None, via="session")
NOTICE_CHANNELS = ["乌鲁木齐市人民政府网站", "市、区（县）两级工信部门办公地点"]


def _load_2023(session: Session, enterprises: list[dict]) -> None:
    """XSG-2023 as the seed tells it: 41 applications, both review stages, a five-working-day
    public notice in June 2024 with one objection by letter (not upheld), closed → 审定,
    then appropriated and paid."""
    apps = [_submit(session, e, PROGRAM_CODE, date(2024, 3, 11 + e["serial"] % 20)) for e in enterprises]
    for application in apps:
        _approve_stage(session, application, "district")
    for application in apps:
        _approve_stage(session, application, "city")
    _date_reviews_2023(session, apps)
    notice = notices.create_notice(session, CITY_INDUSTRY, PROGRAM_CODE, "2023年度“小升规”专项奖补资金拟奖补企业名单公示",
                                   date(2024, 6, 11), channels=NOTICE_CHANNELS)
    objection = notices.record_objection(session, CITY_INDUSTRY, notice.id, ObjectionCreate.model_validate({
        "application_id": apps[5].id, "objector_name": "匿名来信", "contact": "来信（无回信地址）", "channel": "letter",
        "content": "反映该企业2023年实际产值未达规上标准。",
    }))
    notices.resolve_objection(session, CITY_INDUSTRY, objection.id, upheld=False,
                              note="经市统计局核查统计联网直报数据，该企业2023年主营业务收入达规上标准，异议不成立。")
    notices.close_notice(session, CITY_INDUSTRY, notice.id, today=date(2024, 6, 18))
    _pay_2023(session, apps)
    _survey_2023(session, apps)


def _date_reviews_2023(session: Session, apps: list[Application]) -> None:
    """The demo loads in seconds, but the seed's programme ran over spring 2024: each
    application carries the day it was submitted (March–April), its district decisions one
    to three weeks later and the city's before the June notice — so the evaluation's review
    turnaround reads like the real one. (The audit trail keeps the load's own times.)"""
    for n, application in enumerate(apps):
        submitted = datetime(2024, 3, 11 + n % 20, 2, 30, tzinfo=UTC)
        application.created_at = submitted
        district_done = submitted + timedelta(days=8 + n % 13, hours=n % 5)
        city_done = datetime(2024, 5, 20 + n % 10, 3, 0, tzinfo=UTC)
        for decision in session.exec(select(ReviewDecision).where(ReviewDecision.application_id == application.id)).all():
            decision.decided_at = (district_done if decision.stage == "district" else city_done) + timedelta(
                hours=2 if decision.department == "stats" else 0)
            session.add(decision)
        session.add(application)
    session.flush()


def _pay_2023(session: Session, apps: list[Application]) -> None:
    """The money, as the seed tells it: finance approved the city's 410万 on 2024-06-26
    (乌财建〔2024〕169号), it arrived in full, and the treasury paid all 41 on 2024-08-08 with
    bank e-receipts; each district appropriated and paid its own tranche."""
    city_finance = Principal(name="finance", role=Role.finance, district_code=None, via="session")
    funds.create_appropriation(session, city_finance, PROGRAM_CODE, AppropriationCreate.model_validate({
        "level": "city", "amount": "4100000.00", "document_no": "乌财建〔2024〕169号", "approved_on": "2024-06-26",
        "arrived_amount": "4100000.00", "arrived_on": "2024-07-05"}))
    paid = funds.record_batch(session, city_finance, PROGRAM_CODE, PaymentBatchCreate.model_validate({
        "level": "city", "paid_on": "2024-08-08", "voucher_no": "GKZF2024080800169", "application_ids": [a.id for a in apps]}))
    by_district: dict[str, list[Application]] = {}
    for application in apps:
        by_district.setdefault(application.district_code, []).append(application)
    for n, (district, members) in enumerate(sorted(by_district.items()), start=1):
        district_finance = Principal(name=f"{district}-finance", role=Role.finance, district_code=district, via="session")
        amount = f"{len(members) * 100000}.00"
        funds.create_appropriation(session, district_finance, PROGRAM_CODE, AppropriationCreate.model_validate({
            "level": "district", "district_code": district, "amount": amount,
            "document_no": f"{DISTRICT_SHORT[district]}财建〔2024〕{40 + n}号", "approved_on": "2024-07-10",
            "arrived_amount": amount, "arrived_on": "2024-07-18"}))
        paid += funds.record_batch(session, district_finance, PROGRAM_CODE, PaymentBatchCreate.model_validate({
            "level": "district", "paid_on": "2024-08-20", "voucher_no": f"QJZF{district}20240820",
            "application_ids": [a.id for a in members]}))
    for payment in paid:
        payer = city_finance if payment.level == "city" else Principal(
            name="district-finance", role=Role.finance, district_code=session.get(Application, payment.application_id).district_code,
            via="session")
        receipt = UploadFile(io.BytesIO(_pdf(f"Bank e-receipt {payment.voucher_no} #{payment.id}")), filename="电子回单.pdf")
        funds.upload_receipt(session, payer, payment.id, receipt)


SURVEY_COMMENTS = {
    3: "奖补资金到位及时，对企业扩大生产帮助很大。",
    8: "希望进一步简化申报材料，推行网上申报。",
    14: "建议加强政策宣传解读，让更多企业了解升规奖励。",
    22: "希望在技术改造和融资方面给予更多支持。",
    31: "审核公示过程公开透明，服务人员耐心细致。",
}


def _survey_2023(session: Session, apps: list[Application]) -> None:
    """The seed's satisfaction survey: all 41 awarded enterprises asked, 41 valid
    questionnaires, every one 满意 (the seed: 企业满意度评价均为“满意”选项, 100 %). Most
    answered through their link in September 2024, the rest on paper at the city's visits."""
    links = surveys.invite(session, CITY_INDUSTRY, PROGRAM_CODE, "http://127.0.0.1:8000")
    by_uscc = {link["uscc"]: link["token"] for link in links}
    for n, application in enumerate(apps):
        uscc = session.get(Enterprise, application.enterprise_id).uscc
        answers = {q.key: 5 if (n + i) % 3 else 4 for i, q in enumerate(QUESTIONS)}
        body = {"overall": "satisfied", "answers": answers, "comment": SURVEY_COMMENTS.get(n, "")}
        if n % 5 == 4:  # a paper questionnaire collected on a visit
            surveys.record_paper(session, CITY_INDUSTRY, PROGRAM_CODE, PaperResponseIn.model_validate(
                {**body, "uscc": uscc, "collected_on": date(2024, 9, 20 + n % 7).isoformat()}))
        else:
            surveys.respond_online(session, OnlineResponseIn.model_validate({**body, "token": by_uscc[uscc]}),
                                   today=date(2024, 9, 3 + n % 10))
    # The links were sent on 2 September 2024, as the answers' dates say.
    session.execute(update(SurveyInvitation).where(SurveyInvitation.program_id == apps[0].program_id).values(created_at=datetime(2024, 9, 2, 1, 30, tzinfo=UTC)))


# (serial, kind, date, needs, notes, resolved on) — the city's 跟踪服务 after the award
# (the seed: 政策咨询、技术指导、市场对接等相关服务); the three of the cohort that fell out of the
# 2024 roster were visited first.
FOLLOW_UPS = [
    (17, "visit", "2024-10-15", "订单减少，产能利用率不足五成，担心明年退出规上名录。", "已介绍本地重点项目配套需求，约定每季度回访。", None),
    (29, "visit", "2024-10-16", "主要客户回款慢，流动资金紧张。", "已转介市中小企业融资服务平台。", None),
    (36, "financing", "2024-10-22", "申请技改贷款需担保，希望了解政策性担保。", "对接市融资担保公司，已提交担保申请。", None),
    (0, "policy_consultation", "2024-09-12", "咨询高新技术企业认定和研发费用加计扣除政策。", "已讲解申报条件和时间节点。", "2024-09-12"),
    (3, "technical_guidance", "2024-09-25", "生产线自动化改造缺少技术方案。", "组织市工业设计中心专家现场诊断，出具改造建议。", "2024-11-05"),
    (8, "market_matching", "2024-10-08", "希望进入本地大型国企供应商名录。", "推荐参加市工信局产销对接会，已达成两项意向。", "2024-11-20"),
    (12, "policy_consultation", "2024-11-02", "咨询“专精特新”中小企业申报要求。", "", None),
    (22, "market_matching", "2024-11-18", "产品拟出口中亚，需要外贸渠道。", "已对接乌鲁木齐国际陆港区外贸综合服务平台。", None),
    (5, "visit", "2024-12-03", "用工紧张，熟练技工招聘难。", "协调人社部门专场招聘会。", "2025-01-10"),
]


def _follow_ups_2023(session: Session, enterprises: list[dict]) -> None:
    by_serial = {e["serial"]: e for e in enterprises}
    for serial, kind, on, needs, notes, resolved_on in FOLLOW_UPS:
        e = by_serial[serial]
        official = CITY_INDUSTRY if serial % 2 == 0 else Principal(
            name=f"{e['district_code']}-industry", role=Role.district_industry, district_code=e["district_code"], via="session")
        row = followups.create(session, official, e["uscc"], FollowUpCreate.model_validate({
            "occurred_on": on, "kind": kind, "needs": needs, "notes": notes, "program_code": PROGRAM_CODE}),
            today=date(2025, 1, 31))
        if resolved_on:
            followups.update(session, official, row.id, FollowUpUpdate.model_validate(
                {"status": "resolved", "resolved_on": resolved_on}), today=date(2025, 1, 31))


def _evaluate_2023(session: Session) -> None:
    """The evaluation team scores the qualitative rows with the seed's reasoning, explains
    the revenue row's 2855.55 %, and finalises: 100.00, 优 — the seed's table."""
    evaluator = Principal(name="evaluator", role=Role.evaluator, district_code=None, via="session")
    table = evaluation.live(session, PROGRAM_CODE, "city")
    for row in table["indicators"]:
        if row["kind"] == "qualitative":
            evaluation.assess(session, evaluator, PROGRAM_CODE, row["key"], {
                "tier": "achieved", "score": Decimal(row["weight"]), "justification": seed_judgement.QUALITATIVE[row["key"]]})
        elif row["deviation_required"]:
            evaluation.assess(session, evaluator, PROGRAM_CODE, row["key"],
                              {"deviation_note": seed_judgement.DEVIATION_NOTES[row["key"]]})
    evaluation.finalize(session, evaluator, PROGRAM_CODE, "city")


def _cohort_2024() -> list[dict]:
    """XSG-2024's applicants, first 规上 in 2024; one (1850 万元) below the threshold."""
    rows = []
    districts = ["650102"] * 7 + ["650103", "650104", "650104", "650105", "650106", "650109"]
    for k, district in enumerate(districts):
        code, trade = TRADES[(k + 5) % len(TRADES)]
        rows.append({
            "uscc": make_uscc(district, 20240000 + k), "district_code": district, "industry_code": code,
            "name": f"新疆{BRANDS[(k + 7) % len(BRANDS)]}{trade}科技有限公司",
            "revenue_wan": 1_850 if k == 4 else 2_150 + k * 613, "first_included": f"2024-{(k % 12) + 1:02d}",
            "serial": 100 + k,
        })
    return rows


def _load_2024(session: Session, cohort: list[dict], system: Principal) -> None:
    """XSG-2024 in progress: an application at every stage, one returned, one rejected."""
    programs.create_program(session, _program_body_2024(), principal=system)
    code = "XSG-2024"
    today = date(2025, 3, 20)
    apps = [_submit(session, e, code, today, kinds=REQUIRED_KINDS if k != 5 else REQUIRED_KINDS[:2])
            for k, e in enumerate(cohort)]
    # in_notice: three through both stages and into an open notice
    for application in apps[7:10]:
        _approve_stage(session, application, "district")
        _approve_stage(session, application, "city")
    notices.create_notice(session, CITY_INDUSTRY, code, "2024年度“小升规”专项奖补资金拟奖补企业名单公示",
                          date(2025, 6, 9), channels=NOTICE_CHANNELS)
    for application in apps[10:12]:  # city_approved, after the notice went out
        _approve_stage(session, application, "district")
        _approve_stage(session, application, "city")
    for application in apps[0:2]:  # district_approved
        _approve_stage(session, application, "district")
    _review(session, apps[2], Role.district_industry)  # submitted, one department approved
    _review(session, apps[4], Role.district_stats, "reject",  # rejected: the roster says below the line
            "经统计名录核查，该企业2024年主营业务收入1850万元，未达2000万元规上标准，不予奖补。")
    _review(session, apps[5], Role.district_industry, "return", "申报材料不全：请补充上传2024年度财务报表后重新提交。")
    applications.withdraw(session, _system(apps[6].district_code), apps[6].id, "企业已获得其他同类奖励，主动撤回申报。",
                          f'"{apps[6].version}"')
    # apps[3] and apps[12] stay submitted, awaiting both district departments


def _program_body_2024() -> ProgramCreate:
    body = _program_dict()
    body.update({
        "code": "XSG-2024", "title": "2024年度“小升规”专项奖补资金", "cohort_year": 2024, "budget_year": 2025,
        "city_budget": "1300000.00", "target_enterprise_count": 13, "application_opens_on": "2025-03-01",
        "application_closes_on": "2025-04-30", "payment_deadline": "2025-09-30",
        "policy_documents": [body["policy_documents"][0]],
    })
    return ProgramCreate.model_validate(body)


def load_demo(session: Session) -> list[tuple[str, str, str, str]]:
    """Load the demo (once; a re-run keeps the data and resets the demo passwords).
    Returns (username, password, role, district) of every demo account."""
    accounts = _ensure_accounts(session)
    if programs.find_program(session, PROGRAM_CODE) is not None:
        return accounts
    system = Principal(name="demo-loader", role=Role.admin, district_code=None, via="token")
    programs.create_program(session, _program_body(), principal=system)

    enterprises = _enterprises()
    cohort_2024 = _cohort_2024()
    stats = Principal(name="city_stats", role=Role.city_stats, district_code=None, via="token")
    report = roster.import_roster(session, filename="2022-2024规上工业企业名录.csv",
                                  fileobj=io.BytesIO(_roster_csv(enterprises, cohort_2024)), principal=stats)
    assert not report.rejected, report.rejected

    _load_2023(session, enterprises)
    _follow_ups_2023(session, enterprises)
    _evaluate_2023(session)
    _load_2024(session, cohort_2024, system)

    # A district system's API token, printed like the accounts.
    _tok, raw = create_token(session, name="tianshan-district-system", role=Role.district_system.value, district_code="650102")
    accounts.append(("(API 令牌) tianshan-district-system", raw, Role.district_system.value, "650102"))
    return accounts
