"""The rows of each export kind: a header and a stream of raw values, taken through the gate.

Lists come from ``credit.domain.lists`` (the same entries and columns ``python -m credit lists``
writes). Records are read from the database a few thousand at a time with a server-side cursor
(current, not revoked versions, linked to an enterprise) and each one is decided by the gate for
a government viewer on the view date before it becomes a row (the gate's bulk path: the same
decision as ``gate.decide``, compiled once per record type).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Engine, LargeBinary, and_, cast, func, literal_column, select
from sqlalchemy.orm import Session, aliased

from credit.domain.gate import PUBLIC, Marks, Viewer, bulk, load_marks
from credit.domain.lists import BLACK, CSV_HEADER, LIST_NAMES, black_list, red_list
from credit.domain.profile import successor_map, viewer_label
from credit.kernel.catalog import Column, RecordType, load_catalog
from credit.kernel.errors import InvalidInput
from credit.kernel.models import SourceRecord
from matching.models import RecordLink
from matching.regions import code_of

if TYPE_CHECKING:
    from credit.domain.export_store import StoredLines
    from credit.domain.exports import ExportSpec

log = logging.getLogger(__name__)

CODE_TYPES = frozenset({"uscc", "reg_no", "org_code", "taxpayer_id", "id_number", "loan_card_no"})
LIST_KEYS = ["list", "date", "viewer", "enterprise_id", "name", "uscc", "reason", "department", "record_type",
             "record_id", "since", "until", "marks"]
RECORD_META = [("企业编号", "enterprise_id"), ("部门", "department"), ("记录类型", "record_type"),
               ("版本", "version"), ("公开属性", "openness"), ("记录日期", "record_date"),
               ("公示起", "publicity_from"), ("公示止", "publicity_until"), ("标记", "marks")]
PENALTY_TYPES = (("commerce", "penalty"), ("quality", "penalty"), ("public_security", "fire_penalty"))
ABNORMAL_TYPES = (("commerce", "abnormal_list"),)
FETCH = 5000


@dataclass
class Table:
    """An export's columns (Chinese and English), which hold codes, and its rows."""

    sheet: str
    header: list[str]
    keys: list[str]
    code_columns: frozenset[int]
    rows: Iterator[list[Any]]
    # personal values written in clear, by ``department/type.column``, counted while the rows stream
    # (a government export of a type whose ID numbers policy opens): the export's audit entry says so
    unmasked: Counter[str] = field(default_factory=Counter)
    # a records export: the raw batches ``rows`` is made of, and what decides them (``RecordRows``);
    # the CSV writer takes the batches itself, to share them out between processes
    batches: Iterator[list[Any]] | None = None
    decider: RecordRows | None = None
    stored: StoredLines | None = None  # a CSV records export: its lines, stored decisions and others


def region_code(region: str | None) -> str | None:
    """A region filter as a division code prefix: digits as given, or a province / city name."""
    if not region:
        return None
    region = region.strip()
    if region.isdigit():
        return region
    code = code_of(region)
    if code is None:
        raise InvalidInput(f"无法识别的地区 / unknown region: {region}")
    return code


def _division(uscc: str | None, taxpayer_id: str | None) -> str:
    code = uscc if uscc and len(uscc) == 18 else taxpayer_id if taxpayer_id and len(taxpayer_id) == 18 else ""
    return code[2:8]


# ---------------------------------------------------------------- lists


def list_table(session: Session, spec: ExportSpec) -> Table:
    """The black or red list on the date, one row per reason, as ``python -m credit lists`` writes it."""
    entries = black_list(session, spec.at) if spec.kind == BLACK else red_list(session, spec.at)
    prefix = region_code(spec.region)

    def rows() -> Iterator[list[Any]]:
        for e in entries:
            if prefix and not (e.uscc or "")[2:8].startswith(prefix):
                continue
            for r in e.reasons:
                if spec.department and r.department != spec.department:
                    continue
                if spec.record_type and r.record_type != spec.record_type:
                    continue
                yield [LIST_NAMES[spec.kind], spec.at, viewer_label(PUBLIC), e.enterprise_id, e.name, e.uscc,
                       r.text, r.department, r.record_type, r.record_id, r.since, r.until, "；".join(r.marks)]

    return Table(spec.kind, list(CSV_HEADER), list(LIST_KEYS), frozenset({5}), rows())


# ---------------------------------------------------------------- records


def export_types(spec: ExportSpec) -> list[RecordType]:
    """The record types an export reads, narrowed by its department and type filters."""
    catalog = load_catalog()
    if spec.kind == "records":
        return [catalog.get(spec.department or "", spec.record_type or "")]
    pairs = PENALTY_TYPES if spec.kind == "penalties" else ABNORMAL_TYPES
    chosen = [catalog.get(d, t) for d, t in pairs
              if (not spec.department or d == spec.department) and (not spec.record_type or t == spec.record_type)]
    if not chosen:
        raise InvalidInput(f"{spec.department or ''}/{spec.record_type or ''} 不属于此导出 / not part of a {spec.kind} export")
    return chosen


def record_columns(rt: RecordType) -> tuple[list[Column], frozenset[int]]:
    """A records export's value columns (those of its first type) and which of its columns hold codes."""
    columns = [c for c in rt.columns if c.key != "op"]
    return columns, frozenset(len(RECORD_META) + i for i, c in enumerate(columns) if c.type in CODE_TYPES)


def record_table(session: Session, spec: ExportSpec, lines: bool = False) -> Table:
    """Current records of the export's types as a government viewer sees them on the date; with
    ``lines`` (a CSV export), read with their stored decisions (``credit.domain.export_store``)."""
    from credit.domain.export_store import StoredLines

    types = export_types(spec)
    columns, codes = record_columns(types[0])
    header = [f"{zh} {key}" for zh, key in RECORD_META] + [f"{c.zh} {c.key}" for c in columns]
    keys = [key for _, key in RECORD_META] + [c.key for c in columns]
    unmasked: Counter[str] = Counter()
    marks = load_marks(session, spec.at)
    decider = RecordRows(session, spec, types, [c.key for c in columns], marks)
    if lines:
        stored = StoredLines(session, spec, types, decider, len(header), codes, marks)
        return Table(types[0].name, header, keys, codes, iter(()), unmasked, stored.batches(FETCH), decider, stored)
    batches = current_batches(session, types)
    rows = (row for batch in batches for row in decider.rows(batch, unmasked))
    return Table(types[0].name, header, keys, codes, rows, unmasked, batches, decider)


def _fields_column(session: Session | Engine) -> Any:
    """The stored fields as UTF-8 bytes where the database can hand them so (``orjson`` reads bytes
    without decoding them to a string first: a few µs a record over a million)."""
    dialect = (session.get_bind() if isinstance(session, Session) else session).dialect.name
    if dialect == "sqlite":
        return cast(SourceRecord.fields, LargeBinary)
    if dialect == "postgresql":
        return func.convert_to(SourceRecord.fields, literal_column("'UTF8'"), type_=LargeBinary)
    return SourceRecord.fields


def current_batches(session: Session, types: list[RecordType]) -> Iterator[list[Any]]:
    """Current, not revoked, linked versions of the types, in key order, ``FETCH`` rows at a time:
    (department, record_type, record_id, version, fields as JSON, uscc, taxpayer_id, enterprise_id)."""
    s, newer = SourceRecord, aliased(SourceRecord)
    stmt = (select(s.department, s.record_type, s.record_id, s.version, _fields_column(session), s.uscc,
                   s.taxpayer_id, RecordLink.enterprise_id)
            .join(RecordLink, and_(RecordLink.department == s.department, RecordLink.record_type == s.record_type,
                                   RecordLink.record_id == s.record_id))
            .where(s.op != "revoke")
            .where(~select(newer.id).where(newer.department == s.department, newer.record_type == s.record_type,
                                           newer.record_id == s.record_id, newer.version > s.version).exists()))
    for rt in types:
        part = stmt.where(s.department == rt.department, s.record_type == rt.name).order_by(s.record_id)
        # per statement: Connection.execution_options would change the session's connection for good
        result = session.connection().execute(part.execution_options(stream_results=True, yield_per=FETCH))
        for batch in result.partitions():
            yield [tuple(row) for row in batch]


def current_rows(session: Session, types: list[RecordType]) -> Iterator[Any]:
    """Current, not revoked, linked versions of the types, streamed in key order (``current_batches``)."""
    for batch in current_batches(session, types):
        yield from batch


class RecordRows:
    """Decides batches of ``current_batches`` rows into export rows (values, not yet cells) for a
    government viewer on the export's date, through the gate's bulk path. Holds no database
    connection once made: a forked process can decide batches with it (credit/domain/export_csv.py)."""

    fields_column = staticmethod(_fields_column)

    def __init__(self, session: Session, spec: ExportSpec, types: list[RecordType], keys: list[str],
                 marks: Marks | None = None) -> None:
        self.spec, self.keys = spec, keys
        self.gate = bulk(Viewer.government(), spec.at, marks if marks is not None else load_marks(session, spec.at))
        self.successors = successor_map(session)
        self.prefix = region_code(spec.region)
        self.in_window = spec.kind in ("penalties", "abnormal")
        self.shapes = {(rt.department, rt.name): _shape(rt, keys) for rt in types}

    def rows(self, batch: list[Any], unmasked: Counter[str]) -> list[list[Any]]:
        """The export rows of a batch, in its order; personal values written in clear counted in ``unmasked``."""
        spec, keys, prefix, in_window, shapes = self.spec, self.keys, self.prefix, self.in_window, self.shapes
        successor, verdict, loads = self.successors.get, self.gate.verdict, orjson.loads
        ranged = spec.date_from is not None or spec.date_to is not None
        revealed: list[str] = []
        out: list[list[Any]] = []
        for dept, rtype, rid, version, fields, uscc, tid, eid in batch:
            if prefix and not _division(uscc, tid).startswith(prefix):
                continue
            eid = successor(eid, eid)
            if revealed:
                revealed.clear()
            decided = verdict(dept, rtype, rid, eid, loads(fields), revealed)
            if decided is None:
                continue
            window, marks, values = decided
            if (in_window and not window.public_now) or (ranged and not _in_range(window.dated, spec)):
                continue
            for opened in revealed:  # counted for the rows written only
                unmasked[f"{dept}/{rtype}.{opened.rpartition('.')[2]}"] += 1
            p = window.publicity
            same, rid_at = shapes[(dept, rtype)]
            row = [eid, dept, rtype, version, window.openness, window.dated, p.start if p.published else None,
                   p.last_day if p.published else None, "；".join(marks) if marks else ""]
            if same:
                row += values
                if rid_at is not None:
                    row[rid_at] = rid
            else:
                shown = dict(zip(_visible_keys(load_catalog().get(dept, rtype)), values))
                row += [rid if k == "record_id" else shown.get(k) for k in keys]
            out.append(row)
        return out


def _visible_keys(rt: RecordType) -> list[str]:
    return [c.key for c in rt.columns if c.key != "op"]


def _shape(rt: RecordType, keys: list[str]) -> tuple[bool, int | None]:
    """Whether the type's visible values are the export's columns as they stand, and where record_id is."""
    if _visible_keys(rt) != keys:
        return False, None
    return True, (len(RECORD_META) + keys.index("record_id")) if "record_id" in keys else None


def _in_range(day: date | None, spec: ExportSpec) -> bool:
    if spec.date_from is None and spec.date_to is None:
        return True
    if day is None:
        return False
    return (spec.date_from is None or day >= spec.date_from) and (spec.date_to is None or day <= spec.date_to)


