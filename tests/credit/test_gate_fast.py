"""The gate's bulk path decides exactly what ``gate.decide`` decides, record for record.

Records are generated for every record type with values drawn from small pools (so many records
share a window key and the bulk path's memo is exercised across different raw values: 1 and 1.0
and True, a list and a string, an empty and a missing date), clear and sealed personal values,
20-character taxpayer ids in code columns, every viewer kind (the enterprise itself and another,
an authorised querier inside and after its grant, a government user), open objections and
approved repairs, and view dates around the windows' edges.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credit.domain.gate import AUTHORISED, GOVERNMENT, Marks, Record, Viewer, bulk, decide
from credit.domain.policy import publicity_of, record_date, window_fields
from credit.kernel import keys
from credit.kernel.catalog import CODE_TYPES, Column, load_catalog

TYPES = list(load_catalog())
DAYS = ["2019-02-28", "2020-02-29", "2024-01-31", "2025-04-01", "2025-07-28", "2026-06-30", "2026-11-01",
        "2031-12-31"]
VIEW_DAYS = [date(2020, 3, 1), date(2025, 7, 28), date(2026, 6, 30), date(2026, 7, 1), date(2026, 11, 1),
             date(2033, 1, 1)]
ID_NUMBER = "430104198001011234"
INDIVIDUAL = "43010419800101123401"  # an individual business's taxpayer id: an ID number plus two digits
AMOUNTS = [None, 0, 0.0, 0.5, 1, 1.0, 2.5, True, False, -1.0, "3", 120.0]


def _sealed(value: str, kind: str = "id_number") -> dict[str, str]:
    return keys.current().seal(value, kind)


def _value(col: Column) -> st.SearchStrategy[Any]:
    kind = col.type
    if col.personal:
        clear = "13800138000" if kind == "phone" else ID_NUMBER
        return st.sampled_from([None, "", clear, "X1"]) | st.sampled_from([clear]).map(
            lambda v: _sealed(v, "phone" if kind == "phone" else "id_number"))
    if kind in CODE_TYPES:
        return st.sampled_from([None, "", "91430100MA4L0XXX1X", "430100000012345", "MA4L0XXX1", INDIVIDUAL]) | \
            st.just(INDIVIDUAL).map(_sealed)
    if kind == "date":
        return st.sampled_from([None, "", "bad", *DAYS])
    if kind in ("amount_wan", "amount_yuan"):
        return st.sampled_from(AMOUNTS)
    if kind in ("int", "year"):
        return st.sampled_from([None, 2018, 2019, 2024, 2025, 2031, 1800, "2024", 2024.0])
    if kind == "enum":
        return st.sampled_from([None, "", "x", *(col.values or ())])
    if kind == "enum_list":
        return st.none() | st.lists(st.sampled_from([*col.values, "x"]), max_size=3) | st.sampled_from(col.values or ["x"])
    if kind == "bool_zh":
        return st.sampled_from([True, False, None, 1, 0, "是"])
    if kind == "list":
        return st.none() | st.lists(st.sampled_from(["甲", "=1+1", ""]), max_size=2)
    return st.sampled_from([None, "", "甲公司", "=1+1", " 乙"])


@st.composite
def records(draw: st.DrawFn) -> Record:
    rt = draw(st.sampled_from(TYPES))
    fields = {c.key: draw(_value(c)) for c in rt.columns if draw(st.integers(0, 9))}  # now and then missing
    fields["secret_extra"] = "not a catalog column"
    rid = draw(st.sampled_from(["R1", "R2", "R3"]))
    return Record(rt.department, rt.name, rid, draw(st.sampled_from([1, 2])), draw(st.integers(1, 3)), fields,
                  draw(st.sampled_from([None, 7])), "h", 3)


@st.composite
def families(draw: st.DrawFn) -> list[Record]:
    """A record and variants of it, each with a column or two changed: records that share most window
    fields, so the bulk path's memo answers for many of them."""
    base = draw(records())
    columns = load_catalog().get(base.department, base.record_type).columns
    out = [base]
    for _ in range(draw(st.integers(0, 25))):
        fields = dict(base.fields)
        for col in draw(st.lists(st.sampled_from(columns), min_size=1, max_size=2)):
            fields[col.key] = draw(_value(col))
        out.append(Record(base.department, base.record_type, draw(st.sampled_from(["R1", "R2", "R3"])),
                          draw(st.sampled_from([1, 2])), base.version, fields))
    return out


RECORDS = st.lists(families(), min_size=1, max_size=3).map(lambda groups: [r for g in groups for r in g])
VIEWERS = st.sampled_from([
    Viewer.public(), Viewer.enterprise(1, "企业"), Viewer.enterprise(2),
    Viewer(AUTHORISED, "bank", 1, 5, date(2026, 7, 1)), Viewer(AUTHORISED, "bank", 2, 6, None),
    Viewer.government("监管员"), Viewer(GOVERNMENT),
])


@st.composite
def marks_for(draw: st.DrawFn, recs: list[Record]) -> Marks:
    known = sorted({r.key for r in recs})
    objected = draw(st.lists(st.sampled_from(known), max_size=3)) if known else []
    repaired = draw(st.lists(st.sampled_from(known), max_size=2)) if known else []
    return Marks(frozenset(objected), {k: draw(st.sampled_from(VIEW_DAYS)) for k in repaired})


def _outcome(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except Exception as exc:  # the slow path's exceptions must be the bulk path's too
        return ("raised", type(exc))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data(), RECORDS, VIEWERS, st.sampled_from(VIEW_DAYS))
def test_bulk_gate_decides_every_record_as_decide_does(data, recs, viewer, at):
    marks = data.draw(st.none() | marks_for(recs))
    gate = bulk(viewer, at, marks)
    for record in recs:
        slow_revealed: list[str] = []
        fast_revealed: list[str] = []
        slow = _outcome(decide, record, viewer, at, marks, slow_revealed)
        fast = _outcome(gate.decide, record, fast_revealed)
        assert fast == slow
        assert fast_revealed == slow_revealed
        if slow is not None and not isinstance(slow, tuple):
            assert list(fast.fields) == list(slow.fields)  # the same columns in the same order


def test_sealed_values_are_masked_without_the_key_and_opened_where_policy_allows(monkeypatch):
    case = Record("public_security", "case", "GA-1", 1, 1, {"party_name": "甲", "filed_date": "2026-01-05",
                                                           "legal_rep_id_number": _sealed(ID_NUMBER)})
    fine = Record("commerce", "penalty", "CF-1", 1, 1, {"decision_date": "2026-06-01", "penalty_kinds": ["罚款"],
                                                         "fine_amount": 2.0, "uscc": _sealed(INDIVIDUAL),
                                                         "legal_rep_id_number": _sealed(ID_NUMBER)})
    at = date(2026, 11, 1)
    opened: list[str] = []
    government = bulk(Viewer.government("监管员"), at)
    assert government.decide(case, opened).fields["legal_rep_id_number"] == ID_NUMBER
    assert opened == ["public_security/case/GA-1.legal_rep_id_number"]

    def no_key() -> None:
        raise AssertionError("a masked value needs no key")

    monkeypatch.setattr(keys, "current", no_key)
    shown = bulk(Viewer.public(), at).decide(fine)
    assert shown is not None and shown.fields["legal_rep_id_number"] == "430***********1234"
    assert shown.fields["uscc"] == "430*************3401" and shown == decide(fine, Viewer.public(), at)
    assert bulk(Viewer.government(), at).decide(fine).fields["legal_rep_id_number"] == "430***********1234"


class Reading(dict):  # type: ignore[type-arg]
    """A fields dict that notes every key read."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.read: set[str] = set()

    def get(self, key: Any, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key: Any) -> Any:
        self.read.add(key)
        return super().__getitem__(key)


@pytest.mark.parametrize("rt", TYPES, ids=lambda rt: f"{rt.department}/{rt.name}")
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_window_fields_name_everything_the_window_reads(rt, data):
    fields = Reading({c.key: data.draw(_value(c)) for c in rt.columns})
    for read in (record_date, publicity_of):
        _outcome(read, rt, fields)
    _outcome(rt.openness_of, fields)
    assert fields.read <= set(window_fields(rt))


def _grid(col: Column) -> list[Any]:
    """Values of a window field to try in every combination."""
    if col.type == "date":
        return [None, "", "bad", "2024-01-31", "2025-04-01", "2026-06-30"]
    if col.type in ("amount_wan", "amount_yuan"):
        return AMOUNTS
    if col.type in ("int", "year"):
        return [None, 2024, "2024", 2024.0, 1800, True]
    if col.type == "enum_list":
        return [None, [], ["罚款"], ["警告"], ["通报批评"], ["罚款", "吊销许可证件"], "罚款", ("罚款",)]
    if col.type == "bool_zh":
        return [True, False, None, 1, "是"]
    return [None, "", *(col.values or ()), 1]


@pytest.mark.parametrize("rt", TYPES, ids=lambda rt: f"{rt.department}/{rt.name}")
def test_every_combination_of_window_values_is_decided_as_decide_does(rt):
    """Exhaustive over the fields a window depends on: one bulk gate per viewer and date answers for
    thousands of records whose keys collide, each equal to ``decide``."""
    import itertools

    grid = [(key, _grid(rt.column(key))) for key in window_fields(rt)]
    combos = [dict(zip([k for k, _ in grid], values)) for values in itertools.product(*(v for _, v in grid))]
    recs = [Record(rt.department, rt.name, f"R{i}", 1 + i % 2, 1, {**combo, "record_id": f"R{i}"})
            for i, combo in enumerate(combos)]
    for viewer in (Viewer.public(), Viewer.enterprise(1), Viewer.government()):
        for at in (date(2024, 6, 30), date(2025, 7, 28), date(2026, 6, 30), date(2027, 6, 29)):
            gate = bulk(viewer, at)
            for record in recs:
                assert _outcome(gate.decide, record) == _outcome(decide, record, viewer, at)
