"""Value normalisation for the messy forms real department files take.

Each ``to_*`` function takes a value as a reader gives it (str, int, float, date, None) and returns
the normalised value, ``None`` for empty, or raises ``ValueError`` with a reason a clerk can read.
These functions are the hot path of ingest: keep them cheap.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from credit.kernel.identifiers import FULLWIDTH_FORMS, clean_code, to_halfwidth

EMPTY_MARKERS = frozenset({"", "无", "-", "--", "/", "—", "——", "－", "null", "none", "n/a", "na", "空"})
# full-width letters, digits and the ideographic space; Chinese punctuation (，；（）) stays as written
_FULLWIDTH_CHARS = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\u3000\uff0d\uff0e\uff0f]")
# what ``to_text`` changes (whitespace, the characters above) and what ``to_name`` changes besides
# (every full-width form, ASCII brackets): a cell with none of them is returned as it is
_TEXT_WORK = re.compile(r"[\s" + _FULLWIDTH_CHARS.pattern.removeprefix("["))
_NAME_WORK = re.compile(r"[\s()" + re.escape("".join(map(chr, FULLWIDTH_FORMS))) + "]")
_CJK_SPACE = re.compile(r"(?<=[\u3000-\u9fff（）])\s+|\s+(?=[\u3000-\u9fff（）])")
_EXCEL_EPOCH = date(1899, 12, 30)
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_LIST_SPLIT = re.compile(r"[；;，,、|]+")
_AMOUNT_CLEAN = re.compile(r"[,\s，]")


def is_empty(value: Any) -> bool:
    """True for None and the markers departments write for 'nothing' (无, -, /, NULL …)."""
    if value is None:
        return True
    if isinstance(value, str):
        text = value.strip()
        return not text or (len(text) <= 4 and text.lower() in EMPTY_MARKERS)
    return False


def _halfwidth(text: str) -> str:
    return to_halfwidth(text) if _FULLWIDTH_CHARS.search(text) else text


def to_text(value: Any) -> str | None:
    """Trimmed text with runs of whitespace collapsed; full-width letters and digits to half-width."""
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    if text.__class__ is not str or _TEXT_WORK.search(text) is not None:  # most cells: nothing to change
        text = " ".join(_halfwidth(text).split())
    if not text or (len(text) <= 4 and text.lower() in EMPTY_MARKERS):
        return None
    return text


def to_free_text(value: Any) -> str | None:
    """Long text (facts, scope of business) trimmed, its own punctuation kept as written."""
    if value is None:
        return None
    text = (value if isinstance(value, str) else str(value)).strip()
    if not text or (len(text) <= 4 and text.lower() in EMPTY_MARKERS):
        return None
    return text


def to_name(value: Any) -> str | None:
    """An organisation name in one canonical form: no stray spaces, Chinese brackets （）."""
    if value.__class__ is str and _NAME_WORK.search(value) is None:  # already in that form
        return None if not value or (len(value) <= 4 and value.lower() in EMPTY_MARKERS) else value
    text = to_text(value)
    if text is None:
        return None
    text = to_halfwidth(text)  # names: full-width brackets and all, then one canonical bracket form
    if "(" in text or ")" in text:
        text = text.replace("(", "（").replace(")", "）")
    return _CJK_SPACE.sub("", text) if " " in text else text


def to_date(value: Any) -> str | None:
    """ISO date from 2024-03-05, 2024/3/5, 2024年3月5日, 20240305, an Excel date or serial."""
    if isinstance(value, str):
        if len(value) == 10 and value[4] == "-" and value[7] == "-":  # already ISO: the usual case
            try:
                iso = date.fromisoformat(value).isoformat()
            except ValueError:
                iso = ""
            if iso == value:
                return iso
        m = _DATE_PATTERNS[0].match(value)
        if m:
            return _ymd(value, *m.groups())
    if is_empty(value):
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _excel_serial(value)
    text = to_halfwidth(str(value)).strip()
    if "年" in text:
        text = text.replace(" ", "")
    for pattern in _DATE_PATTERNS:
        m = pattern.match(text)
        if m:
            return _ymd(value, *m.groups())
    if text.isdigit() and 4 <= len(text) <= 5:
        return _excel_serial(int(text))
    raise ValueError(f"无法识别的日期 / unrecognised date: {value}")


def _ymd(value: Any, y: str, mo: str, d: str) -> str:
    try:
        return date(int(y), int(mo), int(d)).isoformat()
    except ValueError:
        raise ValueError(f"日期不存在 / no such date: {value}") from None


def _excel_serial(n: float) -> str:
    if not 1 <= n <= 2958465:
        raise ValueError(f"无法识别的日期 / unrecognised date: {n}")
    return (_EXCEL_EPOCH + timedelta(days=int(n))).isoformat()


def to_amount(value: Any, unit: str = "wan") -> float | None:
    """An amount in the column's unit (万元 or 元) from 1,234.50, 12.5万, 3000元, a number."""
    if is_empty(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = _AMOUNT_CLEAN.sub("", to_halfwidth(str(value)))
    factor = 1.0
    if text.endswith("万元") or text.endswith("万"):
        text = text.rstrip("元").rstrip("万")
        factor = 1.0 if unit == "wan" else 10000.0
    elif text.endswith("元"):
        text = text[:-1]
        factor = 1.0 / 10000.0 if unit == "wan" else 1.0
    try:
        amount = float(text) * factor
    except ValueError:
        raise ValueError(f"无法识别的金额 / unrecognised amount: {value}") from None
    if amount != amount or amount in (float("inf"), float("-inf")):
        raise ValueError(f"无法识别的金额 / unrecognised amount: {value}")
    return round(amount, 6)


def to_int(value: Any) -> int | None:
    """A whole number from 30, '30', '30天', '1,200', 30.0."""
    if is_empty(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"不是整数 / not a whole number: {value}")
    if isinstance(value, (int, float)):
        if float(value).is_integer():
            return int(value)
        raise ValueError(f"不是整数 / not a whole number: {value}")
    text = _AMOUNT_CLEAN.sub("", to_halfwidth(str(value))).rstrip("天日个次")
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"不是整数 / not a whole number: {value}") from None
    if not number.is_integer():
        raise ValueError(f"不是整数 / not a whole number: {value}")
    return int(number)


def to_year(value: Any) -> int | None:
    """An evaluation year from 2024, '2024', '2024年', '2024年度'."""
    if is_empty(value):
        return None
    if isinstance(value, (date, datetime)):
        return value.year
    text = to_halfwidth(str(value)).strip().removesuffix("年度").removesuffix("年")
    if text.endswith(".0"):
        text = text[:-2]
    if len(text) == 4 and text.isdigit() and 1949 <= int(text) <= 2100:
        return int(text)
    raise ValueError(f"无法识别的年度 / unrecognised year: {value}")


def to_bool_zh(value: Any) -> bool | None:
    """是/否 (also Y/N, true/false, 1/0)."""
    if is_empty(value):
        return None
    text = to_halfwidth(str(value)).strip().lower()
    if text in ("是", "y", "yes", "true", "1", "严重失信"):
        return True
    if text in ("否", "n", "no", "false", "0"):
        return False
    raise ValueError(f"应为 是/否 / expected 是 or 否: {value}")


def to_list(value: Any) -> tuple[str, ...] | None:
    """Items separated by ；, ;, ，, 、 (曾用名, 处罚类别)."""
    if is_empty(value):
        return None
    if isinstance(value, list):
        items = [to_text(v) for v in value]
    else:
        items = [to_text(v) for v in _LIST_SPLIT.split(str(value))]
    clean = tuple(i for i in items if i)
    return clean or None


def to_code(value: Any, length: int | None = None) -> str | None:
    """A code cleaned of case, spaces, hyphens, full-width forms; a number padded to its length."""
    if is_empty(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
        if length and len(text) < length:
            text = text.zfill(length)
        return text
    return _clean_text_code(value if isinstance(value, str) else str(value))


@lru_cache(maxsize=1 << 14)
def _clean_text_code(text: str) -> str | None:
    if is_empty(text):
        return None
    return clean_code(text) or None
