"""The identity view: the few columns of a source record that matching sees, and what is derived.

``IdentityRecord`` is the view as stored (names, codes, legal representative, address).
``Profile`` is what comparisons use: parsed names, codes gathered by shape, region, branch part.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from credit.kernel.identifiers import gb11643_valid, to_halfwidth
from matching import regions
from matching.codes import Codes, collect
from matching.codes import clear_caches as clear_code_caches
from matching.names import ParsedName, as_company, parse

Key = tuple[str, str, str]  # department, record_type, record_id

_FORMER_SEP = re.compile(r"[；;]")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
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
    legal_rep_id: str = ""  # the legal representative's (or operator's) ID number

    @classmethod
    def from_row(cls, key: Key, row: dict[str, object], source_id: int = 0) -> IdentityRecord:
        """Build from a mapping with the source_records identity column names."""
        def s(col: str) -> str:
            value = row.get(col)
            return str(value).strip() if value is not None else ""
        former = tuple(n.strip() for n in _FORMER_SEP.split(s("former_names")) if n.strip())
        return cls(key, s("name"), former, s("uscc"), s("reg_no"), s("org_code"), s("taxpayer_id"),
                   s("loan_card_no"), s("legal_rep"), s("address"), source_id, s("legal_rep_id"))


def key_str(key: Key) -> str:
    """``department/type/record_id``: how a record is named to people (review queue, judge)."""
    return "/".join(key)


def parse_key(text: str) -> Key:
    """The inverse of ``key_str``; the record id may itself contain slashes."""
    parts = text.split("/", 2)
    if len(parts) != 3 or not all(parts):
        raise ValueError(f"not a record key department/type/record_id: {text!r}")
    return parts[0], parts[1], parts[2]


@dataclass(slots=True)
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
    persons: frozenset[str] = frozenset()  # ID numbers of the legal representative / operator
    record: IdentityRecord | None = field(default=None, repr=False)
    # the ID numbers of ``persons`` that pass their GB 11643 check (the pseudonym keeps the verdict):
    # a failing one beside a passing one is evidence when equal, never a bar (people.other_people)
    checked: frozenset[str] = frozenset()

    @property
    def summary(self) -> str:
        """Name, first code, legal representative and address: how a review shows the record."""
        rec = self.record
        if rec is None:
            return ""
        return " ".join(x for x in (rec.name, rec.uscc or rec.org_code or rec.taxpayer_id or rec.reg_no,
                                    rec.legal_rep, rec.address) if x)

    @property
    def core(self) -> str:
        return self.names[0].core if self.names else ""


def _clean_text(value: str) -> str:
    return _SPACE.sub("", to_halfwidth(value)).replace("（", "(").replace("）", ")")


def profile(rec: IdentityRecord) -> Profile:
    """Derive the comparison profile of one identity record."""
    names, name_region, branch, name_individual = _name_part(rec.name, rec.former_names)
    codes, div_region, code_individual = _code_part(
        tuple(v for v in (rec.uscc, rec.org_code, rec.taxpayer_id, rec.reg_no, rec.loan_card_no) if v))
    address, addr_region, district = _address_part(rec.address) if rec.address else ("", None, "")
    persons = _persons(rec.legal_rep_id, codes.tax20) if rec.legal_rep_id or codes.tax20 else _NO_PERSONS
    rep = _rep(rec.legal_rep) if rec.legal_rep else ""
    # a business known by its operator's name (周旭红, 张三副食店) is an individual business too
    operator_named = bool(names) and bool(rep) and not names[0].form and not names[0].branch and rep in names[0].core
    # a name that is a person's name alone (周旭红) names no company either (a company's has a form)
    person_named = bool(names) and names[0].person_like
    # a USCC of another kind (91 a company, 12 an institution …) outweighs a name that reads like a shop's
    by_name = (name_individual or operator_named or person_named) and not any(u[:2] != "92" for u in codes.valid_usccs)
    individual = code_individual or by_name
    if names and names[0].county and not individual:
        names = (as_company(names[0]), *names[1:])  # its codes say company: the district is in its name
    if not district and not (names and names[0].county) and individual:
        # an individual business registers with its county's market supervision: the division code
        # of its USCC or registration number (one passing its check) is its county; the operator's
        # ID number's is not
        division = next((u[2:8] for u in sorted(codes.valid_usccs)), "") or \
            next((r[:6] for r in sorted(codes.valid_reg_nos)), "")
        district = regions.county_of(division) if division else ""
    return Profile(rec.key, names, codes, rep, address, district or (names[0].county if names else ""),
                   regions.finest(name_region, addr_region, div_region), name_region, addr_region,
                   individual, branch, persons, rec,
                   _checked(persons) if persons else _NO_PERSONS)


_NO_PERSONS: frozenset[str] = frozenset()


def person_id(value: str) -> str:
    """A cleaned 18-character resident ID number, or "" (not one, or a placeholder)."""
    code = _SPACE.sub("", to_halfwidth(value)).upper()
    if len(code) != 18 or not code[:17].isdigit() or not (code[17].isdigit() or code[17] == "X"):
        return ""
    return "" if code.count(code[0]) >= 17 else code


@lru_cache(maxsize=1 << 18)
def _persons(legal_rep_id: str, tax20: frozenset[str]) -> frozenset[str]:
    """The ID numbers of the people behind a record: its legal representative's, and the operator's
    inside an individual business's 20-character taxpayer id (the ID number and two digits)."""
    found = {person_id(legal_rep_id)} if legal_rep_id else set()
    found.update(person_id(t[:18]) for t in tax20)
    found.discard("")
    return frozenset(found) if found else _NO_PERSONS


@lru_cache(maxsize=1 << 18)
def _checked(persons: frozenset[str]) -> frozenset[str]:
    """The ID numbers that pass their own check character."""
    found = frozenset(x for x in persons if gb11643_valid(x))
    return persons if len(found) == len(persons) else found if found else _NO_PERSONS


# Records of one enterprise repeat their names, codes, addresses and people: each part is derived
# once per distinct value (the caches are bounded; a miss only costs the derivation).

@lru_cache(maxsize=1 << 20)
def _name_part(name: str, former: tuple[str, ...]) -> tuple[tuple[ParsedName, ...], str | None, str | None, bool]:
    """Parsed names, the region the name tells, the branch part (None: no name), individual business."""
    names = tuple(parse(n) for n in (name, *former) if n and n.strip())
    if not names:
        return names, None, None, False
    return names, _name_region(names[0]), names[0].branch, names[0].individual


@lru_cache(maxsize=1 << 20)
def _code_part(values: tuple[str, ...]) -> tuple[Codes, str | None, bool]:
    """The codes, the region of their division code, and whether they mark an individual business."""
    codes = collect(values)
    # a loan card number is the finance department's own: its digits say nothing about a place
    div_region = regions.division_region(codes.division) if codes.division else None
    return codes, div_region, bool(codes.tax20) or any(u.startswith("92") for u in codes.usccs)


@lru_cache(maxsize=1 << 20)
def _address_part(raw: str) -> tuple[str, str | None, str]:
    """The cleaned address, its region and its district. An address that is only a place
    (``长沙市岳麓区``, as a spot check's 所在地 often is) gives its region and district and no
    address to compare: it is not another shop's address."""
    address = _clean_text(raw)
    if not address:
        return "", None, ""
    region, district, street = regions.split_county(address, 0)
    return (address if len(street) >= 2 else ""), region, district


@lru_cache(maxsize=1 << 18)
def _rep(raw: str) -> str:
    return _clean_text(raw)


def clear_caches() -> None:
    """Forget the derived parts (after a run has built its profiles: the memory is better used)."""
    for cached in (_name_part, _code_part, _address_part, _rep, _persons, _checked):
        cached.cache_clear()
    clear_code_caches()


def _name_region(name: ParsedName) -> str | None:
    """The region a name tells; a branch is where its branch part says, not where its head office is."""
    if name.branch:
        return name.branch.split(":", 1)[0] or None
    return name.region


def latest_views(rows: Iterable[Sequence[Any]]) -> dict[Key, IdentityRecord]:
    """From version rows (in any order), the view each record key resolves with.

    Each row: (department, record_type, record_id, version, op, source_id, name, former_names,
    uscc, reg_no, org_code, taxpayer_id, loan_card_no, legal_rep, address[, legal_rep_id]). The latest version
    wins; a revoke (or an empty version) falls back to the latest earlier version that has a name. The
    view keeps the id of the latest version, so a later run can tell the record changed.
    """
    out: dict[Key, IdentityRecord] = {}
    versions: dict[Key, int] = {}
    named: dict[Key, tuple[int, IdentityRecord]] = {}
    fallback: set[Key] = set()
    names: dict[str, str] = {}  # department and type names, one string object each
    for row in rows:
        key = (names.setdefault(row[0], row[0]), names.setdefault(row[1], row[1]), row[2])
        rec, version = _from_columns(key, row, row[5]), row[3]
        revoke = row[4] == "revoke"
        if rec.name and not revoke and (key not in named or named[key][0] < version):
            named[key] = (version, rec)
        if versions.get(key, version - 1) < version:
            out[key], versions[key] = rec, version
            # a revoke says which record is withdrawn, often with its name alone: the record is
            # still the enterprise's, known by the identity of its last version before
            if revoke or (not rec.name and not any(row[6:])):
                fallback.add(key)
            else:
                fallback.discard(key)
    for key in fallback:
        if key in named:
            out[key] = replace(named[key][1], source_id=out[key].source_id)
    return out


def _text(value: Any) -> str:
    return value.strip() if value.__class__ is str else "" if value is None else str(value).strip()


def _from_columns(key: Key, row: Sequence[Any], source_id: int) -> IdentityRecord:
    """``IdentityRecord.from_row`` for a version row laid out as ``latest_views`` reads it."""
    name, former, uscc, reg_no, org, tax, loan, rep, address = (_text(v) for v in row[6:15])
    formers = tuple(n.strip() for n in _FORMER_SEP.split(former) if n.strip()) if former else ()
    rep_id = _text(row[15]) if len(row) > 15 else ""
    return IdentityRecord(key, name, formers, uscc, reg_no, org, tax, loan, rep, address, source_id, rep_id)


IDENTITY_COLUMNS = ("name", "former_names", "uscc", "reg_no", "org_code", "taxpayer_id", "loan_card_no",
                    "legal_rep", "address", "legal_rep_id")
