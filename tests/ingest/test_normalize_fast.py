"""``to_text``, ``to_name`` and ``to_date`` return a cell with nothing to change as it is: the same
answers as the full normalisation, for any text."""

import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from credit.kernel.identifiers import to_halfwidth
from ingest import normalize as nz


def full_text(value):
    """to_text without its shortcut (the definition)."""
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    text = " ".join(nz._halfwidth(text).split())
    if not text or (len(text) <= 4 and text.lower() in nz.EMPTY_MARKERS):
        return None
    return text


def full_name(value):
    """to_name without its shortcut (the definition)."""
    text = full_text(value)
    if text is None:
        return None
    text = to_halfwidth(text)
    if "(" in text or ")" in text:
        text = text.replace("(", "（").replace(")", "）")
    return nz._CJK_SPACE.sub("", text) if " " in text else text


# what department cells are made of: Chinese, ASCII, full-width forms, every kind of space
_CHARS = st.sampled_from(list("长沙市岳麓区刘记副食店有限公司（）()- .,/AaZz09无空")
                         + ["\u3000", "\t", "\n", "\xa0", "\u2003", "\u200b", "\x1c", "\x85", "\uff08", "\uff09",
                            "\uff10", "\uff21", "\uff41", "\uff0d", "\uff0e", "\uff0f", "\uff01", "\uff5e", "\uff5f"])
_CELLS = st.one_of(st.text(_CHARS, max_size=12), st.text(max_size=12), st.sampled_from(sorted(nz.EMPTY_MARKERS)),
                   st.integers(), st.none())


@settings(max_examples=3000, deadline=None)
@given(_CELLS)
def test_to_text_is_the_full_normalisation(value):
    assert nz.to_text(value) == full_text(value)


@settings(max_examples=3000, deadline=None)
@given(_CELLS)
def test_to_name_is_the_full_normalisation(value):
    assert nz.to_name(value) == full_name(value)


def full_date(value):
    """to_date of a text cell without its shortcut (the definition)."""
    m = nz._DATE_PATTERNS[0].match(value)
    if m:
        return nz._ymd(value, *m.groups())
    if nz.is_empty(value):
        return None
    text = to_halfwidth(value).strip()
    if "年" in text:
        text = text.replace(" ", "")
    for pattern in nz._DATE_PATTERNS:
        m = pattern.match(text)
        if m:
            return nz._ymd(value, *m.groups())
    if text.isdigit() and 4 <= len(text) <= 5:
        return nz._excel_serial(int(text))
    raise ValueError(f"无法识别的日期 / unrecognised date: {value}")


_DIGITS = st.sampled_from(list("0123456789") + ["\uff11", "\u0661", "a", "-", "/"])


def _answer(convert, value):
    try:
        return convert(value)
    except ValueError as exc:
        return ("error", str(exc))


@settings(max_examples=3000, deadline=None)
@given(st.one_of(st.dates().map(str), st.text(_DIGITS, min_size=10, max_size=10),
                 st.builds(lambda y, m, d: f"{y:04d}-{m:02d}-{d:02d}", st.integers(0, 9999), st.integers(0, 99),
                           st.integers(0, 99))))
def test_to_date_is_the_full_normalisation(value):
    assert _answer(nz.to_date, value) == _answer(full_date, value)


def test_a_character_the_shortcuts_pass_over_is_one_the_normalisation_keeps():
    """Every code point: the shortcuts decide character by character, so this is all of them."""
    for point in range(sys.maxunicode + 1):
        c = chr(point)
        if nz._TEXT_WORK.search(c) is None:
            assert not c.isspace() and nz._halfwidth(c) == c, hex(point)
        if nz._NAME_WORK.search(c) is None:
            assert not c.isspace() and to_halfwidth(c) == c and c not in "()", hex(point)
