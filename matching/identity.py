"""The identity view: the few columns of a source record that matching sees, and what is derived.

``IdentityRecord`` is the view as stored (names, codes, legal representative, address).
``Profile`` is what comparisons use: parsed names, codes gathered by shape, region, branch part.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Sequence

from credit.identifiers import to_halfwidth
from matching import regions
from matching.codes import Codes, collect
from matching.names import ParsedName, parse

Key = tuple[str, str, str]  # department, record_type, record_id

_FORMER_SEP = re.compile(r"[；;]")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class IdentityRecord:
    """The identity columns of the version of one source record that matching uses."""

    key: Key
    name: str = ""
    former_names: tuple[str, ...] = ()
    uscc: str = ""
    reg_no: str = ""
    org_code: str = ""
    taxpayer_id: str = ""
    loan_card_no: str = ""
    legal_rep: str = ""
    address: str = ""
    source_id: int = 0

    @classmethod
    def from_row(cls, key: Key, row: dict[str, object], source_id: int = 0) -> "IdentityRecord":
        """Build from a mapping with the source_records identity column names."""
        def s(col: str) -> str:
            value = row.get(col)
            return str(value).strip() if value is not None else ""
        former = tuple(n.strip() for n in _FORMER_SEP.split(s("former_names")) if n.strip())
        return cls(key, s("name"), former, s("uscc"), s("reg_no"), s("org_code"), s("taxpayer_id"),
                   s("loan_card_no"), s("legal_rep"), s("address"), source_id)


def key_str(key: Key) -> str:
    """``department/type/record_id``: how a record is named to people (review queue, judge)."""
    return "/".join(key)


def parse_key(text: str) -> Key:
    """The inverse of ``key_str``; the record id may itself contain slashes."""
    parts = text.split("/", 2)
    if len(parts) != 3 or not all(parts):
        raise ValueError(f"not a record key department/type/record_id: {text!r}")
    return parts[0], parts[1], parts[2]


@dataclass
class Profile:
    """Everything comparisons need about one record, computed once."""

    key: Key
    names: tuple[ParsedName, ...]
    codes: Codes
    rep: str
    address: str
    district: str
    region: str | None
    name_region: str | None
    addr_region: str | None
    individual: bool
    branch: str | None  # None: no name; "" head office or sole; else the branch part
    summary: str = field(default="", repr=False)

    @property
    def core(self) -> str:
        return self.names[0].core if self.names else ""


def _clean_text(value: str) -> str:
    return _SPACE.sub("", to_halfwidth(value)).replace("（", "(").replace("）", ")")


def profile(rec: IdentityRecord) -> Profile:
    """Derive the comparison profile of one identity record."""
    names = tuple(parse(n) for n in (rec.name, *rec.former_names) if n and n.strip())
    codes = collect((rec.uscc, rec.org_code, rec.taxpayer_id, rec.reg_no, rec.loan_card_no))
    address = _clean_text(rec.address)
    addr_region, district = regions.address_region(address) if address else (None, "")
    name_region = _name_region(names[0]) if names else None
    division = codes.division or next((c[:4] + "00" for c in sorted(codes.loan_cards)), "")
    div_region = regions.division_region(division) if division else None
    individual = bool(codes.tax20) or any(u.startswith("92") for u in codes.usccs) or bool(
        names and names[0].individual)
    branch = names[0].branch if names else None
    summary = " ".join(x for x in (rec.name, rec.uscc or rec.org_code or rec.taxpayer_id or rec.reg_no,
                                   rec.legal_rep, rec.address) if x)
    return Profile(rec.key, names, codes, _clean_text(rec.legal_rep), address, district,
                   name_region or addr_region or div_region, name_region, addr_region, individual,
                   branch, summary)


def _name_region(name: ParsedName) -> str | None:
    """The region a name tells; a branch is where its branch part says, not where its head office is."""
    if name.branch:
        return name.branch.split(":", 1)[0] or None
    return name.region


def latest_views(rows: Iterable[Sequence[Any]]) -> dict[Key, IdentityRecord]:
    """From version rows ordered by key then version, the view each record key resolves with.

    Each row: (department, record_type, record_id, version, op, source_id, name, former_names,
    uscc, reg_no, org_code, taxpayer_id, loan_card_no, legal_rep, address). The latest version
    wins; a revoke (or an empty version) falls back to the latest version that has a name. The
    view keeps the id of the latest version, so a later run can tell the record changed.
    """
    out: dict[Key, IdentityRecord] = {}
    named: dict[Key, IdentityRecord] = {}
    fallback: set[Key] = set()
    for row in rows:
        key = (row[0], row[1], row[2])
        rec = IdentityRecord.from_row(key, dict(zip(IDENTITY_COLUMNS, row[6:])), row[5])
        out[key] = rec
        if rec.name:
            named[key] = rec
            fallback.discard(key)
        elif row[4] == "revoke" or not any(row[6:]):
            fallback.add(key)
        else:
            fallback.discard(key)
    for key in fallback:
        if key in named:
            out[key] = replace(named[key], source_id=out[key].source_id)
    return out


IDENTITY_COLUMNS = ("name", "former_names", "uscc", "reg_no", "org_code", "taxpayer_id", "loan_card_no",
                    "legal_rep", "address")
