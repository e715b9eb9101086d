"""Does a file fit the record type it was uploaded as? Checked from its columns, before any row.

A clerk who picks the wrong type in the upload form would otherwise store a tax credit-rating
file as 重大税收违法失信案件 and publish it. So the header of a CSV or XLSX, or the keys of the first
records of a JSON, NDJSON or XML file, are compared with every type in the catalog:

- the declared type *needs looking at* when the file lacks one of its required or identifying
  columns, or holds none of its own content columns (those that are neither identifiers nor the
  common 记录编号 / 操作类型);
- another type *fits better* when it understands strictly more of the file's columns than the
  declared type does and none of its required columns is missing.

Both together refuse the file (``WrongType``, nothing stored), naming the type it looks like.
Types with the same columns (commerce/penalty, quality/penalty, public_security/fire_penalty)
can never fit better than one another, so nothing is refused between them; a file that merely
lacks an optional identifier, or carries extra unknown columns, loads as before (unknown columns
are a warning).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from credit.kernel.catalog import Catalog, Column, RecordType, load_catalog
from ingest.validate import HeaderError, normalize_header

log = logging.getLogger(__name__)

COMMON_KEYS = frozenset({"record_id", "op"})
SAMPLE_RECORDS = 50  # JSON / NDJSON / XML: keys of this many first records stand for the header
PER_RECORD_FORMATS = ("json", "ndjson", "xml")


class WrongType(HeaderError):
    """The file's columns are those of another record type than the one it was uploaded as."""

    def __init__(self, message: str, declared: str = "", looks_like: tuple[str, ...] = ()) -> None:
        super().__init__(message, declared, looks_like)
        self.declared, self.looks_like = declared, looks_like

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class Fit:
    """How one record type reads a file's columns."""

    rtype: RecordType
    known: frozenset[str]  # the type's column keys the file has (common columns excluded)
    missing_required: tuple[Column, ...]
    missing_identity: tuple[Column, ...]
    has_content: bool  # at least one content column of the type, or the type has none

    @property
    def needs_looking_at(self) -> bool:
        return bool(self.missing_required or self.missing_identity or not self.has_content)


def _lookup(rtype: RecordType) -> dict[str, str]:
    out: dict[str, str] = {}
    for col in rtype.columns:
        for name in (col.zh, col.key, *col.aliases):
            out.setdefault(normalize_header(name), col.key)
    return out


def _lookups(catalog: Catalog) -> list[tuple[RecordType, dict[str, str]]]:
    """Every type's header lookup (a few hundred names: computed per file, not cached)."""
    return [(rt, _lookup(rt)) for rt in catalog]


def fit_of(rtype: RecordType, names: Iterable[str], lookup: dict[str, str] | None = None) -> Fit:
    """How ``rtype`` reads a file whose columns are ``names`` (as written)."""
    lookup = lookup if lookup is not None else _lookup(rtype)
    keys = {lookup[n] for n in (normalize_header(x) for x in names) if n in lookup}
    own = [c for c in rtype.columns if c.key not in COMMON_KEYS]
    content = [c for c in own if not c.identity]
    return Fit(
        rtype=rtype, known=frozenset(keys - COMMON_KEYS),
        missing_required=tuple(c for c in own if c.required and c.key not in keys),
        missing_identity=tuple(c for c in own if c.identity and c.key not in keys),
        has_content=not content or any(c.key in keys for c in content),
    )


def better_fits(rtype: RecordType, names: Iterable[str], catalog: Catalog | None = None) -> list[Fit]:
    """The types that fit the file better than ``rtype`` (best first); empty when ``rtype`` fits."""
    names = list(names)
    catalog = catalog or load_catalog()
    declared = fit_of(rtype, names)
    if not declared.needs_looking_at:
        return []
    others = [fit_of(rt, names, lookup) for rt, lookup in _lookups(catalog) if rt.key != rtype.key]
    better = [f for f in others if len(f.known) > len(declared.known) and not f.missing_required]
    if not better:
        return []
    top = max(len(f.known) for f in better)
    best = [f for f in better if len(f.known) == top]
    best.sort(key=lambda f: (len(f.missing_identity), f.rtype.department != rtype.department))
    return best


def check_fit(rtype: RecordType, names: Iterable[str], catalog: Catalog | None = None) -> None:
    """Raise WrongType when the columns ``names`` fit another record type better than ``rtype``."""
    names = [n for n in names if n and not str(n).startswith("_")]
    best = better_fits(rtype, names, catalog)
    if best:
        raise WrongType(_message(rtype, names, best), f"{rtype.department}/{rtype.name}",
                        tuple(f"{f.rtype.department}/{f.rtype.name}" for f in best))


def _message(rtype: RecordType, names: list[str], best: list[Fit]) -> str:
    declared = fit_of(rtype, names)
    shown = best[:3]
    codes = "、".join(f"{f.rtype.department}/{f.rtype.name}" for f in shown)
    labels = "、".join(f.rtype.zh for f in shown)
    lacking = declared.missing_required + declared.missing_identity
    if lacking:
        zh, en = "缺少", "missing"
    else:
        zh, en = "没有任何一列", "none of"
        lacking = tuple(c for c in rtype.columns if c.key not in COMMON_KEYS and not c.identity)
    this = f"{rtype.department}/{rtype.name}"
    return (f"此文件的列与 {codes} 相符，而非 {this}（{labels}，而非{rtype.zh}；{zh}：{'、'.join(c.zh for c in lacking)}）；"
            f"未存储任何记录，请按正确的类型上传 / the file's columns fit {codes}, not {this} "
            f"({en} {', '.join(c.key for c in lacking)}); nothing was stored: upload it under the type it is")


def header_test(rtype: RecordType, catalog: Catalog | None = None) -> Any:
    """A header-row test for the readers: two or more cells that are columns of the declared type or
    of any other type in the catalog (so a file of the wrong type still has its header found, and
    is then refused by name, rather than failing with "no header row")."""
    catalog = catalog or load_catalog()
    known = set(_lookup(rtype))
    for _rt, lookup in _lookups(catalog):
        known.update(lookup)

    def is_header(cells: list[str]) -> bool:
        return sum(1 for c in cells if c and normalize_header(c) in known) >= 2

    return is_header


def checked_rows(source: Any, rtype: RecordType, catalog: Catalog | None = None) -> Iterator[Any]:
    """The rows of an open source, after its columns were checked against ``rtype`` (WrongType).

    A table's header is checked at once; for JSON, NDJSON and XML the keys of the first
    ``SAMPLE_RECORDS`` records are read ahead, checked, and handed on with the rest.
    """
    if source.format not in PER_RECORD_FORMATS:
        check_fit(rtype, source.headers, catalog)
        return iter(source)
    head = list(itertools.islice(source, SAMPLE_RECORDS))
    keys: dict[str, None] = {}
    for raw in head:
        keys.update(dict.fromkeys(raw.values))
    keys.pop("__invalid__", None)
    if keys:
        check_fit(rtype, keys, catalog)
    return itertools.chain(head, source)
