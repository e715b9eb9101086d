"""Property, end to end: generated records in a database, any date; what a public profile, a
list or their printed/exported text shows never includes a non-public record or a raw personal
value. (test_gate_property.py checks the gate itself one record at a time.)"""

from __future__ import annotations

import csv
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from credit.domain.gate import Viewer
from credit.domain.lists import black_list, red_list
from credit.domain.policy import publicity_of, record_date
from credit.domain.profile import build_profile
from credit.domain.schema import create_all
from credit.kernel.catalog import OPENNESS_PUBLIC, load_catalog
from credit.kernel.db import make_engine
from tests.credit.builders import add_record, ensure_enterprise
from tests.credit.faces import list_text, profile_text
from tests.credit.test_gate_property import DATES, TYPES, _value


@st.composite
def datasets(draw):
    rows = []
    for i in range(draw(st.integers(1, 8))):
        rt = draw(st.sampled_from(TYPES))
        fields = {c.key: draw(_value(c)) for c in rt.columns if c.key not in ("record_id", "op")}
        for key in rt.personal_keys:   # personal data present most of the time
            if draw(st.booleans()):
                fields[key] = f"43010219{draw(st.integers(10_000_000, 99_999_999))}{i:02d}"
        versions = draw(st.sampled_from([["upsert"], ["upsert", "upsert"], ["upsert", "revoke"]]))
        rows.append((rt, f"RID{i:03d}Z", draw(st.integers(1, 3)), fields, versions))
    return rows


@pytest.fixture(scope="module")
def prop_engine(tmp_path_factory):
    eng = make_engine(f"sqlite:///{tmp_path_factory.mktemp('prop') / 'p.db'}")
    create_all(eng)
    yield eng
    eng.dispose()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(datasets(), DATES)
def test_public_outputs_never_leak(prop_engine, tmp_path, data, at):
    with Session(prop_engine) as session:
        try:
            _check(session, tmp_path, data, at)
        finally:
            session.rollback()


def _allowed(rt, fields, at: date) -> bool:
    """The contract, independently of the gate: 公开 openness, inside its window, existing."""
    dated = record_date(rt, fields)
    return (rt.openness_of(fields) == OPENNESS_PUBLIC and publicity_of(rt, fields).is_public(at)
            and (dated is None or dated <= at))


def _check(session: Session, tmp_path, data, at: date) -> None:
    for eid in (1, 2, 3):
        ensure_enterprise(session, eid)
    allowed: set[str] = set()
    secrets: set[str] = set()
    for rt, rid, eid, fields, versions in data:
        for n, op in enumerate(versions):
            values = dict(fields)
            if n + 1 < len(versions):   # an older version's values must never show
                values.update({k: f"OLDVALUE{rid}" for k in ("subject_name", "name", "taxpayer_name")
                               if k in values})
                secrets.add(f"OLDVALUE{rid}")
            add_record(session, rt.department, rt.name, rid, eid, op=op, **values)
        secrets |= {str(fields[k]) for k in rt.personal_keys if fields.get(k)}
        if versions[-1] != "revoke" and _allowed(rt, {**fields, "record_id": rid}, at):
            allowed.add(rid)
    texts = []
    for eid in (1, 2, 3):
        profile = build_profile(session, eid, Viewer.public(), at)
        for d in profile.records:
            assert d.record_id in allowed, f"{d.record_id} is not public on {at}"
            assert d.public and d.openness == OPENNESS_PUBLIC
            rt = load_catalog().get(d.department, d.record_type)
            for key in rt.personal_keys:
                assert str(d.fields.get(key)) not in secrets
        texts.append(profile_text(session, eid, "public", at))
    listed = {r.record_id for e in black_list(session, at) + red_list(session, at) for r in e.reasons}
    assert listed <= allowed
    for kind in ("black", "red"):
        texts.append(list_text(session, kind, at))
        out = tmp_path / f"{kind}.csv"
        list_text(session, kind, at, str(out))
        texts.append(out.read_text(encoding="utf-8-sig"))
        with open(out, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))[1:]
        for row in rows:
            assert row[9] in allowed
    everything = "\n".join(texts)
    for secret in secrets:
        assert secret not in everything
    for _rt, rid, *_ in data:
        if rid not in allowed:
            assert rid not in everything, f"{rid} leaked into a public output on {at}"
