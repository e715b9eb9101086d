"""Personal data of one file's rows made safe for storage (credit/kernel/personal.py says what is personal).

A valid row's personal values are sealed in its normalised fields and in its raw row, its identity
columns carry pseudonyms, and its content hash is keyed; a rejected row's personal values are
masked (rejected rows go to the clerk's rejects file, never to the database). The keys are loaded
on the first row that needs them, so a file without personal data needs none.
"""

from __future__ import annotations

from typing import Any

from credit.kernel import keys as keystore
from credit.kernel.catalog import CODE_TYPES, Column, RecordType
from credit.kernel.keys import KeyStore, public_mask
from credit.kernel.personal import is_individual_code, mask_kind, plan_for, scrub
from ingest import normalize as nz
from ingest.validate import normalize_header

CODE = "code"  # a raw cell under a code column: personal when it is a 20-character taxpayer id
_INDIVIDUAL_MIN = 20


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
        self._store: KeyStore | None = None
        self._targets = None if headers is None else [h for h in headers if self.header_kind(h) is not None]

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

    def fields_personal(self, fields: dict[str, Any]) -> bool:
        """Whether normalised fields hold a personal value."""
        return not self.plan.empty and self.plan.needs_sealing(fields)

    def seal_fields(self, fields: dict[str, Any]) -> dict[str, Any]:
        """The fields with every personal value sealed."""
        return self.plan.seal(fields, self.store)

    def _personal_cells(self, values: dict[str, Any], every: bool = False) -> list[tuple[str, str]]:
        """(header, mask kind) of the raw cells that hold a personal value (``every``: look at
        every cell, not only a table's known headers)."""
        found = []
        headers = values if every or self._targets is None else self._targets
        for header in headers:
            kind = self.header_kind(header)
            value = values.get(header)
            if kind is None or nz.is_empty(value):
                continue
            if kind == CODE:
                text = value if value.__class__ is str else str(value)
                if len(text) < _INDIVIDUAL_MIN or not is_individual_code(nz.to_code(value)):
                    continue
                kind = "id_number"
            found.append((header, kind))
        return found

    def seal_raw(self, values: dict[str, Any]) -> dict[str, Any]:
        """The raw row with every personal cell sealed (the row itself when it has none)."""
        cells = self._personal_cells(values)
        if not cells:
            return values
        store = self.store
        out = dict(values)
        for header, kind in cells:
            out[header] = store.seal(out[header], kind)
        return out

    def mask_raw(self, values: dict[str, Any]) -> dict[str, Any]:
        """A rejected raw row with personal cells masked and ID-shaped text elsewhere masked too."""
        out = {k: scrub(v) if v.__class__ is str else v for k, v in values.items()}
        for header, kind in self._personal_cells(values, every=True):
            out[header] = public_mask(kind, values[header])
        return out


def scrub_errors(errors: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Rejection reasons with ID-shaped text masked (a reason may quote the value it refused)."""
    return [(column, scrub(reason)) for column, reason in errors]
