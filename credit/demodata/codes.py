"""Divisions, identifiers and the small random values of the world: codes with correct check
characters (USCC, organization code, registration number, ID number), names, addresses, dates.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from typing import Any

from stdnum.cn.uscc import calc_check_digit as uscc_check_char
from stdnum.iso7064 import mod_11_10

from credit.demodata.vocab import (
    DATE_MAX,
    DATE_MIN,
    DIVISIONS,
    GIVEN_CHARS,
    HUNAN_SHARE,
    PROVINCES,
    ROADS,
    SURNAMES,
    TRADE_CHARS,
)
from credit.kernel.identifiers import gb11643_check, org_code_check

_DIVISION_INDEX = {d[0]: d for d in DIVISIONS}
_HUNAN = tuple(d for d in DIVISIONS if d[0].startswith("43"))
_ELSEWHERE = tuple(d for d in DIVISIONS if not d[0].startswith("43"))
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_ORG_LETTERS = "ABCDEFGHJKLMNPQRTUWXY0123456789"


def _division(code: str) -> tuple[str, str, str]:
    """(code, city, district) of a division code."""
    return _DIVISION_INDEX[code]


def _pick_division(rng: random.Random) -> str:
    """A division, Hunan more often than elsewhere."""
    pool = _HUNAN if rng.random() < HUNAN_SHARE else _ELSEWHERE
    return rng.choice(pool)[0]


def _weighted(rng: random.Random, items: Sequence[tuple[Any, float]]) -> Any:
    """One item of (item, weight) pairs."""
    return rng.choices([i[0] for i in items], [i[1] for i in items])[0]


def _rand_date(rng: random.Random, lo: dt.date = DATE_MIN, hi: dt.date = DATE_MAX) -> dt.date:
    """A uniformly random day in [lo, hi]."""
    return lo + dt.timedelta(days=rng.randrange((hi - lo).days + 1))


def _person_name(rng: random.Random) -> str:
    """A Chinese personal name of two or three characters."""
    given = rng.choice(GIVEN_CHARS) + (rng.choice(GIVEN_CHARS) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def _id_number(rng: random.Random, division: str) -> str:
    """A valid 18-character resident ID number (GB 11643)."""
    birth = _rand_date(rng, dt.date(1960, 1, 1), dt.date(1998, 12, 31))
    body = f"{division}{birth:%Y%m%d}{rng.randrange(1000):03d}"
    return body + gb11643_check(body)


def make_org_code(rng: random.Random, new_style: bool) -> str:
    """A 9-character organization code with a correct GB 11714 check character."""
    if new_style:
        code8 = "MA" + rng.choice(("4L", "4P", "4Q", "4R", "4T", "5D")) + "".join(
            rng.choice(_ORG_LETTERS) for _ in range(4))
    else:
        code8 = f"{rng.randrange(10_000_000, 100_000_000)}"
    return code8 + org_code_check(code8)


def make_uscc(authority: str, entity_type: str, division: str, org_code: str) -> str:
    """An 18-character USCC with a correct check character."""
    body = f"{authority}{entity_type}{division}{org_code}"
    return body + uscc_check_char(body)


def make_reg_no(rng: random.Random, division: str) -> str:
    """A legacy 15-digit registration number with a valid MOD 11,10 check digit."""
    body = f"{division}{rng.randrange(10**7, 10**8)}"
    return body + mod_11_10.calc_check_digit(body)


def _spoil_check(uscc: str) -> str:
    """The same USCC with a wrong (but well-formed) check character."""
    wrong = [c for c in _USCC_CHARS if c != uscc[17]]
    return uscc[:17] + wrong[ord(uscc[10]) % len(wrong)]


def _address(rng: random.Random, division: str) -> str:
    """A street address in the division."""
    _, city, district = _division(division)
    prov = PROVINCES[division[:2]]
    head = city if prov in city else f"{prov}省{city}"
    return f"{head}{district}{rng.choice(ROADS)}{rng.randrange(1, 999)}号"


def _trade(rng: random.Random) -> str:
    """A trade name (字号) of two or three characters."""
    n = 2 if rng.random() < 0.75 else 3
    return "".join(rng.sample(TRADE_CHARS, n))


def _prefix(rng: random.Random, division: str) -> str:
    """A region prefix for a company name: city, province or none."""
    city = _division(division)[1]
    r = rng.random()
    if r < 0.45:
        return city
    if r < 0.6:
        return PROVINCES[division[:2]]
    return ""
