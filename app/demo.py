"""`scaleup demo`: the seed's programme XSG-2023 with 41 synthetic enterprises, loaded
through the same services the API uses, and one demo account per role.

The numbers follow the seed report: 41 first-time 规上 enterprises of the 2023 cohort,
10万 city + 10万 district award each, city budget 410万, revenues averaging exactly
57111 万元 per enterprise with the two largest holding about 87 %."""

import csv
import io
from datetime import date

from sqlmodel import Session, select
from starlette.datastructures import UploadFile

from app.applications import service as applications
from app.applications.schemas import ApplicationSubmit
from app.documents import service as documents
from app.enterprises.uscc import make_uscc
from app.programs import service as programs
from app.programs.schemas import ProgramCreate
from app.roster import service as roster
from app.users.auth import Principal
from app.users.models import Role, User
from app.users.service import create_token, create_user

PROGRAM_CODE = "XSG-2023"
COHORT = 2023
WAN = 1_000_000  # fen per 万元
DEMO_PASSWORD = "Demo-2024!"

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
    """The rest of the city's 规上 roster: 380 enterprises in 2022, of which 12 left in 2023."""
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
    return rows


def _roster_csv(enterprises: list[dict]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["统一社会信用代码", "企业名称", "区县代码", "行业代码", "年份", "入库年月", "主营业务收入（元）"])
    for uscc, name, district, code, year, first, revenue_fen in _background_roster():
        writer.writerow([uscc, name, district, code, year, first, f"{revenue_fen // 100}.00"])
    for e in enterprises:
        writer.writerow([e["uscc"], e["name"], e["district_code"], e["industry_code"], COHORT, e["first_included"],
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
    return ProgramCreate.model_validate({
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
    })


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


def load_demo(session: Session) -> list[tuple[str, str, str, str]]:
    """Load the demo (once; a re-run keeps the data and resets the demo passwords).
    Returns (username, password, role, district) of every demo account."""
    accounts = _ensure_accounts(session)
    if programs.find_program(session, PROGRAM_CODE) is not None:
        return accounts
    system = Principal(name="demo-loader", role=Role.admin, district_code=None, via="token")
    programs.create_program(session, _program_body(), principal=system)

    enterprises = _enterprises()
    stats = Principal(name="city_stats", role=Role.city_stats, district_code=None, via="token")
    report = roster.import_roster(session, filename="2022-2023规上工业企业名录.csv", fileobj=io.BytesIO(_roster_csv(enterprises)),
                                  principal=stats)
    assert not report.rejected, report.rejected

    for e in enterprises:
        district = e["district_code"]
        client = Principal(name=f"{district}-system", role=Role.district_system, district_code=district, via="token")
        body = ApplicationSubmit.model_validate({
            "external_ref": f"{district}-2024-{e['serial'] + 1:04d}",
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
        application, _created = applications.submit(session, client, PROGRAM_CODE, body, today=date(2024, 3, 11 + e["serial"] % 20))
        for kind, title in (("application_report", "Application report"), ("business_license", "Business license"),
                            ("financial_statement", "Financial statement 2023")):
            upload = UploadFile(io.BytesIO(_pdf(f"{title} - {e['uscc']}")), filename=f"{kind}.pdf")
            documents.upload_for_application(session, client, application.id, kind, upload)

    # A district system's API token, printed like the accounts.
    _tok, raw = create_token(session, name="tianshan-district-system", role=Role.district_system.value, district_code="650102")
    accounts.append(("(API 令牌) tianshan-district-system", raw, Role.district_system.value, "650102"))
    return accounts
