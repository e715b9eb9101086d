"""A stored raw row (``source_records.raw``) read back as the dict of header -> cell it was read as.

A table file's row (CSV, XLSX) whose cells fill exactly the file's header is stored as a JSON
list of its cells, in header order; the header itself is stored once, with the batch
(``batches.raw_headers``, a JSON list). Repeating the Chinese headers in every row cost about
400 bytes a row, a quarter of what a row takes at rest, written twice (WAL, then the database).
Any other row is a JSON object of header -> cell, as every row was before migration 0003: a table
row with cells beyond the header (``_extra_N``), a JSON, NDJSON or XML record, a correction.

Cells are as stored: a personal value sealed, or ``{"$same": field key}`` (see docs/security.md).
"""

from __future__ import annotations

from typing import Any

import orjson


def headers_of(raw_headers: str | bytes | list[str] | None) -> list[str] | None:
    """A batch's header list from ``batches.raw_headers`` (None: its rows are all objects)."""
    if raw_headers is None or isinstance(raw_headers, list):
        return raw_headers
    found = orjson.loads(raw_headers)
    return found if isinstance(found, list) else None


def raw_values(raw: str | bytes | dict[str, Any] | list[Any] | None,
               raw_headers: str | bytes | list[str] | None) -> dict[str, Any]:
    """The raw row as a dict of header -> cell, whichever form it is stored in.

    ``raw``: the stored JSON (or its decoded value); ``raw_headers``: the batch's header list (or
    its JSON). A list row of a batch without headers (which ingest never writes) is keyed
    ``_column_N``, so that nothing of it is lost."""
    value = orjson.loads(raw) if isinstance(raw, (str, bytes)) else raw
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    if not isinstance(value, list):
        return {"_value": value}
    headers = headers_of(raw_headers) or []
    out = dict(zip(headers, value))
    for n in range(len(headers), len(value)):
        out[f"_column_{n + 1}"] = value[n]
    return out
