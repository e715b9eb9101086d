"""Stored gate decisions for large CSV exports: what a record version's fields decide, made once.

A records export decides every record for a government viewer on a date. Most of that decision
does not depend on the date: the record date, the publicity window and the openness come from the
version's fields (``TypePlan.standing``), and so do the visible values, masked (``TypePlan.values``).
``prepare`` stores them per record version in ``export_decisions`` (``ExportDecision``), with their
CSV cells as the export writes them; an export then reads the current versions joined to their
stored decisions, and what depends on the date is decided in the query (``TypePlan.on`` in SQL:
exists yet, shown, public now, 停止公示), what depends on the links and the workflow when the line is
written (the enterprise and its successor, 异议处理中; a record under an approved repair is decided
from its fields again, the long way). A version without a valid stored decision is decided from
its fields as before, in the same stream and order: storing only makes it faster.

A stored decision is valid for one ``basis``: a digest of the catalog, the policy, the code that
decides and writes (gate, policy, cells, export rows and lines, this module, masking and keys) and
the active data key's id. A record's new version is another row (decisions are by version); a
policy, catalog, code or key change makes another basis, under which nothing is stored yet. Types
whose personal values policy opens to government users are never stored (no clear value at rest).
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Engine, Table, and_, case, delete, func, insert, literal, null, or_, select
from sqlalchemy.orm import Session, aliased

from credit.domain.export_csv import _cells, csv_text, line_function, plain_line, written
from credit.domain.gate import GOVERNMENT, MARK_ENDED, MARK_OBJECTION, Marks, _may_see
from credit.domain.gate_fast import WINDOWS_KEPT, TypePlan
from credit.domain.policy import load_policy
from credit.domain.work_models import ExportDecision, ExportDecisionMark
from credit.kernel import keys
from credit.kernel.catalog import RecordType
from credit.kernel.db import transaction
from credit.kernel.models import SourceRecord
from matching.models import RecordLink

if TYPE_CHECKING:
    from credit.domain.export_rows import RecordRows
    from credit.domain.exports import ExportSpec

log = logging.getLogger(__name__)

CHUNK = 2000  # versions decided and stored per transaction
SOURCES = ("credit.domain.gate", "credit.domain.gate_fast", "credit.domain.policy", "credit.domain.cells",
           "credit.domain.export_csv", "credit.domain.export_rows", "credit.domain.export_store",
           "credit.kernel.catalog", "credit.kernel.identifiers", "credit.kernel.keys", "credit.kernel.personal")


@lru_cache(maxsize=1)
def _code_digest() -> str:
    import importlib

    from credit.kernel.catalog import CATALOG_PATH

    digest = hashlib.sha256(Path(CATALOG_PATH).read_bytes())
    for name in SOURCES:
        digest.update(Path(str(importlib.import_module(name).__file__)).read_bytes())
    return digest.hexdigest()


def basis(kind: str = GOVERNMENT) -> str:
    """What a stored decision is valid under: catalog, deciding code, policy, active key, viewer kind."""
    try:
        active = keys.current().active
    except keys.KeysMissing:
        active = "-"
    digest = hashlib.sha256(_code_digest().encode())
    digest.update(orjson.dumps(load_policy(), option=orjson.OPT_SORT_KEYS, default=str))
    digest.update(f"|{active}|{kind}".encode())
    return digest.hexdigest()[:32]


def encoded(cells: list[str]) -> bytes:
    """Cells (two or more, or one not empty) as ``csv.writer`` writes them inside a row, UTF-8, no line end.

    ``csv.writer`` quotes each field on its own, so a row's line is its fields' encodings joined by
    commas (its one exception, a row of a single empty field, cannot occur inside a longer row)."""
    return written(["", *cells])[1:-2].encode("utf-8")


def storable(plan: TypePlan) -> bool:
    """Whether decisions of the plan's type may be stored: none of its values is shown in clear."""
    return plan.kind == GOVERNMENT and not plan.opens


# ---------------------------------------------------------------- making decisions


def _current(s: Any, rt: RecordType) -> Any:
    newer = aliased(SourceRecord)
    return and_(s.department == rt.department, s.record_type == rt.name, s.op != "revoke",
                ~select(newer.id).where(newer.department == s.department, newer.record_type == s.record_type,
                                        newer.record_id == s.record_id, newer.version > s.version).exists())


class Decider:
    """Stored decisions of one type's versions: ``TypePlan.standing`` once per distinct combination of
    the fields it reads (``policy.window_key``, as the gate's bulk path), the values and their cells
    as ``RecordRows.rows`` makes the export row of them."""

    def __init__(self, plan: TypePlan, at_basis: str) -> None:
        from credit.domain.export_rows import _shape, record_columns

        self.plan, self.basis = plan, at_basis
        columns, self.codes = record_columns(plan.rt)
        self.rid_at = _shape(plan.rt, [c.key for c in columns])[1]
        self.width = len(export_rows_meta()) + len(columns)
        self.line = line_function(self.width, self.codes)
        self.standings: dict[Any, tuple[Any, ...] | None] = {}

    def standing(self, fields: dict[str, Any]) -> tuple[Any, ...] | None:
        """(dated, publicity, openness, shown) of the fields, or None when not storable."""
        plan = self.plan
        try:
            key = plan.window_key(fields)
            found = self.standings.get(key, False)
        except Exception:  # noqa: BLE001 (cannot be keyed: worked out on its own)
            key, found = None, False
        if found is not False:
            return found  # type: ignore[return-value]
        try:
            dated, publicity, openness = plan.standing(fields)
            shown = _may_see(plan.kind, plan.rt, openness, True)
            made = (dated, publicity, openness, shown) if shown == _may_see(plan.kind, plan.rt, openness, False) else None
        except Exception:  # noqa: BLE001 (a value its rules cannot read: decided when exported, as before)
            made = None
        if key is not None:
            if len(self.standings) >= WINDOWS_KEPT:
                self.standings.clear()
            self.standings[key] = made
        return made

    def __call__(self, source_id: int, record_id: str, version: int, fields: dict[str, Any]) -> dict[str, Any] | None:
        """The stored decision of one version (None: not storable, decided when exported)."""
        standing = self.standing(fields)
        if standing is None:
            return None
        dated, p, openness, shown = standing
        try:
            values = self.plan.values(fields, None)
        except Exception:  # noqa: BLE001
            return None
        rt = self.plan.rt
        row = [0, rt.department, rt.name, version, openness, dated, p.start if p.published else None,
               p.last_day if p.published else None, "", *values]
        if self.rid_at is not None:
            row[self.rid_at] = record_id
        line, tabs = self.line(row) if len(row) == self.width else ("", -1)
        if tabs >= 0 and plain_line(line, self.width, tabs):  # no cell holds a comma: cut at them
            parts = line.split(",")
            window, cells = ",".join(parts[4:8]).encode("utf-8"), ",".join(parts[9:]).encode("utf-8")
        else:
            every = _cells(self.codes, row)
            window, cells = encoded(every[4:8]), encoded(every[9:])
        return {"source_id": source_id, "basis": self.basis, "shown": shown, "dated": dated,
                "published": p.published, "start": p.start, "last_day": p.last_day, "window_cells": window,
                "value_cells": cells}


def export_rows_meta() -> list[tuple[str, str]]:
    from credit.domain.export_rows import RECORD_META

    return RECORD_META


def prepare(engine: Engine, types: list[RecordType], progress: Callable[[int], None] | None = None,
            chunk: int = CHUNK) -> int:
    """Store the decisions current versions of the types lack under today's basis, ``chunk`` versions a
    transaction (resumable, safe beside other work); decisions under other bases are dropped. Returns
    how many were stored. A type whose versions were all offered a decision under this basis
    (``ExportDecisionMark``: nothing newer than the mark) is not searched again."""
    from credit.domain.export_rows import RecordRows

    at_basis, made = basis(), 0
    table: Table = ExportDecision.__table__  # type: ignore[assignment]
    with transaction(engine) as session:
        session.execute(delete(ExportDecision).where(ExportDecision.basis != at_basis))
        session.execute(delete(ExportDecisionMark).where(ExportDecisionMark.basis != at_basis))
    s, d, mk = SourceRecord, ExportDecision, ExportDecisionMark
    for rt in types:
        plan = TypePlan(rt, GOVERNMENT, date.today())  # the date plays no part in a standing or the values
        if not storable(plan):
            continue
        with transaction(engine) as session:
            top = session.scalar(select(func.max(s.id)).where(s.department == rt.department, s.record_type == rt.name))
            mark = session.scalar(select(mk.through).where(mk.basis == at_basis, mk.department == rt.department,
                                                           mk.record_type == rt.name))
        if top is None or (mark is not None and top <= mark):
            continue
        decide = Decider(plan, at_basis)
        stmt = (select(s.id, s.record_id, s.version, RecordRows.fields_column(engine))
                .outerjoin(d, and_(d.source_id == s.id, d.basis == at_basis))
                .where(_current(s, rt), d.source_id.is_(None)).order_by(s.record_id))
        after = None
        while True:
            with transaction(engine) as session:
                part = stmt if after is None else stmt.where(s.record_id > after)
                rows = session.execute(part.limit(chunk)).all()
                if not rows:
                    break
                made_now = [m for sid, rid, version, fields in rows
                            if (m := decide(sid, rid, version, orjson.loads(fields))) is not None]
                conn = session.connection()
                conn.execute(delete(table).where(table.c.source_id.in_([m["source_id"] for m in made_now])))
                if made_now:
                    conn.execute(insert(table), made_now)
            after = rows[-1][1]
            made += len(made_now)
            if progress is not None:
                progress(made)
        with transaction(engine) as session:  # every version up to ``top`` has been offered a decision
            session.execute(delete(mk).where(mk.basis == at_basis, mk.department == rt.department,
                                             mk.record_type == rt.name))
            session.add(ExportDecisionMark(basis=at_basis, department=rt.department, record_type=rt.name,
                                           through=top))
    log.info("export decisions: %d stored under basis %s", made, at_basis)
    return made


# ---------------------------------------------------------------- exporting with them


class StoredLines:
    """A records export's CSV lines from stored decisions, the others decided by ``RecordRows``.

    ``batches`` (in the parent, which holds the database) yields the rows of the query below;
    ``piece`` (there or in a forked helper) turns a batch into its lines, in order."""

    def __init__(self, session: Session, spec: ExportSpec, types: list[RecordType], decider: RecordRows,
                 width: int, codes: frozenset[int], marks: Marks) -> None:
        self.session, self.spec, self.types, self.decider = session, spec, types, decider
        self.width, self.codes, self.marks = width, codes, marks
        self.basis = basis()
        self.prefixes = [encoded(_cells(codes, [0, rt.department, rt.name])[1:3]) for rt in types]
        self._marks: dict[tuple[bool, bool], bytes] = {}

    def stored(self, rt: RecordType) -> bool:
        return self.decider.shapes[(rt.department, rt.name)][0] and storable(self.decider.gate.plan(
            rt.department, rt.name, GOVERNMENT))

    def statement(self, index: int, rt: RecordType) -> Any:
        """Current, not revoked, linked versions of the type with their stored decisions (when the type
        is stored), in key order. A stored decision's date rules are ``TypePlan.on`` for a government
        viewer: seen while it exists (dated on or before the date) if its openness is shown; public now
        inside its published window; 停止公示 (``ended``) when published and not public now."""
        s, d, spec = SourceRecord, ExportDecision, self.spec
        at = literal(spec.at, type_=d.dated.type)
        regional = self.decider.prefix is not None
        cols: list[Any] = [literal(index), s.record_id, s.version, RecordLink.enterprise_id]
        stmt: Any
        if self.stored(rt):
            public_now = and_(d.published, or_(d.start.is_(None), d.start <= at),
                              or_(d.last_day.is_(None), d.last_day >= at))
            cols += [d.window_cells, d.value_cells, case((public_now, 0), (d.published, 1), else_=0),
                     case((d.source_id.is_(None), self.decider.fields_column(self.session)), else_=null())]
            keep = [d.shown, or_(d.dated.is_(None), d.dated <= at)]
            if self.decider.in_window:
                keep.append(public_now)
            if spec.date_from is not None or spec.date_to is not None:
                keep.append(d.dated.is_not(None))
                if spec.date_from is not None:
                    keep.append(d.dated >= literal(spec.date_from, type_=d.dated.type))
                if spec.date_to is not None:
                    keep.append(d.dated <= literal(spec.date_to, type_=d.dated.type))
            stmt = (select(*cols, s.uscc if regional else null(), s.taxpayer_id if regional else null(), s.id)
                    .outerjoin(d, and_(d.source_id == s.id, d.basis == self.basis))
                    .where(or_(d.source_id.is_(None), and_(*keep))))
        else:
            cols += [null(), null(), null(), self.decider.fields_column(self.session)]
            stmt = select(*cols, s.uscc if regional else null(), s.taxpayer_id if regional else null(), s.id)
        return (stmt.select_from(s).join(RecordLink, and_(RecordLink.department == s.department,
                                                          RecordLink.record_type == s.record_type,
                                                          RecordLink.record_id == s.record_id))
                .where(_current(s, rt)).order_by(s.record_id))

    def batches(self, fetch: int) -> Iterator[list[Any]]:
        repairs = self.marks.repairs
        for index, rt in enumerate(self.types):
            for batch in _fetched(self.session, self.statement(index, rt), fetch):
                if repairs:  # decided again from its fields: a repair shortens the window
                    yield [self._repaired(row) if row[4] is not None and (rt.department, rt.name, row[1]) in repairs
                           else row for row in batch]
                else:
                    yield batch  # type: ignore[misc]

    def _repaired(self, row: Any) -> tuple[Any, ...]:
        fields = self.session.execute(select(self.decider.fields_column(self.session))
                                      .where(SourceRecord.id == row[-1])).scalar_one()
        return (*row[:4], None, None, None, fields, *row[8:])

    @staticmethod
    def heavy(batch: list[Any]) -> bool:
        """Whether a batch holds rows decided from their fields (worth a helper process)."""
        return any(row[4] is None for row in batch)

    def piece(self, batch: list[Any]) -> tuple[bytes, int, dict[str, int]]:
        """The CSV lines (UTF-8) of a batch in its order, their count, the values written in clear."""
        out: list[bytes] = []
        live: list[tuple[Any, ...]] = []
        unmasked: Counter[str] = Counter()
        types, prefixes, decider, n = self.types, self.prefixes, self.decider, 0
        successor, prefix, objections = decider.successors.get, decider.prefix, self.marks.objections
        marks_of = self._marks.get
        for index, rid, version, eid, window, cells, ended, fields, uscc, tid, _sid in batch:
            if window is None:
                rt = types[index]
                live.append((rt.department, rt.name, rid, version, fields, uscc, tid, eid))
                continue
            if live:
                n += self._live(live, out, unmasked)
            if prefix and not _division(uscc, tid).startswith(prefix):
                continue
            eid = successor(eid, eid)
            flag = (bool(objections) and (types[index].department, types[index].name, rid) in objections, ended == 1)
            marks = marks_of(flag)
            if marks is None:
                marks = self._marks[flag] = self._marks_cells(flag)
            if eid >= 0 and version >= 0:
                out.append(b"%d,%b,%d,%b,%b,%b\r\n" % (eid, prefixes[index], version, window, marks, cells))
            else:  # a sign in front: through the cell rules
                head = encoded(_cells(self.codes, [eid, "", "", version])[::3])
                first, _, second = head.partition(b",")
                out.append(b"%b,%b,%b,%b,%b,%b\r\n" % (first, prefixes[index], second, window, marks, cells))
            n += 1
        if live:
            n += self._live(live, out, unmasked)
        return b"".join(out), n, dict(unmasked)

    def _live(self, live: list[tuple[Any, ...]], out: list[bytes], unmasked: Counter[str]) -> int:
        rows = self.decider.rows(live, unmasked)
        live.clear()
        out.append(csv_text(rows, self.width, self.codes).encode("utf-8"))
        return len(rows)

    def _marks_cells(self, flag: tuple[bool, bool]) -> bytes:
        marks = ((MARK_OBJECTION,) if flag[0] else ()) + ((MARK_ENDED,) if flag[1] else ())
        return encoded(_cells(self.codes, [0] * 8 + ["；".join(marks) if marks else ""])[8:])


def _fetched(session: Session, stmt: Any, fetch: int) -> Iterator[list[Any]]:
    """The statement's rows, ``fetch`` at a time, as plain tuples, without holding them all.

    SQLite: straight from the driver's cursor, which steps through the result as it is read (ints,
    strings and bytes need no conversion; no Row object made for each of a million rows). Elsewhere a
    server-side cursor through SQLAlchemy's result (which reads its first row ahead of the driver)."""
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        cursor = conn.execute(stmt).cursor
        while batch := cursor.fetchmany(fetch):
            yield list(batch)
        return
    result = conn.execute(stmt.execution_options(stream_results=True, yield_per=fetch))
    for batch in result.partitions():
        yield [tuple(row) for row in batch]


def _division(uscc: str | None, taxpayer_id: str | None) -> str:
    from credit.domain.export_rows import _division as division

    return division(uscc, taxpayer_id)
