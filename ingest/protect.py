"""Personal data of one file's rows made safe for storage (credit/kernel/personal.py says what is personal).

A valid row's personal values are sealed in its normalised fields and in its raw row, its identity
columns carry pseudonyms, and its content hash is keyed; a rejected row's personal values are
masked (rejected rows go to the clerk's rejects file, never to the database). The keys are loaded
on the first row that needs them, so a file without personal data needs none.

This is ingest's hot path. An ID number recurs across an enterprise's records, so everything
derived from one value (its sealed form, the JSON bytes before and after sealing, its pseudonym) is
memoised, and the row's JSON is dumped once and the sealed value spliced into the bytes.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from credit.kernel import keys as keystore
from credit.kernel.catalog import CODE_TYPES, Column, RecordType
from credit.kernel.keys import KeyStore, person_pseudonym, public_mask
from credit.kernel.personal import (
    PERSON_POS,
    identity_needs_keys,
    is_individual_code,
    mask_kind,
    plan_for,
    protect_identity,
    scrub,
)
from ingest import normalize as nz
from ingest.validate import normalize_header

CODE = "code"  # a raw cell under a code column: personal when it is a 20-character taxpayer id
SAME = "$same"  # a raw cell that is exactly its normalised value: {"$same": field key}, sealed there
_INDIVIDUAL_MIN = 20
_MEMO_LIMIT = 1 << 16
_SORTED = orjson.OPT_SORT_KEYS
Splice = tuple[bytes, bytes] | None  # (bytes of "key":clear, bytes of "key":sealed), None: nothing to seal


class RowProtector:
    """Seals, pseudonymises and masks the rows of one record type (one per file being read)."""

    def __init__(self, rtype: RecordType, headers: list[str] | None = None) -> None:
        """``headers``: a table's header (every row has these keys); None for JSON/XML records."""
        self.rtype = rtype
        self.plan = plan_for(rtype)
        self._lookup: dict[str, Column] = {}
        for col in rtype.columns:
            for name in (col.zh, col.key, *col.aliases):
                self._lookup.setdefault(normalize_header(name), col)
        self._kinds: dict[str, str | None] = {}
        self._columns: dict[str, str | None] = {}  # raw header -> column key
        self._refs: dict[str, dict[str, str]] = {}
        self._raw_sealed: dict[tuple[type, Any], dict[str, str]] = {}
        self._store: KeyStore | None = None
        self._targets = None if headers is None else [h for h in headers if self.header_kind(h) is not None]
        self._raw_personal = [(h, k) for h in self._targets or () if (k := self.header_kind(h)) not in (None, CODE)]
        self._raw_codes = [h for h in self._targets or () if self.header_kind(h) == CODE]
        # the same by position, for a table row given as its cells (``seal_raw_cells``)
        where = {h: i for i, h in enumerate(headers or ())}
        self._cell_personal = [(where[h], h, k) for h, k in self._raw_personal]
        self._cell_codes = [(where[h], h) for h in self._raw_codes]
        self._splices: dict[str, dict[Any, Splice]] = {}
        self._pseudonyms: dict[Any, str | None] = {}
        # the fast path handles one personal column (every type of the catalog has at most one)
        self._person = self.plan.personal[0] if len(self.plan.personal) == 1 else None

    @property
    def store(self) -> KeyStore:
        """The data keys (loaded once, on first need; KeysMissing when there are none)."""
        if self._store is None:
            self._store = keystore.current()
        return self._store

    def header_kind(self, header: str) -> str | None:
        """A raw header's mask kind when its column is personal, CODE for a code column, else None."""
        kind = self._kinds.get(header, "")
        if kind == "":
            col = self._lookup.get(normalize_header(header)) if header.__class__ is str else None
            if col is None:
                kind = None
            elif col.personal:
                kind = mask_kind(col)
            else:
                kind = CODE if col.type in CODE_TYPES else None
            self._kinds[header] = kind
        return kind

    # ------------------------------------------------------------ valid rows

    def protect(self, op: str, fields: dict[str, Any], identity: tuple[Any, ...],
                values: dict[str, Any] | None, cells: list[Any] | None = None,
                ) -> tuple[str, bytes, bytes, tuple[Any, ...]]:
        """(content hash, fields JSON, raw JSON, identity) of a valid row, as stored (JSON as UTF-8).

        The raw row is ``cells`` when given (a table row with exactly the header's cells: stored
        as a list, credit/kernel/rawrow.py), else ``values``."""
        head = op.encode() + b"|"
        clear = orjson.dumps(fields, option=_SORTED)
        individual = False
        for key in self.plan.codes:
            code = fields.get(key)
            if code.__class__ is str and len(code) == _INDIVIDUAL_MIN:
                individual = True
                break
        person = self._person
        value = fields.get(person[0]) if person is not None else None
        if individual or (person is None and self.plan.needs_sealing(fields)):
            store = self.store
            chash = store.content_hash(head + clear)
            stored = orjson.dumps(self.plan.seal(fields, store), option=_SORTED)
            identity = protect_identity(store, identity) if identity_needs_keys(identity) else identity
        elif value is not None and value != "":
            chash = self.store.content_hash(head + clear)
            stored = self._splice_fields(clear, fields, person)  # type: ignore[arg-type]
            identity = self._person_identity(identity)
        else:
            chash, stored = hashlib.blake2b(head + clear, digest_size=16).hexdigest(), clear
            if identity[PERSON_POS]:  # an identity column from elsewhere (not the case in the catalog)
                identity = protect_identity(self.store, identity)
        sealed_fields = fields if stored is not clear else None
        if cells is not None:
            return chash, stored, self.seal_raw_cells(cells, sealed_fields), identity
        return chash, stored, self.seal_raw_json(values or {}, sealed_fields), identity

    def _splice_fields(self, clear: bytes, fields: dict[str, Any], person: tuple[str, str]) -> bytes:
        key, kind = person
        splice = self._splice(key, fields[key], kind)
        if splice is not None:
            stored = clear.replace(splice[0], splice[1], 1)
            if len(stored) != len(clear):
                return stored
        return orjson.dumps(self.plan.seal(fields, self.store), option=_SORTED)  # not found as expected

    def _splice(self, key: str, value: Any, kind: str) -> Splice:
        """The memoised bytes that replace a clear value by its sealed form in the fields' JSON."""
        memo = self._splices.get(key)
        if memo is None:
            memo = self._splices[key] = {}
        try:
            return memo[value]
        except KeyError:
            pass
        except TypeError:  # an unhashable value: no memo
            return self._make_splice(key, value, kind)
        splice = memo[value] = self._make_splice(key, value, kind)
        if len(memo) >= _MEMO_LIMIT:
            memo.clear()
        return splice

    def _make_splice(self, key: str, value: Any, kind: str) -> Splice:
        if nz.is_empty(value):
            return None
        key_json = orjson.dumps(key)
        return key_json + b":" + orjson.dumps(value, default=str), key_json + b":" + orjson.dumps(self.store.seal(value, kind))

    def _person_identity(self, identity: tuple[Any, ...]) -> tuple[Any, ...]:
        value = identity[PERSON_POS]
        if not value:
            return identity
        found = self._pseudonyms.get(value, "")
        if found == "":
            found = person_pseudonym(self.store, value)
            if len(self._pseudonyms) >= _MEMO_LIMIT:
                self._pseudonyms.clear()
            self._pseudonyms[value] = found
        return identity[:PERSON_POS] + (found,) + identity[PERSON_POS + 1:]

    def seal_raw_json(self, values: dict[str, Any], fields: dict[str, Any] | None = None) -> bytes:
        """The raw row's JSON (UTF-8) with every personal cell sealed, or, when the cell is exactly
        its normalised value (in ``fields``, sealed there), a reference to that field. The row's
        dict is changed in place: it is this row's own, and nothing reads it after."""
        if self._targets is not None:  # a table: its personal and code headers are known
            for header, kind in self._raw_personal:
                value = values.get(header)
                if value is not None and value != "":
                    self._seal_cell(values, header, header, value, kind, fields)
            for header in self._raw_codes:
                value = values.get(header)
                if value is not None and _individual(value):
                    self._seal_cell(values, header, header, value, "id_number", fields)
        else:
            for header, kind in self._personal_cells(values):
                self._seal_cell(values, header, header, values[header], kind, fields)
        return orjson.dumps(values, default=str)

    def seal_raw_cells(self, cells: list[Any], fields: dict[str, Any] | None = None) -> bytes:
        """``seal_raw_json`` of a table row given as its cells in header order: a JSON list (the
        batch keeps the header). The list is changed in place, as the dict there."""
        for i, header, kind in self._cell_personal:
            value = cells[i]
            if value is not None and value != "":
                self._seal_cell(cells, i, header, value, kind, fields)
        for i, header in self._cell_codes:
            value = cells[i]
            if value is None or (value.__class__ is str and len(value) < _INDIVIDUAL_MIN):
                continue  # most code cells: too short to be a 20-character taxpayer id
            if _individual(value):
                self._seal_cell(cells, i, header, value, "id_number", fields)
        return orjson.dumps(cells, default=str)

    def _column_key(self, header: str) -> str | None:
        key = self._columns.get(header, "")
        if key == "":
            col = self._lookup.get(normalize_header(header)) if header.__class__ is str else None
            key = self._columns[header] = col.key if col is not None else None
        return key

    def _seal_cell(self, row: Any, slot: Any, header: str, value: Any, kind: str,
                   fields: dict[str, Any] | None) -> None:
        """Seal ``row[slot]`` (the cell under ``header``), or make it a reference to its field."""
        key = self._column_key(header) if fields is not None else None
        if key is not None and value.__class__ is str and fields.get(key) == value:  # type: ignore[union-attr]
            row[slot] = self._refs.get(key) or self._refs.setdefault(key, {SAME: key})
            return
        memo = self._raw_sealed
        memo_key: tuple[type, Any] | None = (value.__class__, value)
        try:
            sealed = memo.get(memo_key)  # type: ignore[arg-type]
        except TypeError:  # unhashable (a JSON list)
            sealed, memo_key = None, None
        if sealed is None:
            if nz.is_empty(value):
                return
            sealed = self.store.seal(value, "")  # a raw row is never shown: no mask
            if memo_key is not None:
                if len(memo) >= _MEMO_LIMIT:
                    memo.clear()
                memo[memo_key] = sealed
        row[slot] = sealed

    def _personal_cells(self, values: dict[str, Any], every: bool = False) -> list[tuple[str, str]]:
        """(header, mask kind) of the raw cells that hold a personal value (``every``: look at
        every cell, not only a table's known headers)."""
        found = []
        headers = values if every or self._targets is None else self._targets
        for header in headers:
            value = values.get(header)
            if value is None or value == "":
                continue
            kind = self.header_kind(header)
            if kind is None:
                continue
            if kind == CODE:
                text = value if value.__class__ is str else str(value)
                if len(text) < _INDIVIDUAL_MIN or not is_individual_code(nz.to_code(value)):
                    continue
                kind = "id_number"
            elif nz.is_empty(value):
                continue
            found.append((header, kind))
        return found

    # ------------------------------------------------------------ rejected rows

    def mask_raw(self, values: dict[str, Any]) -> dict[str, Any]:
        """A rejected raw row with personal cells masked and ID-shaped text elsewhere masked too."""
        out = {k: scrub(v) if v.__class__ is str else v for k, v in values.items()}
        for header, kind in self._personal_cells(values, every=True):
            out[header] = public_mask(kind, values[header])
        return out


def _individual(value: Any) -> bool:
    """Whether a code cell holds a 20-character taxpayer id (an individual's: personal)."""
    return len(value if value.__class__ is str else str(value)) >= _INDIVIDUAL_MIN \
        and is_individual_code(nz.to_code(value))


def scrub_errors(errors: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Rejection reasons with ID-shaped text masked (a reason may quote the value it refused)."""
    return [(column, scrub(reason)) for column, reason in errors]
