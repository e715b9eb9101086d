"""Chinese enterprise identifiers: cleaning, check characters, derivation, classification.

Used by ingest (flags, derived organization codes) and by matching (evidence). Pure functions.

python-stdnum knows the USCC check character and ISO 7064 MOD 11,10, and we use both. It is wrong
for real data in one respect: ``stdnum.cn.uscc.validate`` requires the first eight characters to be
digits, but registration-authority codes other than 9 may be letters (``N`` agriculture, ``Y``
other, ``A``-``H`` ...), so the format check here is our own and only the check character is
stdnum's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from stdnum.cn.uscc import calc_check_digit as _uscc_check
from stdnum.iso7064 import mod_11_10

USCC_ALPHABET = frozenset("0123456789ABCDEFGHJKLMNPQRTUWXY")
_ORG_ALPHABET = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_FULLWIDTH = {i: i - 0xFEE0 for i in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20
FULLWIDTH_FORMS = frozenset(_FULLWIDTH)  # the code points ``to_halfwidth`` changes
_SEPARATORS = re.compile(r"[\s\-_‐‑–—－·.]+")

VALID = "valid"
BAD_CHECK = "bad_check"
BAD_FORMAT = "bad_format"
PLACEHOLDER = "placeholder"


def to_halfwidth(text: str) -> str:
    """Full-width ASCII forms and the ideographic space to their half-width forms."""
    return text.translate(_FULLWIDTH)


def clean_code(value: str | None) -> str:
    """Upper case, half width, no spaces or hyphens; the letter O read as the digit 0."""
    if not value:
        return ""
    code = _SEPARATORS.sub("", to_halfwidth(str(value))).upper()
    return code.replace("O", "0")


def is_placeholder(code: str) -> bool:
    """A run of one repeated character (000000000000000000) or an obvious filler."""
    return len(code) >= 6 and len(set(code)) == 1


def org_code_check(code8: str) -> str:
    """The GB 11714 check character of the first eight characters of an organization code."""
    total = sum(int(c, 36) * w for c, w in zip(code8, _ORG_WEIGHTS))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def uscc_status(code: str) -> str:
    """valid, bad_check (well formed, wrong check character), bad_format or placeholder."""
    if is_placeholder(code):
        return PLACEHOLDER
    if len(code) != 18 or not code[2:8].isdigit() or any(c not in USCC_ALPHABET for c in code):
        return BAD_FORMAT
    return VALID if _uscc_check(code[:17]) == code[17] else BAD_CHECK


def org_code_status(code: str) -> str:
    """Status of a 9-character GB 11714 organization code."""
    if is_placeholder(code):
        return PLACEHOLDER
    if len(code) != 9 or any(c not in _ORG_ALPHABET for c in code):
        return BAD_FORMAT
    return VALID if org_code_check(code[:8]) == code[8] else BAD_CHECK


def reg_no_status(code: str) -> str:
    """Status of a legacy 15-digit registration number (ISO 7064 MOD 11,10)."""
    if is_placeholder(code):
        return PLACEHOLDER
    if len(code) != 15 or not code.isdigit():
        return BAD_FORMAT
    return VALID if mod_11_10.is_valid(code) else BAD_CHECK


def org_code_of(code: str) -> str | None:
    """The organization code inside an 18-character USCC or a 15-character taxpayer id."""
    if len(code) == 18:
        return code[8:17]
    if len(code) == 15 and code[:6].isdigit():
        return code[6:]
    return None


@dataclass(frozen=True)
class Code:
    """A cleaned code, what kind it looks like, and whether its check character holds."""

    value: str
    kind: str  # uscc | org_code | reg_no | taxpayer15 | taxpayer20 | loan_card_no | unknown
    status: str

    @property
    def valid(self) -> bool:
        return self.status == VALID


@lru_cache(maxsize=1 << 14)
def classify(value: str | None) -> Code | None:
    """Recognise a code by its shape, whatever column it was written in."""
    code = clean_code(value)
    if not code:
        return None
    if is_placeholder(code):
        return Code(code, "unknown", PLACEHOLDER)
    n = len(code)
    if n == 18:
        return Code(code, "uscc", uscc_status(code))
    if n == 9:
        return Code(code, "org_code", org_code_status(code))
    if n == 15:
        if code.isdigit() and mod_11_10.is_valid(code):
            return Code(code, "reg_no", VALID)
        if code[:6].isdigit() and org_code_status(code[6:]) == VALID:
            return Code(code, "taxpayer15", VALID)
        if code.isdigit():
            return Code(code, "reg_no", BAD_CHECK)
        return Code(code, "taxpayer15", BAD_CHECK if code[:6].isdigit() else BAD_FORMAT)
    if n == 20:
        return Code(code, "taxpayer20", VALID if code[:17].isdigit() else BAD_FORMAT)
    if n == 16 and code.isdigit():
        return Code(code, "loan_card_no", VALID)
    return Code(code, "unknown", BAD_FORMAT)


_GB11643_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def gb11643_check(body: str) -> str:
    """The check character of the first 17 digits of a resident ID number (GB 11643, ISO 7064 MOD 11-2)."""
    return "10X98765432"[sum(int(d) * w for d, w in zip(body, _GB11643_WEIGHTS)) % 11]


def gb11643_valid(code: str) -> bool:
    """Whether an 18-character ID-shaped number passes its own GB 11643 check (a mistyped digit or
    two adjacent digits transposed never do)."""
    return len(code) == 18 and code[:17].isdigit() and gb11643_check(code[:17]) == code[17]


def mask_id_number(value: str | None) -> str:
    """An ID number as the public sees it: 430***********1234."""
    if not value:
        return ""
    v = clean_code(value)
    if len(v) <= 7:
        return "*" * len(v)
    return v[:3] + "*" * (len(v) - 7) + v[-4:]


def mask_phone(value: str | None) -> str:
    """A phone number as the public sees it: 138****5678."""
    if not value:
        return ""
    v = clean_code(value)
    if len(v) < 7:
        return "*" * len(v)
    return v[:3] + "*" * (len(v) - 7) + v[-4:]
