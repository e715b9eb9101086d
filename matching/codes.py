"""Evidence from identifiers: every code recognised by its shape, whatever column it came in.

Reuses ``credit.identifiers`` for cleaning, classification and check characters. A code that fails
its check is kept (weaker evidence, never a key on its own); a placeholder is dropped.
"""

from __future__ import annotations

from operator import mul
from functools import lru_cache
from typing import Iterable, NamedTuple

from credit.identifiers import (
    BAD_CHECK,
    BAD_FORMAT,
    Code,
    PLACEHOLDER,
    VALID,
    classify,
    clean_code,
    org_code_check,
    reg_no_status,
)

_EMPTY: frozenset[str] = frozenset()


class Codes(NamedTuple):
    """All identifiers of one record, by kind, with the ones whose check character holds."""

    usccs: frozenset[str] = _EMPTY
    valid_usccs: frozenset[str] = _EMPTY
    orgs: frozenset[str] = _EMPTY
    valid_orgs: frozenset[str] = _EMPTY
    reg_nos: frozenset[str] = _EMPTY
    valid_reg_nos: frozenset[str] = _EMPTY
    tax20: frozenset[str] = _EMPTY
    loan_cards: frozenset[str] = _EMPTY
    division: str = ""

    @property
    def empty(self) -> bool:
        return not (self.usccs or self.orgs or self.reg_nos or self.tax20 or self.loan_cards)


NO_CODES = Codes()


def collect(values: Iterable[str | None]) -> Codes:
    """Classify every code of a record by shape and gather the evidence it carries."""
    return _collect(tuple(v for v in values if v))


def _collect(values: tuple[str, ...]) -> Codes:
    """``collect`` of the non-empty values (which column a code came in never matters, only the
    order among codes)."""
    u: set[str] = set()
    vu: set[str] = set()
    o: set[str] = set()
    vo: set[str] = set()
    r: set[str] = set()
    vr: set[str] = set()
    t: set[str] = set()
    loans: set[str] = set()
    division = ""
    for value in values:
        code = _classify(value) if value else None
        if code is None or code.status == PLACEHOLDER:
            continue
        v, kind = code.value, code.kind
        org = ""
        if kind == "uscc":
            u.add(v)
            if code.status == VALID:
                vu.add(v)
            if v[2:8].isdigit():
                division = division or v[2:8]
            org = v[8:17]
        elif kind == "org_code":
            org = v
        elif kind == "taxpayer15":
            division = division or v[:6]
            org = v[6:]
        elif kind == "reg_no":
            r.add(v)
            if code.status == VALID:
                vr.add(v)
        elif kind == "taxpayer20":
            t.add(v)
        elif kind == "loan_card_no":
            loans.add(v)
        if org and len(org) == 9 and not is_placeholder(org):
            o.add(org)
            if _org_valid(org):
                vo.add(org)
    if not (u or o or r or t or loans or division):
        return NO_CODES
    return Codes(_f(u), _f(vu), _f(o), _f(vo), _f(r), _f(vr), _f(t), _f(loans), division)


def _f(items: set[str]) -> frozenset[str]:
    return frozenset(items) if items else _EMPTY


def is_placeholder(code: str) -> bool:
    """As ``credit.identifiers.is_placeholder``: one character repeated, six or more times."""
    return len(code) >= 6 and code.count(code[0]) == len(code)


_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(_USCC_CHARS)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def uscc_valid(code: str) -> bool:
    """Whether an 18-character USCC is well formed and its check character holds (GB 32100)."""
    if len(code) != 18 or not code[2:8].isdigit():
        return False
    try:
        total = sum(map(mul, map(_USCC_VALUE.__getitem__, code[:17]), _USCC_WEIGHTS))
    except KeyError:
        return False
    return _USCC_CHARS[-total % 31] == code[17]


def _uscc_status(code: str) -> str:
    """As ``credit.identifiers.uscc_status``, without python-stdnum's per-call overhead."""
    if is_placeholder(code):
        return PLACEHOLDER
    if uscc_valid(code):
        return VALID
    if len(code) != 18 or not code[2:8].isdigit() or any(c not in _USCC_VALUE for c in code):
        return BAD_FORMAT
    return BAD_CHECK


@lru_cache(maxsize=1 << 16)
def _org_valid(org: str) -> bool:
    return len(org) == 9 and all(c in _ORG_CHARS for c in org) and org_code_check(org[:8]) == org[8]


def _classify(value: str) -> Code | None:
    """As ``credit.identifiers.classify`` (same answers; a test pins it), faster for USCCs."""
    code = value.upper().replace("O", "0") if value.isascii() and value.isalnum() else clean_code(value)
    if not code:
        return None
    if len(code) == 18 and not is_placeholder(code):
        return Code(code, "uscc", _uscc_status(code))
    return _classify_other(code)


@lru_cache(maxsize=1 << 16)
def _classify_other(code: str) -> Code | None:
    return classify(code)


def one_swap(a: str, b: str) -> bool:
    """Whether two codes of equal length differ by one swap of adjacent characters."""
    if len(a) != len(b) or a == b:
        return False
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]


def _swaps(code: str) -> Iterable[str]:
    for i in range(len(code) - 1):
        if code[i] != code[i + 1]:
            yield code[:i] + code[i + 1] + code[i] + code[i + 2:]


def repaired_orgs(org: str) -> list[str]:
    """The adjacent-swap variants of a failing organization code whose check character holds."""
    return [s for s in _swaps(org) if org_code_check(s[:8]) == s[8]]


def repaired_reg_nos(reg_no: str) -> list[str]:
    """The adjacent-swap variants of a failing registration number whose check digit holds."""
    return [s for s in _swaps(reg_no) if reg_no_status(s) == VALID]


def repaired_usccs(uscc: str) -> list[str]:
    """The adjacent-swap variants of a failing USCC whose check character holds."""
    return [s for s in _swaps(uscc) if uscc_valid(s)]


def any_swap(left: frozenset[str], right: frozenset[str]) -> bool:
    """Whether some code on the left is one adjacent swap away from some code on the right."""
    return any(one_swap(a, b) for a in left for b in right)
