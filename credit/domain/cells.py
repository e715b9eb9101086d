"""Spreadsheet cells that open safely: no formula runs, no long code turns into 9.11101E+17.

Every CSV or XLSX a person downloads (lists, exports, rejects, links) writes its cells with these.
"""

from __future__ import annotations

import re
from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
# all-digit values this long lose digits or become scientific notation when Excel reads them as numbers
_LONG_DIGITS = re.compile(r"^\d{12,}$")


def safe_cell(value: Any) -> str:
    """A spreadsheet cell that cannot run as a formula (OWASP CSV injection): a leading ' when it could."""
    text = "" if value is None else str(value)
    return "'" + text if text.lstrip(" ")[:1] in FORMULA_TRIGGERS else text


def is_long_digits(text: str) -> bool:
    """An all-digit value of 12 or more characters (an 18-digit USCC, a 15-digit registration number)."""
    return bool(_LONG_DIGITS.match(text))


def code_cell(value: Any) -> str:
    """A code for a CSV cell that Excel keeps as text: a leading tab before a long all-digit code.

    The tab is not a formula (nothing after it is evaluated), Excel and WPS show the code as
    written, and every reader that trims cells (ingest included) reads the code back unchanged.
    Other values are neutralised as ``safe_cell`` does.
    """
    text = "" if value is None else str(value)
    return "\t" + text if is_long_digits(text) else safe_cell(text)
