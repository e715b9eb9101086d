"""The personal values of department files, as written and as normalised, to look for in stored bytes."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from credit.kernel.catalog import load_catalog
from credit.kernel.identifiers import clean_code, to_halfwidth
from credit.kernel.personal import is_individual_code
from ingest import normalize as nz
from ingest.protect import CODE, RowProtector
from ingest.readers import FileError, open_rows


def file_personal_values(path: Path, department: str, record_type: str) -> set[str]:
    """Every personal value of one file: ID-number cells and 20-character taxpayer ids, as written,
    half-width, and cleaned (the forms that could land in storage)."""
    protector = RowProtector(load_catalog().get(department, record_type))
    found: set[str] = set()
    try:
        source = open_rows(path, department=department, record_type=record_type)
    except FileError:
        return found
    with source:
        for row in source:
            for header, value in row.values.items():
                kind = protector.header_kind(header) if isinstance(header, str) else None
                if kind is None or nz.is_empty(value):
                    continue
                code = nz.to_code(value)
                if kind == CODE and not is_individual_code(code):
                    continue
                found |= {str(value).strip(), to_halfwidth(str(value)).strip(), clean_code(str(value)), code or ""}
    return {v for v in found if len(v) >= 15}


def personal_values(files: Iterable[tuple[Path, str, str]]) -> set[str]:
    """The personal values of several files."""
    out: set[str] = set()
    for path, department, record_type in files:
        out |= file_personal_values(path, department, record_type)
    return out


def clear_values_in(blob: bytes, values: Iterable[str]) -> list[str]:
    """The values found in clear in some bytes (UTF-8, and GB18030 for good measure)."""
    hits = []
    for value in values:
        if value.encode("utf-8") in blob or value.encode("gb18030") in blob:
            hits.append(value)
    return sorted(hits)
