"""Mess: the ways real files misspell names, codes, dates and amounts, each tagged for the truth."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from credit.demodata.codes import _USCC_CHARS
from credit.demodata.records import _PARTS
from credit.demodata.vocab import CODE_TYPES, EMPTY_MARKERS, FORM_VARIANTS, TRADE_CHARS
from credit.demodata.world import Enterprise, NameParts
from credit.demodata.writers import ExcelDate
from credit.kernel.catalog import RecordType


@dataclass(frozen=True)
class MessConfig:
    """Per-record (or per-field) rates of each kind of mess."""

    name: float = 0.3
    code: float = 0.15
    date: float = 0.3
    amount: float = 0.2
    duplicate: float = 0.01
    resend: float = 0.015
    revoke: float = 0.006

    @classmethod
    def from_level(cls, level: float) -> MessConfig:
        """Scale every rate from one level (0 = clean files)."""
        return cls(name=level, code=level / 2, date=level, amount=level * 0.6,
                   duplicate=level * 0.03, resend=level * 0.05, revoke=level * 0.02)


_FULLWIDTH_DIGITS = str.maketrans("0123456789ABCDEFGHJKLMNPQRTUWXY",
                                  "０１２３４５６７８９ＡＢＣＤＥＦＧＨＪＫＬＭＮＰＱＲＴＵＷＸＹ")


def mess_name(parts: NameParts, rng: random.Random) -> tuple[str, str]:
    """One messy spelling of a name and the tag saying what was done."""
    op = rng.choice(("halfwidth", "fullwidth_space", "trailing_space", "drop_region",
                     "region_bracket", "form_variant", "form_variant", "typo"))
    p = parts
    if not p.form and not p.suffix:
        # individual business: nothing but its spacing to restyle (its division is written or not by
        # ``individuals.record_parts``); misspelt as often as any other name, not three times as often
        op = "typo" if op == "typo" else rng.choice(("trailing_space", "fullwidth_space"))
    if op == "drop_region" and not p.prefix:
        op = "region_bracket"
    if op == "region_bracket" and (not p.city_short or p.suffix):
        op = "trailing_space"
    if op == "form_variant" and p.form not in FORM_VARIANTS:
        op = "halfwidth"
    text = p.text
    if op == "halfwidth":
        if "（" not in text and p.city_short and not p.suffix:
            text = f"{p.trade}{p.industry}({p.city_short}){p.form}"
        text = text.replace("（", "(").replace("）", ")")
    elif op == "fullwidth_space":
        cut = len(p.prefix) or min(2, len(text) - 1)
        text = text[:cut] + "\u3000" + text[cut:]
    elif op == "trailing_space":
        text = text + rng.choice((" ", "  ", "\u3000"))
    elif op == "drop_region":
        text = f"{p.trade}{p.industry}{p.form}{p.suffix}"
    elif op == "region_bracket":
        text = f"{p.trade}{p.industry}（{p.city_short}）{p.form}"
    elif op == "form_variant":
        text = f"{p.prefix}{p.trade}{p.industry}{rng.choice(FORM_VARIANTS[p.form])}{p.suffix}"
    elif op == "typo":
        start = len(p.prefix)
        i = start + rng.randrange(max(1, len(p.trade)))
        chars = list(text)
        chars[i] = rng.choice([c for c in TRADE_CHARS if c != chars[i]])
        text = "".join(chars)
    return text, f"name.{op}"


def _transpose(code: str, rng: random.Random) -> str:
    """Swap two adjacent different characters."""
    spots = [i for i in range(len(code) - 1) if code[i] != code[i + 1]]
    if not spots:
        return code
    i = rng.choice(spots)
    return code[:i] + code[i + 1] + code[i] + code[i + 2:]


def mess_code(code: str, col_type: str, e: Enterprise, rng: random.Random) -> tuple[str, str]:
    """One messy spelling of a code and the tag saying what was done."""
    ops = ["lower", "spaces", "hyphen", "fullwidth", "o_for_0", "wrong_check", "transpose",
           "placeholder", "empty"]
    if col_type == "uscc" and e.reg_no:
        ops.append("legacy_number")
    if col_type == "org_code" and e.uscc:
        ops.append("uscc_here")
    op = rng.choice(ops)
    if op == "lower":
        out = code.lower()
    elif op == "spaces":
        out = " ".join(code[i:i + 4] for i in range(0, len(code), 4)) + rng.choice(("", " "))
    elif op == "hyphen":
        out = code[:-1] + "-" + code[-1]
    elif op == "fullwidth":
        out = code.translate(_FULLWIDTH_DIGITS)
    elif op == "o_for_0":
        out = code.replace("0", "O") if "0" in code else code.lower()
    elif op == "wrong_check":
        pool = {"org_code": "0123456789X", "reg_no": "0123456789"}.get(col_type, _USCC_CHARS)
        out = code[:-1] + rng.choice([c for c in pool if c != code[-1]])
    elif op == "transpose":
        out = _transpose(code, rng)
    elif op == "placeholder":
        out = "0" * len(code)
    elif op == "legacy_number":
        out = e.reg_no
    elif op == "uscc_here":
        out = e.uscc
    else:
        out = ""
    return out, f"{col_type}.{op}"


def mess_date(day: dt.date, rng: random.Random, may_empty: bool) -> tuple[Any, str]:
    """One messy rendering of a date (a string, an ExcelDate, or None) and its tag."""
    ops = ["slash", "zh", "compact", "excel"] + (["empty"] if may_empty else [])
    op = rng.choice(ops)
    if op == "slash":
        return f"{day.year}/{day.month}/{day.day}", "date.slash"
    if op == "zh":
        return f"{day.year}年{day.month}月{day.day}日", "date.zh"
    if op == "compact":
        return f"{day:%Y%m%d}", "date.compact"
    if op == "excel":
        return ExcelDate(day), "date.excel"
    return None, "date.empty"


def mess_amount(value: float, col_type: str, rng: random.Random) -> tuple[str, str]:
    """One messy rendering of an amount and its tag."""
    op = rng.choice(("thousands", "thousands", "wan", "empty_marker"))
    if op == "wan" and col_type == "amount_yuan":
        return f"{value / 10000:g}万", "amount.wan"
    if op == "empty_marker":
        return rng.choice(EMPTY_MARKERS), "amount.empty"
    return f"{value:,.2f}", "amount.thousands"


def mess_id_number(number: str, rng: random.Random) -> tuple[str, str]:
    """A person's ID number as a clerk mistypes it: two adjacent digits transposed or one digit
    wrong (the GB 11643 check character then fails, as it always does for these)."""
    body = number[:17]
    if rng.random() < 0.5:
        typed = _transpose(body, rng)
        if typed != body:
            return typed + number[17:], "id_number.transpose"
    i = rng.randrange(6, 17)
    digit = rng.choice([d for d in "0123456789" if d != body[i]])
    return body[:i] + digit + body[i + 1:] + number[17:], "id_number.digit"


def mess_record(rt: RecordType, values: dict[str, Any], e: Enterprise, rng: random.Random,
                cfg: MessConfig) -> list[str]:
    """Mess up one record in place; the tags of what was done."""
    tags: list[str] = []
    day = values.get(rt.date_field) if rt.date_field else None
    if isinstance(day, int):
        day = dt.date(day, 12, 31)
    for col in rt.columns:
        v = values.get(col.key)
        if col.identity == "name" and v and rng.random() < cfg.name:
            parts = values.get(_PARTS) or e.parts_at(day if isinstance(day, dt.date) else None)
            values[col.key], tag = mess_name(parts, rng)
            tags.append(tag)
        elif col.type in CODE_TYPES and v and rng.random() < cfg.code and col.type != "loan_card_no":
            values[col.key], tag = mess_code(v, col.type, e, rng)
            tags.append(tag)
        elif col.type == "id_number" and v and rng.random() < cfg.code / 3:
            values[col.key], tag = mess_id_number(str(v), rng)
            tags.append(tag)
        elif col.type == "date" and isinstance(v, dt.date) and rng.random() < cfg.date:
            values[col.key], tag = mess_date(v, rng, may_empty=col.key != rt.date_field)
            tags.append(tag)
        elif col.type in ("amount_wan", "amount_yuan") and v is not None and rng.random() < cfg.amount:
            values[col.key], tag = mess_amount(v, col.type, rng)
            tags.append(tag)
    return tags
