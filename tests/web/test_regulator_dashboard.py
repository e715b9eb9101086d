"""The oversight dashboard page: overdue answers by department, every chart inline as SVG, CSP kept."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta

from sqlalchemy.orm import Session

from credit.domain.objections import file_objection
from credit.domain.workflows import ROLE_ENTERPRISE, Actor
from tests.web.world import TODAY


def test_the_dashboard_shows_overdue_objections_by_department_and_its_charts(engine, auth):
    with Session(engine) as s:  # filed 60 days ago: past any working-day deadline
        file_objection(s, Actor("firm", ROLE_ENTERPRISE, enterprise_id=1), "commerce", "penalty", "CF-OLD",
                       reason="处罚已撤销", on=TODAY - timedelta(days=60))
        s.commit()
    response = auth.login("regulator").get("/regulator/dashboard")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    table = page[page.index('<table id="overdue">'):page.index("</table>", page.index('<table id="overdue">'))]
    commerce = re.search(r"<tr><td>工商[^<]*</td><td>(\d+)</td><td>(\d+)</td></tr>", table)
    assert commerce is not None and commerce.groups() == ("1", "0")
    charts = re.findall(r'<figure class="chart-box" id="chart-(\w+)">(<svg.*?</svg>)</figure>', page, re.S)
    assert {name for name, _ in charts} == {"overdue", "records", "rejects", "matching", "backlog", "lists"}
    for _, svg in charts:
        root = ET.fromstring(svg)  # well-formed, not escaped into text
        assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.get("role") == "img"
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp
    assert "<script" not in page and " style=" not in page  # nothing the policy would block


def test_the_dashboard_takes_a_date_and_refuses_a_bad_one(auth):
    client = auth.login("admin")
    assert 'value="2026-01-31"' in client.get("/regulator/dashboard?date=2026-01-31").get_data(as_text=True)
    assert client.get("/regulator/dashboard?date=2026-02-31").status_code == 422


def test_the_dashboard_in_english(auth):
    page = auth.login("regulator").get("/regulator/dashboard?lang=en").get_data(as_text=True)
    assert "Oversight dashboard" in page and "Overdue answers by source department" in page
