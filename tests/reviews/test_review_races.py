"""Racing reviewers against a real server on a committed database."""

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlmodel import select

from app.reviews.models import ReviewDecision
from app.users.service import create_token
from tests.factories import application_body, complete_documents, make_program

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def race(live_server):
    with live_server.session() as s:
        make_program(s, code="LIVE-RACE")
        tokens = {}
        for key, role, district in [("ts", "district_system", "650102"), ("d_ind", "district_industry", "650102"),
                                    ("d_sta", "district_stats", "650102")]:
            _t, raw = create_token(s, name=f"race-{key}", role=role, district_code=district)
            tokens[key] = {"Authorization": f"Bearer {raw}"}
        s.commit()

    def new_app() -> int:
        r = httpx.post(f"{live_server.url}/api/v1/programs/LIVE-RACE/applications", json=application_body(), headers=tokens["ts"])
        app_id = r.json()["id"]
        with live_server.session() as s:
            complete_documents(s, app_id)
        return app_id

    return tokens, new_app


def _post_all(url: str, header_list: list[dict]) -> list[httpx.Response]:
    def one(headers):
        with httpx.Client(timeout=60) as c:
            return c.post(url, json={"decision": "approve", "opinion": "同意"}, headers={**headers, "If-Match": '"1"'})

    with ThreadPoolExecutor(max_workers=len(header_list)) as pool:
        return list(pool.map(one, header_list))


def test_eight_racing_approvals_by_one_department_leave_one_decision(live_server, race):
    tokens, new_app = race
    app_id = new_app()
    responses = _post_all(f"{live_server.url}/api/v1/applications/{app_id}/reviews", [tokens["d_ind"]] * 8)
    codes = sorted(r.status_code for r in responses)
    assert codes.count(201) == 1 and set(codes) <= {201, 409, 412}, codes
    with live_server.session() as s:
        rows = s.exec(select(ReviewDecision).where(ReviewDecision.application_id == app_id)).all()
    assert len(rows) == 1 and rows[0].department == "industry"


def test_two_departments_on_the_same_version_one_wins(live_server, race):
    tokens, new_app = race
    app_id = new_app()
    responses = _post_all(f"{live_server.url}/api/v1/applications/{app_id}/reviews", [tokens["d_ind"], tokens["d_sta"]])
    assert sorted(r.status_code for r in responses) == [201, 412]
