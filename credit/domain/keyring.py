"""Data key operations: create the keys, rotate them (every sealed value re-encrypted), see their use.

Rotation runs beside normal work: a new key becomes active at once (new values use it), then the
stored values are re-encrypted in small batches, each its own transaction, while every old key
stays readable. It is resumable: run it again after an interruption and it carries on with what is
left (the key file remembers the rotation under way). When a pass finds nothing left, the old keys
are marked retired; they stay in the file, because backups still need them. Re-encrypting is the
one in-place update of source records: the clear content, its content hash and every other column
stay as they were.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, Table, func, or_, select, update

from credit.domain import audit
from credit.domain.workflows import ROLE_ADMIN, Actor, require_role
from credit.kernel import keys
from credit.kernel.catalog import RecordType, load_catalog
from credit.kernel.db import transaction
from credit.kernel.keys import KeyStore, is_sealed, key_id
from credit.kernel.models import Batch, SourceRecord
from credit.kernel.personal import CODE_ROLES, PERSON_ROLE, identity_value, plan_for
from credit.kernel.rawrow import headers_of
from ingest.protect import RowProtector

log = logging.getLogger(__name__)

# every table and text column that can hold sealed values (JSON objects of column -> value, or a
# table row's raw cells as a list, credit/kernel/rawrow.py)
SEALED_COLUMNS: tuple[tuple[Table, tuple[str, ...]], ...] = ((SourceRecord.__table__, ("fields", "raw")),)  # type: ignore[assignment]
BATCH_ROWS = 500
MAX_PASSES = 3

Progress = Callable[[int, int, int], None]  # rows looked at, rows to look at, rows re-encrypted


def create_keys() -> tuple[Path, bool]:
    """Create the data keys file when there is none: (its path, whether it was created now)."""
    return keys.init_keys()


@dataclass(frozen=True)
class KeyUse:
    """One data key: its id, whether active or retired, and how many rows hold values under it."""

    id: str
    active: bool
    retired: bool
    rows: int


@dataclass(frozen=True)
class KeyStatus:
    """Where the keys come from, the keys, and a rotation under way (its target key) if any."""

    source: str
    keys: list[KeyUse]
    rotating_to: str | None


def _like_any(table: Table, columns: tuple[str, ...], kids: list[str]) -> Any:
    """Rows whose text mentions one of the key ids as a sealed value's prefix (checked exactly later)."""
    return or_(*[table.c[c].like(f"%{kid}:%") for c in columns for kid in kids])


def key_status(engine: Engine) -> KeyStatus:
    """The keys and how many rows hold values sealed under each (by a text search: approximate)."""
    store = keys.current()
    uses = []
    with engine.connect() as conn:
        for kid in store.keys:
            rows = sum(int(conn.execute(select(func.count()).select_from(table)
                                        .where(_like_any(table, cols, [kid]))).scalar_one())
                       for table, cols in SEALED_COLUMNS)
            uses.append(KeyUse(kid, kid == store.active, kid in store.retired, rows))
    return KeyStatus(store.source, uses, (store.rotation or {}).get("to"))


@dataclass
class RotationResult:
    """What a rotation did: the new key, the old ones, rows re-encrypted, and whether it is done."""

    to: str
    old: list[str]
    resumed: bool
    rows: int = 0
    values: int = 0
    passes: int = 0
    finished: bool = False
    retired: list[str] = field(default_factory=list)


def _reseal_text(store: KeyStore, text: str | None, counter: list[int]) -> str | None:
    """The JSON text with every value not under the active key re-encrypted (None: unchanged)."""
    if not text:
        return None
    data = orjson.loads(text)
    if isinstance(data, dict):
        slots: Any = data.items()
    elif isinstance(data, list):
        slots = enumerate(data)
    else:
        return None
    changed = False
    for name, value in list(slots):
        if is_sealed(value) and key_id(value) != store.active:
            data[name] = store.reseal(value)
            counter[0] += 1
            changed = True
    return orjson.dumps(data).decode() if changed else None


def _rotate_table(engine: Engine, store: KeyStore, table: Table, columns: tuple[str, ...], old: list[str],
                  batch: int, progress: Progress | None, result: RotationResult) -> int:
    """One pass over a table in id order, batch by batch; the number of rows re-encrypted."""
    where = _like_any(table, columns, old)
    with engine.connect() as conn:
        total = int(conn.execute(select(func.count()).select_from(table).where(where)).scalar_one())
    after, seen, changed, counter = 0, 0, 0, [0]
    while True:
        with transaction(engine) as session:
            rows = session.execute(select(table.c.id, *[table.c[c] for c in columns])
                                   .where(table.c.id > after, where).order_by(table.c.id).limit(batch)).all()
            for row in rows:
                new = {c: _reseal_text(store, row[i + 1], counter) for i, c in enumerate(columns)}
                new = {c: v for c, v in new.items() if v is not None}
                if new:
                    session.execute(update(table).where(table.c.id == row[0]).values(**new))
                    changed += 1
        if not rows:
            break
        after, seen = rows[-1][0], seen + len(rows)
        if progress:
            progress(seen, total, result.rows + changed)
    result.values += counter[0]
    return changed


def rotate_keys(engine: Engine, actor: Actor, *, batch: int = BATCH_ROWS,
                progress: Progress | None = None) -> RotationResult:
    """Rotate the data keys: a new active key, then every stored value re-encrypted under it; audited.

    Resumes a rotation left unfinished. Finished when a pass finds nothing left under an old key
    (values written meanwhile by a process still holding the old keys are caught by the next pass)."""
    require_role(actor, ROLE_ADMIN)
    to, old, resumed = keys.begin_rotation()
    store = keys.current()
    result = RotationResult(to, old, resumed)
    while result.passes < MAX_PASSES:
        result.passes += 1
        changed = sum(_rotate_table(engine, store, table, cols, old, batch, progress, result)
                      for table, cols in SEALED_COLUMNS)
        result.rows += changed
        if changed == 0:
            result.finished = True
            break
    if result.finished:
        result.retired = keys.finish_rotation()
    with transaction(engine) as session:
        audit.record(session, actor=str(actor), action="keys.rotate", subject=f"key:{to}",
                     details={"from": old, "resumed": resumed, "rows": result.rows, "values": result.values,
                              "finished": result.finished, "retired": result.retired})
    log.info("key rotation to %s: %d rows, %d values, finished %s", to, result.rows, result.values, result.finished)
    return result


# ---------------------------------------------------------------- values stored before encryption


@dataclass
class SealResult:
    """What sealing clear values did: rows sealed, by record type."""

    rows: int = 0
    by_type: dict[str, int] = field(default_factory=dict)


_IDENTITY = (PERSON_ROLE, *CODE_ROLES)


def _sealed_row(store: KeyStore, rtype: RecordType, protectors: dict[Any, RowProtector],
                row: Any) -> dict[str, Any] | None:
    """The new column values of one row stored in clear, or None when it holds nothing personal.
    ``protectors``: one per batch header (None: a raw row stored as an object)."""
    plan = plan_for(rtype)
    fields = orjson.loads(row.fields)
    if not plan.needs_sealing(fields):
        return None
    clear = orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)
    stored = orjson.dumps(plan.seal(fields, store), option=orjson.OPT_SORT_KEYS).decode()
    raw = orjson.loads(row.raw or "{}")
    headers = headers_of(row.raw_headers) if isinstance(raw, list) else None
    key = tuple(headers) if headers is not None and len(headers) == len(raw) else None
    protector = protectors.get(key) or protectors.setdefault(key, RowProtector(rtype, list(key) if key else None))
    if isinstance(raw, dict):
        sealed_raw = protector.seal_raw_json(raw, fields).decode()
    elif key is not None:  # a table row's cells against its batch's header (credit/kernel/rawrow.py)
        sealed_raw = protector.seal_raw_cells(raw, fields).decode()
    else:
        sealed_raw = row.raw
    new = {"fields": stored, "content_hash": store.content_hash(row.op.encode() + b"|" + clear),
           "raw": sealed_raw}
    new.update({role: identity_value(store, role, getattr(row, role)) for role in _IDENTITY})
    if row.file_format == "correction":  # its hashes were taken over the clear text
        new["file_hash"] = hashlib.sha256(f"sealed|{row.id}|{stored}".encode()).hexdigest()
    return new


def seal_clear_values(engine: Engine, actor: Actor, *, batch: int = BATCH_ROWS,
                      progress: Progress | None = None) -> SealResult:
    """Seal the personal values of records stored before encryption at rest, as ingest stores them
    now (fields, raw row, identity pseudonyms, keyed content hash); audited. Idempotent and
    resumable. Matching keys were built from the clear numbers: run a full resolve afterwards."""
    require_role(actor, ROLE_ADMIN)
    store = keys.current()
    result = SealResult()
    t: Table = SourceRecord.__table__  # type: ignore[assignment]
    b: Table = Batch.__table__  # type: ignore[assignment]
    for rtype in load_catalog():
        if plan_for(rtype).empty:
            continue
        protectors: dict[Any, RowProtector] = {}
        where = (t.c.department == rtype.department) & (t.c.record_type == rtype.name) & ~t.c.fields.like('%"$enc"%')
        query = (select(t.c.id, t.c.op, t.c.fields, t.c.raw, t.c.batch_id, b.c.file_format, b.c.raw_headers,
                        *[t.c[role] for role in _IDENTITY]).join(b, b.c.id == t.c.batch_id).where(where))
        after, seen = 0, 0
        while True:
            with transaction(engine) as session:
                rows = session.execute(query.where(t.c.id > after).order_by(t.c.id).limit(batch)).all()
                for row in rows:
                    new = _sealed_row(store, rtype, protectors, row)
                    if new is None:
                        continue
                    if "file_hash" in new:
                        session.execute(update(b).where(b.c.id == row.batch_id).values(file_hash=new["file_hash"]))
                    session.execute(update(t).where(t.c.id == row.id).values(**new))
                    result.rows += 1
                    result.by_type[f"{rtype.department}/{rtype.name}"] = result.by_type.get(
                        f"{rtype.department}/{rtype.name}", 0) + 1
            if not rows:
                break
            after, seen = rows[-1].id, seen + len(rows)
            if progress:
                progress(seen, seen, result.rows)
    with transaction(engine) as session:
        audit.record(session, actor=str(actor), action="keys.seal", subject="source_records",
                     details={"rows": result.rows, "by_type": result.by_type, "key": store.active})
    log.info("sealed the clear personal values of %d rows", result.rows)
    return result
