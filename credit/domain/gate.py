"""The disclosure gate: what a viewer may see of which records on a given date.

Every page, export, list and rating goes through ``disclose`` (``decide`` is its pure core, one
record at a time; ``bulk`` the same decisions compiled per record type for many records, in
credit/domain/gate_fast.py, which ``disclose`` and the exports use). Rules, in order:

1. a record dated after the view date did not exist yet and is shown to nobody;
2. openness comes from the catalog (``RecordType.openness_of``, so a tax grade A/D is 公开);
3. the public sees 公开 records inside their publicity window (credit/policy.py);
4. an authorised querier sees, for the one granted enterprise until the grant ends, 授权查询
   records and public ones; for anything else it is the public;
5. the enterprise sees its own records of the openness levels policy allows, whatever their
   window (marked 停止公示 when no longer public); for others it is the public;
6. a government user sees every shared record;
7. personal values are masked (a sealed value carries its mask: no key needed), except for
   government users where policy allows: those are decrypted, and ``disclose`` audits which;
8. an open objection marks the record 异议处理中; approved repair ends publication early.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from credit.domain import audit
from credit.domain.policy import Publicity, load_policy, publicity_of, record_date
from credit.domain.workflow_models import Objection, RepairApplication
from credit.kernel import keys
from credit.kernel.catalog import CODE_TYPES, OPENNESS_PUBLIC, Column, RecordType, load_catalog
from credit.kernel.errors import InvalidInput
from credit.kernel.identifiers import mask_id_number, mask_phone
from credit.kernel.keys import MASK, is_sealed
from credit.kernel.personal import PERSON_ROLE, is_individual_code

if TYPE_CHECKING:
    from credit.domain.gate_fast import BulkGate

log = logging.getLogger(__name__)

PUBLIC = "public"
AUTHORISED = "authorised"
ENTERPRISE = "enterprise"
GOVERNMENT = "government"
VIEWER_KINDS = (PUBLIC, AUTHORISED, ENTERPRISE, GOVERNMENT)

MARK_OBJECTION = "异议处理中"
MARK_ENDED = "停止公示"
MARK_REPAIRED = "已信用修复"
HIDDEN_KEYS = frozenset({"op"})

RecordKey = tuple[str, str, str]
MARKS_BY_KEY = 500  # up to this many records, disclose reads the marks of those records only


@dataclass(frozen=True)
class Viewer:
    """Who is looking. ``enterprise_id`` scopes the enterprise itself and an authorised querier."""

    kind: str
    user: str = ""
    enterprise_id: int | None = None
    grant_id: int | None = None
    valid_until: date | None = None

    def __post_init__(self) -> None:
        if self.kind not in VIEWER_KINDS:
            raise ValueError(f"unknown viewer kind {self.kind}")
        if self.kind in (AUTHORISED, ENTERPRISE) and self.enterprise_id is None:
            raise ValueError(f"a {self.kind} viewer needs an enterprise id")

    @classmethod
    def public(cls) -> Viewer:
        return cls(PUBLIC)

    @classmethod
    def government(cls, user: str = "") -> Viewer:
        return cls(GOVERNMENT, user)

    @classmethod
    def enterprise(cls, enterprise_id: int, user: str = "") -> Viewer:
        return cls(ENTERPRISE, user, enterprise_id)


@dataclass(frozen=True)
class Record:
    """The current version of one linked department record (the gate's input)."""

    department: str
    record_type: str
    record_id: str
    enterprise_id: int
    version: int
    fields: dict[str, Any]
    batch_id: int | None = None
    file_hash: str | None = None
    row_number: int | None = None

    @property
    def key(self) -> RecordKey:
        return (self.department, self.record_type, self.record_id)


@dataclass(frozen=True)
class Marks:
    """Workflow state on the view date: records under open objection, repairs in effect."""

    objections: frozenset[RecordKey] = frozenset()
    repairs: dict[RecordKey, date] = field(default_factory=dict)


@dataclass(frozen=True)
class Disclosed:
    """What one viewer sees of one record."""

    department: str
    department_zh: str
    record_type: str
    record_type_zh: str
    record_id: str
    enterprise_id: int
    openness: str
    record_date: date | None
    publicity: Publicity
    public: bool
    marks: tuple[str, ...]
    fields: dict[str, Any]
    provenance: dict[str, Any]

    @property
    def key(self) -> RecordKey:
        return (self.department, self.record_type, self.record_id)


def effective_kind(viewer: Viewer, enterprise_id: int, at: date) -> str:
    """Whom the viewer counts as for a record of the enterprise: itself, or the public."""
    if viewer.kind in (AUTHORISED, ENTERPRISE) and viewer.enterprise_id != enterprise_id:
        return PUBLIC
    if viewer.kind == AUTHORISED and viewer.valid_until is not None and at > viewer.valid_until:
        return PUBLIC
    return viewer.kind


def _may_see(kind: str, rt: RecordType, openness: str, public_now: bool) -> bool:
    viewers = load_policy()["viewers"]
    if kind == ENTERPRISE and f"{rt.department}/{rt.name}" in viewers["enterprise_own_types"]:
        return True
    if openness not in viewers[kind]:
        return False
    if kind in (GOVERNMENT, ENTERPRISE):
        return True
    return openness != OPENNESS_PUBLIC or public_now


def _mask(col: Column, value: Any) -> Any:
    """The public form of a personal value; a sealed value carries it (no key needed)."""
    if value in (None, ""):
        return value
    return masked(mask_how(col), value)


def mask_how(col: Column) -> str:
    """How a column's personal values are masked: id_number, phone or redact (policy ``masking``)."""
    if col.type in CODE_TYPES and not col.personal:
        return "id_number"  # an individual business's taxpayer id: an ID number plus two digits
    return str(load_policy()["masking"]["by_type"].get(col.type, load_policy()["masking"]["default"]))


def masked(how: str, value: Any) -> Any:
    """A personal value (not empty) masked ``how``."""
    if is_sealed(value):
        shown = str(value.get(MASK, ""))
        return shown if how in ("id_number", "phone") else "*" * len(shown)
    if how == "id_number":
        return mask_id_number(str(value))
    if how == "phone":
        return mask_phone(str(value))
    return "*" * len(str(value))


@lru_cache(maxsize=256)
def _sensitive_keys(rt: RecordType) -> frozenset[str]:
    """The columns that may hold a personal value: personal ones, and code columns."""
    return frozenset(c.key for c in rt.columns if c.personal or c.type in CODE_TYPES)


def _personal(col: Column, value: Any) -> bool:
    return col.personal or is_sealed(value) or (col.type in CODE_TYPES and is_individual_code(value))


def _government_sees(rt: RecordType, col: Column, unmasked: set[str]) -> bool:
    """Whether policy unmasks this column for government users: listed itself, or (an individual
    taxpayer id, which is an ID number plus two digits) the type's ID-number column is listed."""
    if f"{rt.department}/{rt.name}.{col.key}" in unmasked:
        return True
    person = rt.identity_columns.get(PERSON_ROLE)
    return not col.personal and person is not None and f"{rt.department}/{rt.name}.{person}" in unmasked


def _visible_fields(rt: RecordType, fields: dict[str, Any], kind: str,
                    revealed: list[str] | None = None) -> dict[str, Any]:
    """The fields a viewer sees: personal values masked, or in clear where policy unmasks them for
    government users (each such field named in ``revealed``, for the audit entry)."""
    unmasked = set(load_policy()["masking"]["government_unmasked"]) if kind == GOVERNMENT else set()
    sensitive = _sensitive_keys(rt)
    out: dict[str, Any] = {}
    for col in rt.columns:
        if col.key in HIDDEN_KEYS:
            continue
        value = fields.get(col.key)
        if col.key in sensitive and value not in (None, "") and _personal(col, value):
            if unmasked and _government_sees(rt, col, unmasked):
                value = keys.current().open(value) if is_sealed(value) else value
                if revealed is not None:
                    revealed.append(col.key)
            else:
                value = _mask(col, value)
        out[col.key] = value
    return out


def _marks(record: Record, marks: Marks, publicity: Publicity, at: date, kind: str) -> tuple[str, ...]:
    out = []
    if record.key in marks.objections:
        out.append(MARK_OBJECTION)
    if kind != PUBLIC and record.key in marks.repairs:
        out.append(MARK_REPAIRED)
    if kind != PUBLIC and publicity.published and not publicity.is_public(at):
        out.append(MARK_ENDED)
    return tuple(out)


def decide(record: Record, viewer: Viewer, at: date, marks: Marks | None = None,
           revealed: list[str] | None = None) -> Disclosed | None:
    """What ``viewer`` sees of ``record`` on ``at``, or None when it may see nothing.

    Personal values shown in clear (government users, where policy allows) are decrypted here and
    their ``department/type/record_id.field`` appended to ``revealed``; ``disclose`` audits them."""
    marks = marks or Marks()
    rt = load_catalog().get(record.department, record.record_type)
    dated = record_date(rt, record.fields)
    if dated is not None and dated > at:
        return None
    publicity = publicity_of(rt, record.fields)
    if record.key in marks.repairs and marks.repairs[record.key] <= at:
        publicity = publicity.ended_by_repair(marks.repairs[record.key])
    openness = rt.openness_of(record.fields)
    kind = effective_kind(viewer, record.enterprise_id, at)
    public_now = publicity.is_public(at)
    if not _may_see(kind, rt, openness, public_now):
        return None
    return Disclosed(
        record.department, rt.department_zh, record.record_type, rt.zh, record.record_id,
        record.enterprise_id, openness, dated, publicity, public_now and openness == OPENNESS_PUBLIC,
        _marks(record, marks, publicity, at, kind), _visible(rt, record, kind, revealed),
        {"batch_id": record.batch_id, "file_hash": record.file_hash,
         "row_number": record.row_number, "version": record.version},
    )


def _visible(rt: RecordType, record: Record, kind: str, revealed: list[str] | None) -> dict[str, Any]:
    shown: list[str] = []
    fields = _visible_fields(rt, record.fields, kind, shown)
    if revealed is not None:
        revealed += [f"{'/'.join(record.key)}.{key}" for key in shown]
    return fields


@lru_cache(maxsize=2)
def _marks_statements(by_record: bool) -> tuple[Any, Any]:
    """The two statements ``load_marks`` runs (built once: building them costs more than running them)."""
    o, r = Objection, RepairApplication
    objections = select(o.department, o.record_type, o.record_id, o.status, o.decided_on).where(
        o.filed_on <= bindparam("at"))
    repairs = select(r.department, r.record_type, r.record_id, r.decided_on).where(
        r.status == "approved", r.decided_on <= bindparam("at"))
    if by_record:
        objections = objections.where(o.record_id.in_(bindparam("ids", expanding=True)))
        repairs = repairs.where(r.record_id.in_(bindparam("ids", expanding=True)))
    return objections, repairs


def load_marks(session: Session, at: date, keys: Iterable[RecordKey] | None = None) -> Marks:
    """Open objections and repairs in effect on ``at``, by record (only those of ``keys`` when given:
    a page of a few records needs no scan of every objection)."""
    wanted = None if keys is None else set(keys)
    params: dict[str, Any] = {"at": at}
    if wanted is not None:
        if not wanted:
            return Marks()
        params["ids"] = sorted({k[2] for k in wanted})
    objections, repairs_stmt = _marks_statements(wanted is not None)
    conn = session.connection()
    open_keys = set()
    for dept, rtype, rid, status, decided_on in conn.execute(objections, params):
        if status == "open" or (decided_on is not None and decided_on > at):
            open_keys.add((dept, rtype, rid))
    repairs: dict[RecordKey, date] = {}
    for dept, rtype, rid, decided_on in conn.execute(repairs_stmt, params):
        key = (dept, rtype, rid)
        if decided_on is not None and (key not in repairs or decided_on < repairs[key]):
            repairs[key] = decided_on
    if wanted is not None:
        return Marks(frozenset(open_keys & wanted), {k: d for k, d in repairs.items() if k in wanted})
    return Marks(frozenset(open_keys), repairs)


EARLIEST_VIEW_DATE = date(1949, 10, 1)
LATEST_VIEW_DATE = date(2099, 12, 31)


def check_view_date(at: date) -> date:
    """A view date a person may ask for (1949-10-01 to 2099-12-31); InvalidInput otherwise."""
    if not EARLIEST_VIEW_DATE <= at <= LATEST_VIEW_DATE:
        raise InvalidInput(f"查看日期应在 {EARLIEST_VIEW_DATE} 至 {LATEST_VIEW_DATE} 之间 / "
                           f"the view date must lie between {EARLIEST_VIEW_DATE} and {LATEST_VIEW_DATE}: {at}")
    return at


def _still_public(viewer: Viewer, at: date, today: date | None) -> bool:
    """Whether a view on another day than today must also pass today's gate, record by record: what
    is no longer public today (停止公示, repaired, revoked) stays hidden from whoever counts as the
    public or an authorised querier for a record, whatever date they ask for; government users and
    the enterprise itself (for its own records) may look back."""
    return today is not None and viewer.kind != GOVERNMENT and at != today


def disclose(session: Session, viewer: Viewer, at: date, records: Iterable[Record], *,
             today: date | None = None) -> list[Disclosed]:
    """The records ``viewer`` may see on ``at``, filtered, masked and marked. The only way out.

    Given ``today`` (what every operation a person calls passes), a view of another date by the
    public or an authorised querier shows only what they may also see today: 停止公示 and credit
    repair hold whatever date is asked for. Without it the rules are applied on ``at`` alone (the
    lists' and ratings' own computations, tests of the rules)."""
    revealed: list[str] = []
    records = list(records)
    keys = [r.key for r in records] if len(records) <= MARKS_BY_KEY else None
    gate = bulk(viewer, at, load_marks(session, at, keys))
    if today is not None and _still_public(viewer, at, today):
        now = bulk(viewer, today, load_marks(session, today, keys))
        shown = [d for r in records
                 if (d := gate.decide(r, revealed)) is not None
                 and (effective_kind(viewer, r.enterprise_id, at) not in (PUBLIC, AUTHORISED)
                      or now.decide(r) is not None)]
    else:
        shown = [d for d in (gate.decide(r, revealed) for r in records) if d is not None]
    log.debug("gate: %s sees %d records on %s", viewer.kind, len(shown), at)
    if revealed:
        enterprises = sorted({d.enterprise_id for d in shown})
        audit.record(session, actor=viewer.user or viewer.kind, action="personal.unmask",
                     subject=f"enterprise:{enterprises[0]}" if len(enterprises) == 1 else "records",
                     reason=f"viewer {viewer.kind}",
                     details={"as_of": at, "fields": revealed, "enterprises": enterprises})
    return shown


def bulk(viewer: Viewer, at: date, marks: Marks | None = None) -> BulkGate:
    """``decide`` for one viewer on one date over many records, compiled per record type: a
    ``credit.domain.gate_fast.BulkGate`` (exports and ``disclose`` use it; the same decisions)."""
    from credit.domain.gate_fast import BulkGate

    return BulkGate(viewer, at, marks)
