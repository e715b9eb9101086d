"""Property: nothing the catalog marks non-public ever reaches a public view."""

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from credit.domain.gate import AUTHORISED, Marks, Record, Viewer, decide
from credit.domain.policy import publicity_of, record_date
from credit.kernel.catalog import OPENNESS_PUBLIC, Column, load_catalog
from credit.kernel.identifiers import mask_id_number

TYPES = [rt for rt in load_catalog()]
DATES = st.dates(min_value=date(2015, 1, 1), max_value=date(2032, 12, 31))
ID_NUMBERS = st.from_regex(r"\A[1-6][0-9]{16}[0-9X]\Z")


def _value(col: Column) -> st.SearchStrategy:
    kind = col.type
    if kind == "date":
        return st.none() | DATES.map(date.isoformat)
    if kind in ("amount_wan", "amount_yuan"):
        return st.none() | st.floats(min_value=0, max_value=1e6, allow_nan=False)
    if kind in ("int", "year"):
        return st.none() | st.integers(min_value=2010, max_value=2032)
    if kind == "enum":
        return st.none() | st.sampled_from(col.values or ("x",)) | st.text(max_size=3)
    if kind == "enum_list":
        return st.none() | st.lists(st.sampled_from(col.values) | st.text(max_size=3), max_size=3)
    if kind == "bool_zh":
        return st.sampled_from([True, False, None])
    if kind == "list":
        return st.none() | st.lists(st.text(max_size=5), max_size=2)
    if kind == "id_number":
        return st.none() | ID_NUMBERS
    return st.none() | st.text(max_size=8)


@st.composite
def records(draw) -> Record:
    rt = draw(st.sampled_from(TYPES))
    fields = {c.key: draw(_value(c)) for c in rt.columns}
    fields["record_id"] = "R"
    fields["secret_extra"] = "not a catalog column"
    return Record(rt.department, rt.name, "R", draw(st.integers(1, 3)), 1, fields)


PUBLIC_LIKE = st.sampled_from([
    Viewer.public(), Viewer.enterprise(99), Viewer(AUTHORISED, "bank", 99, 1, date(2040, 1, 1)),
])


@settings(max_examples=600, deadline=None)
@given(records(), DATES, PUBLIC_LIKE, st.booleans(), st.none() | DATES)
def test_no_non_public_record_or_field_reaches_a_public_view(record, at, viewer, objected, repaired):
    marks = Marks(frozenset({record.key} if objected else ()), {record.key: repaired} if repaired else {})
    shown = decide(record, viewer, at, marks)
    if shown is None:
        return
    rt = load_catalog().get(record.department, record.record_type)
    assert rt.openness_of(record.fields) == OPENNESS_PUBLIC
    assert rt.publicity != "never"
    window = publicity_of(rt, record.fields)
    assert window.is_public(at)
    assert not (repaired and repaired <= at), "approved repair ends publication"
    assert shown.public
    assert set(shown.fields) <= {c.key for c in rt.columns} - {"op"}
    for key in rt.personal_keys:
        raw = record.fields.get(key)
        if raw:
            assert shown.fields[key] != raw
            assert shown.fields[key] == mask_id_number(raw)


@settings(max_examples=200, deadline=None)
@given(records(), DATES)
def test_government_sees_every_record_that_exists_on_the_date(record, at):
    shown = decide(record, Viewer.government(), at)
    rt = load_catalog().get(record.department, record.record_type)
    dated = record_date(rt, record.fields)
    authorised_only = rt.openness_of(record.fields) == "授权查询"  # a querier with a stated basis only
    assert (shown is not None) == ((dated is None or dated <= at) and not authorised_only)
