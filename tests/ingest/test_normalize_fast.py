"""``to_text`` and ``to_name`` return a cell with nothing to change as it is: the same answers as
the full normalisation, for any text."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from credit.kernel.identifiers import to_halfwidth
from ingest import normalize as nz

_FULLWIDTH_CHARS = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\u3000\uff0d\uff0e\uff0f]")


def full_text(value):
    """to_text without its shortcut (the definition)."""
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    text = " ".join((to_halfwidth(text) if _FULLWIDTH_CHARS.search(text) else text).split())
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
