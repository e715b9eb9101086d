"""Oversight figures and the SVG charts of the dashboard."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from datetime import date

import pytest

from credit.domain.batches import submit_uploads
from credit.domain.charts import bar_chart, line_chart, nice_max
from credit.domain.objections import file_objection
from credit.domain.oversight import overdue_by_department, reject_rates, view_dashboard
from credit.kernel.errors import NotAllowed
from tests.credit.builders import penalty, registration
from tests.jobs.conftest import PENALTY_HEADER, penalty_rows, run_worker

SVG = "{http://www.w3.org/2000/svg}"


def test_overdue_objections_are_counted_by_their_department(session, company):
    penalty(session, "CF-1", "2026-01-10", fine=5.0)
    file_objection(session, company, "commerce", "penalty", "CF-1", reason="有误", on=date(2026, 3, 2))
    session.commit()
    assert overdue_by_department(session, date(2026, 3, 3))["commerce"] == {"objections": 0, "repairs": 0}
    assert overdue_by_department(session, date(2026, 3, 30))["commerce"] == {"objections": 1, "repairs": 0}


def test_the_dashboard_draws_every_chart_from_the_figures(session, engine, regulator, commerce_clerk):
    body = "\n".join(",".join(r) for r in [PENALTY_HEADER, *penalty_rows(20, bad_every=5)]).encode("utf-8")
    submit_uploads(engine, commerce_clerk, "commerce", "penalty", [(io.BytesIO(body), "p.csv")])
    run_worker(engine)
    registration(session, "REG-1", enterprise_id=1)
    session.commit()
    assert reject_rates(session)["commerce"] == (4, 20)
    dash = view_dashboard(session, regulator, date(2026, 11, 1), months=3)
    assert set(dash.charts) == {"overdue", "records", "rejects", "matching", "backlog", "lists"}
    for svg in dash.charts.values():
        root = ET.fromstring(svg)
        assert root.tag == f"{SVG}svg" and root.find(f"{SVG}title") is not None
    assert ET.fromstring(dash.charts["records"]).findall(f".//{SVG}polyline")
    assert "20.0%" in dash.charts["rejects"]
    assert len(dash.lists) == 3


def test_only_regulators_see_the_dashboard(session, commerce_clerk):
    with pytest.raises(NotAllowed):
        view_dashboard(session, commerce_clerk, date(2026, 11, 1))


def test_charts_escape_their_text_and_scale_their_axis():
    svg = bar_chart("<b>拒收率</b>", [("<script>alert(1)</script>", 0.5)], percent=True)
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "50.0%" in svg
    ET.fromstring(svg)
    ET.fromstring(line_chart("空", {}))
    ET.fromstring(line_chart("一条", {"a & b": [("2026-01", 3), ("2026-02", 7)]}))
    assert (nice_max(0), nice_max(7), nice_max(12), nice_max(4500)) == (1.0, 10.0, 20.0, 5000.0)


def test_a_long_bar_label_fits_left_of_its_bar():
    import re
    svg = bar_chart("匹配 / matching", [("跨部门企业 multi-department", 0.5), ("已关联记录 linked", 1.0)], percent=True)
    label_end = float(re.search(r'<text x="([\d.]+)"[^>]*text-anchor="end">跨部门企业', svg).group(1))
    assert label_end >= 5 * 12 + len(" multi-department") * 7  # the whole label has room before x = 0
    assert float(re.search(r'<rect class="bar" x="([\d.]+)"', svg).group(1)) > label_end
