"""Deciding a record for several days at once answers, day by day, what the day's own gate answers.

The search index decides each card for the public on today and the following days
(credit/domain/search_cards.py) through ``DayGates``; here its answers are held equal to
``BulkGate.decide`` (itself held equal to ``gate.decide``) for generated records of every type,
viewers of every kind, day runs across the windows' edges, and objections and repairs that begin
or end within the run.
"""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credit.domain.gate import Marks, Record, Viewer, bulk
from credit.domain.gate_days import DayGates
from credit.kernel.catalog import load_catalog
from tests.credit.test_gate_fast import RECORDS, VIEW_DAYS, VIEWERS, _outcome, marks_for

# runs of consecutive days starting before, on and after the edges the generated records' dates make
STARTS = [d + timedelta(days=k) for d in VIEW_DAYS for k in (-3, -1, 0)] + [date(2026, 6, 25), date(2024, 1, 28)]


def _each_day(gates: DayGates, record: Record) -> list[object]:
    return [_outcome(gate.decide, record) for gate in gates.gates]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data(), RECORDS, VIEWERS, st.sampled_from(STARTS), st.integers(1, 8))
def test_every_day_is_decided_as_that_days_gate_decides(data, recs, viewer, start, count):
    days = [start + timedelta(days=k) for k in range(count)]
    marks = [data.draw(st.just(Marks()) | marks_for(recs)) for _ in days]
    gates = DayGates(viewer, days, marks)
    for record in recs:
        fast = _outcome(gates.decide, record)
        slow = [_outcome(bulk(viewer, day, m).decide, record) for day, m in zip(days, marks)]
        if any(isinstance(s, tuple) for s in slow):  # a day's gate raised: so does the run of days
            assert isinstance(fast, tuple)
            continue
        assert fast == slow
        for f, s in zip(fast, slow):
            if s is not None:
                assert list(f.fields) == list(s.fields)  # the same columns in the same order


def test_a_record_dated_within_the_run_appears_on_its_day_and_stays():
    rt = load_catalog().get("commerce", "abnormal_list")
    record = Record("commerce", "abnormal_list", "L1", 1, 1,
                    {rt.date_field: "2026-07-03", "uscc": "91430100MA4L0XXX1X", "name": "甲公司"})
    days = [date(2026, 7, 1) + timedelta(days=k) for k in range(5)]
    seen = DayGates(Viewer.public(), days, [Marks()] * len(days)).decide(record)
    assert [d is not None for d in seen] == [False, False, True, True, True]

