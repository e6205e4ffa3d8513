"""Statistics roster import (CSV and XLSX) and the per-enterprise roster route."""

import io
from datetime import datetime

import pytest
from openpyxl import Workbook
from sqlmodel import col, func, select

from app.audit.models import AuditEvent
from app.enterprises.uscc import ALPHABET, make_uscc
from app.roster import service
from app.roster.models import RosterEntry

ZH_HEADER = ["统一社会信用代码", "企业名称", "区县代码", "行业代码", "年份", "入库年月", "主营业务收入（元）"]
EN_HEADER = ["uscc", "name", "district_code", "industry_code", "year", "first_included", "main_revenue"]

A = make_uscc("650102", 1)
B = make_uscc("650102", 2)
C = make_uscc("650103", 3)
D = make_uscc("650104", 4)


def bad_check_char(code: str) -> str:
    wrong = next(ch for ch in ALPHABET if ch != code[17])
    return code[:17] + wrong


def csv_bytes(header: list[str], rows: list[list[str]], *, bom: bool = False) -> bytes:
    text = "\r\n".join(",".join(cells) for cells in [header, *rows]) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def upload(client, headers: dict, content: bytes, filename: str = "名录.csv", content_type: str = "text/csv"):
    return client.post("/api/v1/roster/imports", headers=headers, files={"file": (filename, content, content_type)})


def entries(session, uscc: str) -> list[RosterEntry]:
    session.expire_all()
    return list(session.exec(select(RosterEntry).where(RosterEntry.uscc == uscc).order_by(col(RosterEntry.year))).all())


def roster_count(session) -> int:
    return session.exec(select(func.count()).select_from(RosterEntry)).one()


def import_events(session) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == "roster.import").order_by(col(AuditEvent.id))).all())


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["detail"]), body["detail"]
    return body


# ------------------------------------------------------------------ CSV


def test_csv_with_bom_and_chinese_headers_skips_the_bad_row(client, session, token_for):
    content = csv_bytes(
        ZH_HEADER,
        [
            [A, "新疆甲机械制造有限公司", "650102", "3421", "2023", "2023-06", "35200000.00"],
            [bad_check_char(B), "新疆乙食品有限公司", "650102", "1391", "2023", "2023-03", "21000000"],
            [C, "新疆丙化工有限公司", "650103", "2614", "2023", "2022-12", "48000000.5"],
        ],
        bom=True,
    )
    r = upload(client, token_for("city_stats"), content)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["imported"] == 2 and body["updated"] == 0
    assert len(body["rejected"]) == 1
    assert body["rejected"][0]["row"] == 3
    assert any("校验位" in e for e in body["rejected"][0]["errors"])

    [a] = entries(session, A)
    assert (a.name, a.district_code, a.industry_code, a.year, a.first_included) == (
        "新疆甲机械制造有限公司",
        "650102",
        "3421",
        2023,
        "2023-06",
    )
    assert a.main_revenue_fen == 3_520_000_000
    assert entries(session, C)[0].main_revenue_fen == 4_800_000_050
    assert entries(session, bad_check_char(B)) == []


def test_csv_with_english_headers_in_any_order_without_bom(client, session, token_for):
    header = ["year", "main_revenue", "USCC", "name", "first_included", "industry_code", "district_code", "remark"]
    content = csv_bytes(header, [["2024", "35200000", A, "新疆甲机械制造有限公司", "2024-01", "3421", "650102", "备注被忽略"]])
    r = upload(client, token_for("admin"), content, filename="roster.csv")
    assert r.status_code == 201, r.text
    assert r.json() == {"imported": 1, "updated": 0, "rejected": []}
    [a] = entries(session, A)
    assert (a.year, a.first_included, a.main_revenue_fen) == (2024, "2024-01", 3_520_000_000)


def test_ascii_parentheses_in_revenue_header(client, session, token_for):
    header = [*ZH_HEADER[:6], "主营业务收入(元)"]
    r = upload(client, token_for("city_stats"), csv_bytes(header, [[A, "甲公司", "650102", "3421", "2023", "2023-06", "100.10"]]))
    assert r.status_code == 201, r.text
    assert entries(session, A)[0].main_revenue_fen == 10_010


def test_reimport_updates_rows(client, session, token_for):
    headers = token_for("city_stats")
    rows = [
        [A, "甲公司", "650102", "3421", "2023", "2023-06", "35200000.00"],
        [C, "丙公司", "650103", "2614", "2023", "2023-02", "30000000.00"],
    ]
    assert upload(client, headers, csv_bytes(ZH_HEADER, rows)).json()["imported"] == 2
    rows[0][1], rows[0][6] = "甲公司（更名）", "36000000.01"
    r = upload(client, headers, csv_bytes(ZH_HEADER, rows))
    assert r.status_code == 201, r.text
    assert r.json() == {"imported": 0, "updated": 2, "rejected": []}
    [a] = entries(session, A)
    assert (a.name, a.main_revenue_fen) == ("甲公司（更名）", 3_600_000_001)
    assert roster_count(session) == 2


@pytest.mark.parametrize("batch_size", [1000, 2])
def test_duplicate_key_in_one_file_later_row_wins_counted_once(client, session, token_for, monkeypatch, batch_size):
    monkeypatch.setattr(service, "BATCH_SIZE", batch_size)
    rows = [
        [A, "甲公司", "650102", "3421", "2023", "2023-06", "1.00"],
        [B, "乙公司", "650102", "1391", "2023", "2023-03", "2.00"],
        [C, "丙公司", "650103", "2614", "2023", "2023-02", "3.00"],
        [A, "甲公司", "650102", "3421", "2023", "2023-06", "4.00"],
    ]
    r = upload(client, token_for("city_stats"), csv_bytes(ZH_HEADER, rows))
    assert r.status_code == 201, r.text
    assert r.json() == {"imported": 3, "updated": 0, "rejected": []}
    assert [e.main_revenue_fen for e in entries(session, A)] == [400]


def test_each_bad_field_has_a_chinese_reason(client, session, token_for):
    good = [A, "甲公司", "650102", "3421", "2023", "2023-06", "35200000.00"]

    def variant(index: int, value: str) -> list[str]:
        row = list(good)
        row[index] = value
        return row

    cases = [
        (variant(0, "91650102ABC"), "18 位"),
        (variant(1, ""), "企业名称不能为空"),
        (variant(1, "名" * 201), "过长"),
        (variant(2, "650199"), "区县代码 650199 不存在"),
        (variant(3, "34A1"), "行业代码"),
        (variant(4, "1999"), "年份"),
        (variant(4, "2023.5"), "年份"),
        (variant(5, "2023-13"), "入库年月"),
        (variant(5, "202306"), "入库年月"),
        (variant(5, "2024-01"), "晚于名录年份"),
        (variant(6, "-1"), "主营业务收入"),
        (variant(6, "1.234"), "主营业务收入"),
        (variant(6, "1e6"), "主营业务收入"),
        ([A, "甲公司"], "缺少区县代码"),
    ]
    r = upload(client, token_for("city_stats"), csv_bytes(ZH_HEADER, [row for row, _ in cases]))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["imported"] == 0
    assert [x["row"] for x in body["rejected"]] == list(range(2, 2 + len(cases)))
    for rejected, (_row, reason) in zip(body["rejected"], cases, strict=True):
        assert any(reason in e for e in rejected["errors"]), (reason, rejected)
    assert roster_count(session) == 0


def test_blank_lines_are_skipped_but_row_numbers_stay_spreadsheet_rows(client, token_for):
    content = csv_bytes(
        ZH_HEADER,
        [
            [A, "甲公司", "650102", "3421", "2023", "2023-06", "1.00"],
            [],
            [bad_check_char(B), "乙", "650102", "1391", "2023", "2023-01", "1"],
        ],
    )
    body = upload(client, token_for("city_stats"), content).json()
    assert body["imported"] == 1
    assert [x["row"] for x in body["rejected"]] == [4]


# ------------------------------------------------------------------ whole-file errors


def test_missing_header_column_is_422_and_nothing_is_written(client, session, token_for):
    header = [h for h in ZH_HEADER if h != "年份"]
    content = csv_bytes(header, [[A, "甲公司", "650102", "3421", "2023-06", "35200000.00"]])
    body = assert_problem(upload(client, token_for("city_stats"), content), 422)
    assert "年份" in body["detail"]
    assert body["errors"][0]["code"] == "missing_column"
    assert roster_count(session) == 0
    assert import_events(session) == []


def test_non_utf8_file_is_422(client, session, token_for):
    content = "\r\n".join([",".join(ZH_HEADER), ",".join([A, "甲公司", "650102", "3421", "2023", "2023-06", "1.00"])]).encode("gbk")
    body = assert_problem(upload(client, token_for("city_stats"), content), 422)
    assert "UTF-8" in body["detail"]
    assert roster_count(session) == 0


def test_undecodable_bytes_after_written_batches_roll_everything_back(client, session, token_for, monkeypatch):
    monkeypatch.setattr(service, "BATCH_SIZE", 1)
    good = csv_bytes(
        ZH_HEADER, [[A, "甲公司", "650102", "3421", "2023", "2023-06", "1.00"], [B, "乙公司", "650102", "1391", "2023", "2023-01", "2.00"]]
    )
    content = good + ("x" * 20000).encode() + b"\xff\xfe,broken\r\n"
    assert_problem(upload(client, token_for("city_stats"), content), 422)
    assert roster_count(session) == 0
    assert import_events(session) == []


def test_empty_file_and_legacy_xls_are_422(client, token_for):
    # An error rolls the request's transaction back (in these tests, the token too): one token per call.
    assert_problem(upload(client, token_for("city_stats"), b""), 422)
    body = assert_problem(
        upload(client, token_for("city_stats"), b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, filename="名录.xls"), 422
    )
    assert "XLSX" in body["detail"]


def test_corrupt_xlsx_is_422(client, token_for):
    assert_problem(upload(client, token_for("city_stats"), b"PK\x03\x04 not really a zip", filename="名录.xlsx"), 422)


# ------------------------------------------------------------------ XLSX


def xlsx_bytes(header: list, rows: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_xlsx_with_numeric_cells_is_detected_by_content(client, session, token_for):
    content = xlsx_bytes(
        ZH_HEADER,
        [
            [A, "新疆甲机械制造有限公司", 650102, 3421, 2023, "2023-06", 35200000.5],
            [C, "新疆丙化工有限公司", "650103", "0610", 2023.0, datetime(2022, 11, 1), 48000000],
            [D, "新疆丁建材有限公司", 650104, 610, 2023, "2023-01", 1.234],  # three decimals
        ],
    )
    # A misleading name and type: the format is told by the zip magic bytes.
    r = upload(client, token_for("city_stats"), content, filename="名录.csv", content_type="text/csv")
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["imported"], body["updated"]) == (2, 0)
    assert [x["row"] for x in body["rejected"]] == [4]
    assert any("主营业务收入" in e for e in body["rejected"][0]["errors"])

    [a] = entries(session, A)
    assert a.main_revenue_fen == 3_520_000_050
    assert isinstance(a.main_revenue_fen, int)
    assert (a.district_code, a.industry_code, a.year) == ("650102", "3421", 2023)
    [c] = entries(session, C)
    assert (c.industry_code, c.first_included, c.main_revenue_fen) == ("0610", "2022-11", 4_800_000_000)


def test_xlsx_with_english_headers_and_blank_rows(client, session, token_for):
    content = xlsx_bytes(
        EN_HEADER,
        [[A, "甲公司", "650102", "3421", 2024, "2024-02", "35200000.00"], [None] * 7, [B, "", "650102", "3421", 2024, "2024-02", 1]],
    )
    body = upload(client, token_for("admin"), content, filename="roster.xlsx").json()
    assert body["imported"] == 1
    assert body["rejected"] == [{"row": 4, "errors": ["企业名称不能为空"]}]


def test_xlsx_missing_header_is_422(client, session, token_for):
    body = assert_problem(
        upload(client, token_for("city_stats"), xlsx_bytes(EN_HEADER[:5], [[A, "甲", "650102", "3421", 2023]]), filename="r.xlsx"), 422
    )
    assert "入库年月" in body["detail"] and "主营业务收入" in body["detail"]
    assert roster_count(session) == 0


# ------------------------------------------------------------------ permissions and audit


def test_district_stats_imports_only_its_own_district(client, session, token_for):
    rows = [
        [A, "甲公司", "650102", "3421", "2023", "2023-06", "1.00"],
        [C, "丙公司", "650103", "2614", "2023", "2023-02", "3.00"],
    ]
    r = upload(client, token_for("district_stats", "650102"), csv_bytes(ZH_HEADER, rows))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["imported"] == 1
    assert body["rejected"][0]["row"] == 3
    assert any("本区县" in e for e in body["rejected"][0]["errors"])
    assert entries(session, C) == []


@pytest.mark.parametrize(
    ("role", "district"),
    [("district_system", "650102"), ("district_industry", "650102"), ("city_industry", None), ("finance", None), ("auditor", None)],
)
def test_other_roles_may_not_import(client, session, token_for, role, district):
    content = csv_bytes(ZH_HEADER, [[A, "甲公司", "650102", "3421", "2023", "2023-06", "1.00"]])
    assert_problem(upload(client, token_for(role, district), content), 403)
    assert roster_count(session) == 0


def test_import_without_credentials_is_401(client):
    assert_problem(upload(client, {}, csv_bytes(ZH_HEADER, [])), 401)


def test_import_writes_one_audit_event(client, session, token_for):
    rows = [[A, "甲公司", "650102", "3421", "2023", "2023-06", "1.00"], [bad_check_char(B), "乙", "650102", "1391", "2023", "2023-01", "1"]]
    upload(client, token_for("city_stats", name="市统计局导入"), csv_bytes(ZH_HEADER, rows), filename="2023年名录.csv")
    [event] = import_events(session)
    assert (event.actor, event.role, event.entity_type) == ("市统计局导入", "city_stats", "roster_import")
    assert event.after["filename"] == "2023年名录.csv"
    assert (event.after["imported"], event.after["updated"], event.after["rejected"]) == (1, 0, 1)


def test_each_batch_rechecks_live_applications(client, token_for, monkeypatch):
    calls: list[set[str]] = []
    monkeypatch.setattr(service, "BATCH_SIZE", 2)
    monkeypatch.setattr(service.eligibility, "recompute_for_usccs", lambda _s, usccs, year: calls.append((set(usccs), year)) or 0)
    rows = [
        [A, "甲公司", "650102", "3421", "2023", "2023-06", "1.00"],
        [B, "乙公司", "650102", "1391", "2023", "2023-03", "2.00"],
        [C, "丙公司", "650103", "2614", "2023", "2023-02", "3.00"],
    ]
    assert upload(client, token_for("city_stats"), csv_bytes(ZH_HEADER, rows)).status_code == 201
    assert calls == [({A, B}, 2023), ({C}, 2023)]


# ------------------------------------------------------------------ GET /roster/{uscc}


def test_roster_of_one_enterprise_by_year(client, token_for):
    rows = [
        [A, "甲公司", "650102", "3421", "2024", "2023-06", "40000000.00"],
        [A, "甲公司", "650102", "3421", "2023", "2023-06", "35200000.5"],
        [B, "乙公司", "650102", "1391", "2023", "2023-03", "2.00"],
    ]
    assert upload(client, token_for("city_stats"), csv_bytes(ZH_HEADER, rows)).status_code == 201

    # The roster is not secret between districts: another district's official may read it.
    r = client.get(f"/api/v1/roster/{A}", headers=token_for("district_stats", "650103"))
    assert r.status_code == 200, r.text
    assert r.json() == {
        "uscc": A,
        "entries": [
            {
                "year": 2023,
                "name": "甲公司",
                "district_code": "650102",
                "industry_code": "3421",
                "first_included": "2023-06",
                "main_revenue": "35200000.50",
            },
            {
                "year": 2024,
                "name": "甲公司",
                "district_code": "650102",
                "industry_code": "3421",
                "first_included": "2023-06",
                "main_revenue": "40000000.00",
            },
        ],
    }
    assert client.get(f"/api/v1/roster/{A}", headers=token_for("auditor")).status_code == 200
    assert client.get(f"/api/v1/roster/{A}", headers=token_for("admin")).status_code == 200


def test_roster_of_unknown_or_malformed_uscc(client, token_for):
    # An error rolls the request's transaction back (in these tests, the token too): one token per call.
    body = assert_problem(client.get(f"/api/v1/roster/{D}", headers=token_for("city_industry")), 404)
    assert D in body["detail"]
    body = assert_problem(client.get(f"/api/v1/roster/{bad_check_char(D)}", headers=token_for("city_industry")), 422)
    assert "校验位" in body["detail"]


def test_roster_read_permissions(client, token_for):
    assert_problem(client.get(f"/api/v1/roster/{A}", headers=token_for("district_system", "650102")), 403)
    assert_problem(client.get(f"/api/v1/roster/{A}"), 401)


class _Pipe(io.RawIOBase):
    """A stream that cannot seek, as a pipe or a socket would be."""

    def __init__(self, data: bytes):
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_service_reads_a_stream_that_cannot_seek(session):
    from app.users.auth import Principal
    from app.users.models import Role

    principal = Principal(name="统计局", role=Role.city_stats, district_code=None, via="token")
    report = service.import_roster(
        session,
        filename="pipe.xlsx",
        fileobj=_Pipe(xlsx_bytes(ZH_HEADER, [[A, "甲公司", 650102, 3421, 2023, "2023-06", 1]])),
        principal=principal,
    )
    assert (report.imported, report.updated, report.rejected) == (1, 0, [])
    assert [e.main_revenue_fen for e in service.roster_for(session, A.lower())] == [100]


def test_a_later_roster_rechecks_applications_under_review_but_not_the_awarded(client, session, token_for):
    """Rows for an enterprise already on an earlier roster make "first time 规上" fail — for
    the application still under review; the approved one keeps the grounds it was awarded on."""
    from app.applications.models import Application, EligibilityCheck
    from app.enterprises.models import Enterprise
    from tests.factories import application_body, approve_applications, make_program, new_uscc

    make_program(session, "RC-1")
    [approved_id] = approve_applications(session, "RC-1", ["650102"])
    approved = session.get(Application, approved_id)
    approved_uscc = session.get(Enterprise, approved.enterprise_id).uscc
    pending_uscc = new_uscc("650102")
    r = client.post("/api/v1/programs/RC-1/applications", json=application_body(pending_uscc),
                    headers=token_for("district_system", "650102", name="rc-sys"))
    assert r.status_code == 201, r.text
    pending_id = r.json()["id"]

    def first_time(application_id: int) -> str:
        session.expire_all()
        return session.exec(select(EligibilityCheck.outcome).where(
            EligibilityCheck.application_id == application_id, EligibilityCheck.rule == "first_time_above_scale")).one()

    before = first_time(approved_id)
    rows = [[u, "名录企业", "650102", "3421", "2022", "2022-05", "30000000"] for u in (approved_uscc, pending_uscc)]
    rows += [[u, "名录企业", "650102", "3421", "2023", "2022-05", "35200000"] for u in (approved_uscc, pending_uscc)]
    r = upload(client, token_for("city_stats", name="rc-stats"), csv_bytes(ZH_HEADER, rows))
    assert r.status_code == 201, r.text
    assert first_time(pending_id) == "fail"  # on the 2022 roster already: not a first-timer
    assert first_time(approved_id) == before  # settled at 审定
