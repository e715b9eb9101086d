"""Evidence from identifiers: every code recognised by its shape, whatever column it came in.

Reuses ``credit.kernel.identifiers`` for cleaning, classification and check characters. A code that fails
its check is kept (weaker evidence, never a key on its own); a placeholder is dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from operator import mul
from typing import NamedTuple

from credit.kernel.identifiers import (
    BAD_CHECK,
    BAD_FORMAT,
    PLACEHOLDER,
    VALID,
    Code,
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
        info = _code_info(value)
        if info is None:
            continue
        v, kind, valid, org, org_valid, div = info
        if kind == "uscc":
            u.add(v)
            if valid:
                vu.add(v)
        elif kind == "reg_no":
            r.add(v)
            if valid:
                vr.add(v)
        elif kind == "taxpayer20":
            t.add(v)
        elif kind == "loan_card_no":
            loans.add(v)
        if div and not division:
            division = div
        if org:
            o.add(org)
            if org_valid:
                vo.add(org)
    if not (u or o or r or t or loans or division):
        return NO_CODES
    return Codes(_f(u), _f(vu), _f(o), _f(vo), _f(r), _f(vr), _f(t), _f(loans), division)


CodeInfo = tuple[str, str, bool, str, bool, str]  # value, kind, valid, org code, org code valid, division


@lru_cache(maxsize=1 << 20)
def _code_info(value: str) -> CodeInfo | None:
    """What one written code contributes (memoised: an enterprise's codes recur in its records)."""
    code = _classify(value)
    if code is None or code.status == PLACEHOLDER:
        return None
    v, kind = code.value, code.kind
    org = division = ""
    if kind == "uscc":
        if v[2:8].isdigit():
            division = v[2:8]
        org = v[8:17]
    elif kind == "org_code":
        org = v
    elif kind == "taxpayer15":
        division = v[:6]
        org = v[6:]
    elif kind == "reg_no":
        # a registration number begins with its registration authority's division code (GS15-2006),
        # as a 15-character legacy taxpayer id, which may pass the same check, begins with its own
        division = v[:6]
    if org and (len(org) != 9 or is_placeholder(org)):
        org = ""
    return v, kind, code.status == VALID, org, bool(org) and _org_valid(org), division


def _f(items: set[str]) -> frozenset[str]:
    return frozenset(items) if items else _EMPTY


def is_placeholder(code: str) -> bool:
    """As ``credit.kernel.identifiers.is_placeholder``: one character repeated, six or more times."""
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
    """As ``credit.kernel.identifiers.uscc_status``, without python-stdnum's per-call overhead."""
    if is_placeholder(code):
        return PLACEHOLDER
    if uscc_valid(code):
        return VALID
    if len(code) != 18 or not code[2:8].isdigit() or any(c not in _USCC_VALUE for c in code):
        return BAD_FORMAT
    return BAD_CHECK


_ORG_VALUE = {c: int(c, 36) for c in _ORG_CHARS}
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_CHECK = "_123456789X0"  # 11 - (sum mod 11) -> check character (GB 11714)


def _org_valid(org: str) -> bool:
    """As ``org_code_check(org[:8]) == org[8]`` for a well-formed code, without its per-call cost."""
    if len(org) != 9:
        return False
    try:
        total = sum(map(mul, map(_ORG_VALUE.__getitem__, org[:8]), _ORG_WEIGHTS))
    except KeyError:
        return False
    return _ORG_CHECK[11 - total % 11] == org[8]


def _classify(value: str) -> Code | None:
    """As ``credit.kernel.identifiers.classify`` (same answers; a test pins it), faster for USCCs."""
    code = value.upper().replace("O", "0") if value.isascii() and value.isalnum() else clean_code(value)
    if not code:
        return None
    n = len(code)
    if n == 18 and not is_placeholder(code):
        return Code(code, "uscc", _uscc_status(code))
    if is_placeholder(code):
        return _classify_other(code)
    if n == 9:
        if _org_valid(code):
            return Code(code, "org_code", VALID)
        return Code(code, "org_code", BAD_FORMAT if any(c not in _ORG_CHARS for c in code) else BAD_CHECK)
    if n == 16 and code.isdigit():
        return Code(code, "loan_card_no", VALID)
    if n == 20:
        return Code(code, "taxpayer20", VALID if code[:17].isdigit() else BAD_FORMAT)
    if n == 15 and code.isdigit() and _mod_11_10(code):
        return Code(code, "reg_no", VALID)
    return _classify_other(code)


def _mod_11_10(digits: str) -> bool:
    """ISO 7064 MOD 11,10 (a 15-digit registration number's check digit), as python-stdnum's."""
    check = 5
    for d in digits:
        check = (((check or 10) * 2) % 11 + ord(d) - 48) % 10
    return check == 1


@lru_cache(maxsize=1 << 20)
def _classify_other(code: str) -> Code | None:
    return classify(code)


def clear_caches() -> None:
    """Forget memoised classifications (after a run has built its profiles)."""
    _classify_other.cache_clear()
    _code_info.cache_clear()


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
