"""The catalog of departments and record types, loaded from catalog.yaml.

Everything that needs to know a department's columns (ingest validation, the disclosure gate,
exports, the identity view handed to matching) asks this module; nothing hard-codes columns.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from credit.kernel.errors import InvalidInput

log = logging.getLogger(__name__)

CATALOG_PATH = Path(__file__).with_name("catalog.yaml")

OPENNESS_PUBLIC = "公开"
OPENNESS_AUTHORISED = "授权查询"
OPENNESS_GOVERNMENT = "政务共享"
OPENNESS_LEVELS = (OPENNESS_PUBLIC, OPENNESS_AUTHORISED, OPENNESS_GOVERNMENT)

IDENTITY_ROLES = (
    "name", "former_names", "uscc", "reg_no", "org_code", "taxpayer_id",
    "loan_card_no", "legal_rep", "legal_rep_id", "address",
)
# Column types that hold enterprise codes. Any of them may hold, written there by a department, an
# individual business's 20-character taxpayer id: its operator's ID number plus two digits, so
# such a value is personal data like an ID number (credit/kernel/personal.py).
CODE_TYPES = frozenset({"uscc", "reg_no", "org_code", "taxpayer_id", "loan_card_no"})


class UnknownRecordType(InvalidInput, LookupError):
    """The department or record type is not in the catalog."""


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    type: str = "str"
    required: bool = False
    values: tuple[str, ...] = ()
    open: bool = False
    identity: str | None = None
    personal: bool = False
    aliases: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """Chinese header first, English key second."""
        return f"{self.zh} ({self.key})"


@dataclass(frozen=True)
class RecordType:
    department: str
    name: str
    zh: str
    department_zh: str
    openness: str
    publicity: str
    date_field: str | None
    columns: tuple[Column, ...]
    openness_by: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def key(self) -> tuple[str, str]:
        return (self.department, self.name)

    @property
    def label(self) -> str:
        return f"{self.department_zh}·{self.zh} ({self.department}/{self.name})"

    def column(self, key: str) -> Column:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(key)

    @property
    def identity_columns(self) -> dict[str, str]:
        """Identity role -> column key."""
        return {c.identity: c.key for c in self.columns if c.identity}

    @property
    def personal_keys(self) -> frozenset[str]:
        """Columns whose every value is personal data (masked in public, encrypted at rest)."""
        return frozenset(c.key for c in self.columns if c.personal)

    @property
    def code_keys(self) -> tuple[str, ...]:
        """Code columns: a 20-character value in one of them is personal too (see CODE_TYPES)."""
        return tuple(c.key for c in self.columns if c.type in CODE_TYPES)

    def openness_of(self, fields: dict[str, Any]) -> str:
        """The openness of one record, which may depend on one of its values (a tax grade)."""
        if self.openness_by:
            value = fields.get(self.openness_by["field"])
            return self.openness_by["values"].get(value, self.openness)
        return self.openness


@dataclass(frozen=True)
class Catalog:
    types: dict[tuple[str, str], RecordType]
    departments: dict[str, str]

    def get(self, department: str, record_type: str) -> RecordType:
        try:
            return self.types[(department, record_type)]
        except KeyError:
            known = ", ".join(f"{d}/{t}" for d, t in self.types)
            raise UnknownRecordType(
                f"unknown department/type {department}/{record_type}; known: {known}"
            ) from None

    def __iter__(self) -> Iterator[RecordType]:
        return iter(self.types.values())


def _column(raw: dict[str, Any]) -> Column:
    return Column(
        key=raw["key"], zh=raw["zh"], type=raw.get("type", "str"),
        required=bool(raw.get("required", False)), values=tuple(raw.get("values", ())),
        open=bool(raw.get("open", False)), identity=raw.get("identity"),
        personal=bool(raw.get("personal", False)), aliases=tuple(raw.get("aliases", ())),
    )


def parse_catalog(data: dict[str, Any]) -> Catalog:
    """Build a Catalog from its YAML data, checking what later code relies on."""
    common = tuple(_column(c) for c in data["common_columns"])
    types: dict[tuple[str, str], RecordType] = {}
    departments: dict[str, str] = {}
    for dept, ddata in data["departments"].items():
        departments[dept] = ddata["zh"]
        for tname, tdata in ddata["types"].items():
            cols = common + tuple(_column(c) for c in tdata["columns"])
            rt = RecordType(
                department=dept, name=tname, zh=tdata["zh"], department_zh=ddata["zh"],
                openness=tdata["openness"], publicity=tdata["publicity"],
                date_field=tdata.get("date_field"), columns=cols,
                openness_by=tdata.get("openness_by") or {},
            )
            _check(rt)
            types[(dept, tname)] = rt
    return Catalog(types=types, departments=departments)


def _check(rt: RecordType) -> None:
    keys = [c.key for c in rt.columns]
    if len(keys) != len(set(keys)):
        raise ValueError(f"{rt.label}: duplicate column keys")
    if rt.openness not in OPENNESS_LEVELS:
        raise ValueError(f"{rt.label}: unknown openness {rt.openness}")
    for col in rt.columns:
        if col.identity and col.identity not in IDENTITY_ROLES:
            raise ValueError(f"{rt.label}: unknown identity role {col.identity}")
    if rt.date_field and rt.date_field not in keys:
        raise ValueError(f"{rt.label}: date_field {rt.date_field} is not a column")


@lru_cache(maxsize=1)
def load_catalog(path: str | None = None) -> Catalog:
    """The catalog, read once per process."""
    with open(path or CATALOG_PATH, encoding="utf-8") as fh:
        return parse_catalog(yaml.safe_load(fh))
