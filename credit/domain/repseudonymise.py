"""Recompute the stored pseudonyms of ID numbers after the pseudonym rule changed.

A pseudonym (``credit.kernel.keys.KeyStore.pseudonym``) is 17 digits of HMAC and a check
character. Since 2026-12-02 the check character holds only when the ID number's own does (a
mistyped number's pseudonym fails its check, and matching takes it as evidence, not as a person
for certain); databases ingested before hold valid-looking pseudonyms for such numbers in their
identity columns (the representative's or operator's ID number, the ID-number part of a
20-character taxpayer id). ``repseudonymise`` rewrites those columns from the sealed clear values
of each record's fields, in batches (each its own transaction, resumable: a rewritten row is
left as it is), rebuilds the search index (its codes hold pseudonyms too) and is audited; a full
resolve afterwards rebuilds the matching keys (``python -m credit keys repseudonymise`` runs it).
Only numbers that fail their check get another pseudonym, so on most databases few rows change.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Engine, Table, func, or_, select, update

from credit.domain import audit, search_index
from credit.domain.workflows import ROLE_ADMIN, Actor, require_role
from credit.kernel import keys
from credit.kernel.db import transaction
from credit.kernel.identifiers import clean_code
from credit.kernel.keys import KeyStore, is_sealed, person_shaped
from credit.kernel.models import SourceRecord
from credit.kernel.personal import CODE_ROLES, PERSON_ROLE

log = logging.getLogger(__name__)

BATCH_ROWS = 500
_ROLES = (PERSON_ROLE, *CODE_ROLES)
INDIVIDUAL_LENGTH = 20

Progress = Callable[[int, int, int], None]  # rows looked at, rows to look at, rows rewritten


@dataclass
class RepseudonymResult:
    """Rows looked at and rewritten, identity values changed, enterprises re-indexed for search."""

    rows: int = 0
    changed_rows: int = 0
    values: int = 0
    indexed: int = 0


def _pseudonyms(store: KeyStore, fields: dict[str, Any]) -> dict[str, str]:
    """HMAC body (17 digits) -> today's pseudonym, for every ID number among the record's values
    (an 18-character number, or the first 18 characters of a 20-character taxpayer id)."""
    out: dict[str, str] = {}
    for value in fields.values():
        if value is None or value == "":
            continue
        clear = store.open(value) if is_sealed(value) else value
        if clear.__class__ not in (str, int):
            continue
        code = clean_code(str(clear))
        number = code[:18] if len(code) == INDIVIDUAL_LENGTH else code
        if person_shaped(number):
            pseudonym = store.pseudonym(number)
            out[pseudonym[:17]] = pseudonym
    return out


def renamed(store: KeyStore, fields: dict[str, Any], identity: dict[str, Any]) -> dict[str, str]:
    """The identity columns whose stored pseudonym differs from today's rule (role -> new value)."""
    found: dict[str, str] | None = None
    out: dict[str, str] = {}
    for role, value in identity.items():
        if value.__class__ is not str or len(value) not in (18, INDIVIDUAL_LENGTH) or not value[:17].isdigit():
            continue
        if role != PERSON_ROLE and len(value) != INDIVIDUAL_LENGTH:
            continue  # a code column holds a pseudonym only inside a 20-character taxpayer id
        if found is None:
            found = _pseudonyms(store, fields)
        pseudonym = found.get(value[:17])
        if pseudonym is None:
            continue  # not one of this record's numbers: a value stored in clear, or a code
        new = pseudonym + value[18:] if len(value) == INDIVIDUAL_LENGTH else pseudonym
        if new != value:
            out[role] = new
    return out


def repseudonymise(engine: Engine, actor: Actor, *, batch: int = BATCH_ROWS,
                   progress: Progress | None = None) -> RepseudonymResult:
    """Rewrite every stored pseudonym made under the former rule, then rebuild the search index;
    audited. Run a full resolve afterwards (the matching keys hold the pseudonyms too)."""
    require_role(actor, ROLE_ADMIN)
    store = keys.current()
    t: Table = SourceRecord.__table__  # type: ignore[assignment]
    where = or_(t.c[PERSON_ROLE].isnot(None), *[func.length(t.c[r]) == INDIVIDUAL_LENGTH for r in CODE_ROLES])
    with engine.connect() as conn:
        total = int(conn.execute(select(func.count()).select_from(t).where(where)).scalar_one())
    result = RepseudonymResult()
    after = 0
    while True:
        with transaction(engine) as session:
            rows = session.execute(select(t.c.id, t.c.fields, *[t.c[r] for r in _ROLES])
                                   .where(t.c.id > after, where).order_by(t.c.id).limit(batch)).all()
            for row in rows:
                fields = orjson.loads(row.fields or "{}")
                new = renamed(store, fields if isinstance(fields, dict) else {},
                              {role: getattr(row, role) for role in _ROLES})
                if new:
                    session.execute(update(t).where(t.c.id == row.id).values(**new))
                    result.changed_rows += 1
                    result.values += len(new)
        if not rows:
            break
        after, result.rows = rows[-1].id, result.rows + len(rows)
        if progress:
            progress(result.rows, total, result.changed_rows)
    with transaction(engine) as session:
        result.indexed = search_index.rebuild(session)
        audit.record(session, actor=str(actor), action="keys.repseudonymise", subject="source_records",
                     details={"rows": result.rows, "changed_rows": result.changed_rows, "values": result.values,
                              "indexed": result.indexed})
    log.info("repseudonymised %d values in %d of %d rows; %d enterprises re-indexed",
             result.values, result.changed_rows, result.rows, result.indexed)
    return result
