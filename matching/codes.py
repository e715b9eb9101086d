"""Evidence from identifiers: every code recognised by its shape, whatever column it came in.

Reuses ``credit.identifiers`` for cleaning, classification and check characters. A code that fails
its check is kept (weaker evidence, never a key on its own); a placeholder is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

from credit.identifiers import (
    Code,
    PLACEHOLDER,
    VALID,
    classify,
    org_code_check,
    org_code_status,
    reg_no_status,
    uscc_status,
)

_EMPTY: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Codes:
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


def collect(values: Iterable[str | None]) -> Codes:
    """Classify every code of a record by shape and gather the evidence it carries."""
    kinds: dict[str, set[str]] = {k: set() for k in ("u", "vu", "o", "vo", "r", "vr", "t", "l")}
    division = ""
    for value in values:
        code = _classify(value) if value else None
        if code is None or code.status == PLACEHOLDER:
            continue
        v, kind = code.value, code.kind
        if kind == "uscc":
            kinds["u"].add(v)
            if code.valid:
                kinds["vu"].add(v)
            if v[2:8].isdigit():
                division = division or v[2:8]
            _add_org(kinds, v[8:17])
        elif kind == "org_code":
            _add_org(kinds, v)
        elif kind == "taxpayer15":
            division = division or v[:6]
            _add_org(kinds, v[6:])
        elif kind == "reg_no":
            kinds["r"].add(v)
            if code.valid:
                kinds["vr"].add(v)
        elif kind == "taxpayer20":
            kinds["t"].add(v)
        elif kind == "loan_card_no":
            kinds["l"].add(v)
    f = {k: frozenset(s) for k, s in kinds.items()}
    return Codes(f["u"], f["vu"], f["o"], f["vo"], f["r"], f["vr"], f["t"], f["l"], division)


@lru_cache(maxsize=1 << 18)
def _classify(value: str) -> Code | None:
    return classify(value)


def _add_org(kinds: dict[str, set[str]], org: str) -> None:
    if len(org) != 9 or len(set(org)) == 1:
        return
    kinds["o"].add(org)
    if org_code_status(org) == VALID:
        kinds["vo"].add(org)


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
    return [s for s in _swaps(uscc) if uscc_status(s) == VALID]


def any_swap(left: frozenset[str], right: frozenset[str]) -> bool:
    """Whether some code on the left is one adjacent swap away from some code on the right."""
    return any(one_swap(a, b) for a in left for b in right)
