"""Identifier forms of the exchange formats: USCC, organization code, registration number, ID number.

Written from the standards the contract names (GB 32100-2015, GB 11714, ISO 7064 MOD 11,10 for the
15-digit registration number, GB 11643 for the resident ID number), plus the ways real files damage
them (section 6 of the contract).
"""

from __future__ import annotations

import random

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]
ORG_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # letters as registries issue them
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
FULL_WIDTH = {c: chr(ord(c) + 0xFEE0) for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"}


def _org_value(c: str) -> int:
    return int(c) if c.isdigit() else ord(c) - 55


def org_check(body: str) -> str:
    c = 11 - sum(_org_value(ch) * w for ch, w in zip(body, ORG_WEIGHTS)) % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def uscc_check(body: str) -> str:
    total = sum(USCC_CHARS.index(ch) * w for ch, w in zip(body, USCC_WEIGHTS))
    return USCC_CHARS[(31 - total % 31) % 31]


def reg_no_check(body: str) -> str:
    p = 10
    for ch in body:
        s = (p + int(ch)) % 10 or 10
        p = (s * 2) % 11
    return str((11 - p) % 10)


def id_check(body: str) -> str:
    return "10X98765432"[sum(int(c) * w for c, w in zip(body, ID_WEIGHTS)) % 11]


def org_code(rng: random.Random, letters: bool = False) -> str:
    pool = ORG_CHARS if letters else "0123456789"
    body = "".join(rng.choice(pool) for _ in range(8))
    return body + org_check(body)


def uscc(rng: random.Random, authority: str, kind: str, division: str, org: str | None = None) -> str:
    org = org or org_code(rng, letters=rng.random() < 0.3)
    body = authority + kind + division + org
    return body + uscc_check(body)


def reg_no(rng: random.Random, division: str, individual: bool) -> str:
    nature = rng.choice("6789") if individual else rng.choice("0123")
    body = division + nature + "".join(rng.choice("0123456789") for _ in range(7))
    return body + reg_no_check(body)


def id_number(rng: random.Random, division: str, year: int, female: bool) -> str:
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    seq = rng.randint(0, 99) * 10 + rng.choice([0, 2, 4, 6, 8] if female else [1, 3, 5, 7, 9])
    body = f"{division}{year:04d}{month:02d}{day:02d}{seq:03d}"
    return body + id_check(body)


def wrong_check(code: str) -> str:
    """The same code with another check character (a typo in the last place)."""
    alphabet = "0123456789"
    last = code[-1]
    return code[:-1] + next(c for c in alphabet[int(last) + 1:] + alphabet if c != last) if last.isdigit() \
        else code[:-1] + "7"


def transpose(rng: random.Random, code: str) -> str:
    for _ in range(20):
        i = rng.randrange(len(code) - 1)
        if code[i] != code[i + 1]:
            return code[:i] + code[i + 1] + code[i] + code[i + 2:]
    return wrong_check(code)


def mistype_digit(rng: random.Random, code: str) -> str:
    """One digit typed wrong somewhere in the body (an ID number keyed by hand)."""
    i = rng.randrange(6, len(code) - 1)
    c = code[i]
    new = str((int(c) + rng.randint(1, 9)) % 10) if c.isdigit() else "1"
    return code[:i] + new + code[i + 1:]


def cosmetic(rng: random.Random, code: str) -> tuple[str, str]:
    """A harmless written form of a valid code: (text, kind)."""
    r = rng.random()
    if r < 0.25:
        return code.lower(), "lower"
    if r < 0.45:
        cut = rng.randrange(3, len(code) - 3)
        return code[:cut] + " " + code[cut:], "space"
    if r < 0.6:
        return code[:6] + "-" + code[6:], "hyphen"
    if r < 0.75:
        return "".join(FULL_WIDTH.get(c, c) for c in code), "fullwidth"
    if r < 0.9 and "0" in code[2:]:
        i = code.index("0", 2)
        return code[:i] + "O" + code[i + 1:], "o_for_0"
    return " " + code + " ", "padded"


def org_written(rng: random.Random, org: str) -> str:
    """Organization code as a clerk writes it: plain, hyphenated (12345678-9), or lower case."""
    r = rng.random()
    if r < 0.45:
        return org[:8] + "-" + org[8]
    if r < 0.5:
        return org.lower()
    return org
