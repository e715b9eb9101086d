"""A link's or a review's evidence as data, rendered as a sentence only when shown.

Stored (``record_links.reason``, ``review_items.explanation``) as a JSON array, strongest first:
``[["same_uscc", 12.0], ["name_points", 7.0, 1.0, 0], ["same_region", 1.0]]``: each fired feature
of ``FEATURES`` by its name with its contribution to the score (and, for the name, its similarity
and whether a former name made it), or one settled reason (``[["uscc"]]``: records sharing a
valid USCC need no score). Text stored by an earlier version is shown as it is.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

REASONS = {
    "judgement": "judged the same by a person",
    "uscc": "same USCC",
    "loan_card": "same loan card number",
    "alone": "no other record matches",
}


def reason(key: str) -> str:
    """The stored evidence of a settled reason (a key of ``REASONS``)."""
    if key not in REASONS:
        raise ValueError(f"unknown reason {key!r}")
    return f'[["{key}"]]'


def encode(items: Sequence[tuple[Any, ...]]) -> str:
    """JSON text of evidence items (name, contribution[, similarity, former])."""
    return "[" + ",".join(_item(it) for it in items) + "]"


def _item(it: tuple[Any, ...]) -> str:
    name, contribution, *extra = it
    parts = [f'"{name}"', repr(round(float(contribution), 3))]
    parts += [repr(round(float(x), 3)) if isinstance(x, float) else str(int(x)) for x in extra]
    return "[" + ",".join(parts) + "]"


def decode(stored: str | None) -> list[list[Any]] | None:
    """The items of stored evidence, or None when it is text from before evidence was data."""
    if not stored or not stored.startswith("[["):
        return None
    try:
        items = json.loads(stored)
    except ValueError:
        return None
    return items if isinstance(items, list) else None


def lines(stored: str | None) -> list[str]:
    """One sentence per piece of evidence, strongest first (the words a clerk reads)."""
    items = decode(stored)
    if items is None:  # text written before evidence was data: its parts as written
        return [part.strip() for part in (stored or "").split(", ") if part.strip()]
    return [_sentence(tuple(it)) for it in items]


def render(stored: str | None) -> str:
    """The explanation sentence of stored evidence."""
    return ", ".join(lines(stored))


def _sentence(item: tuple[Any, ...]) -> str:
    name = item[0]
    if name in REASONS:
        return REASONS[name]
    feature = _features().get(name)
    if feature is None:
        return str(name)
    if feature.label and len(item) >= 4:
        return ("former " if item[3] else "") + feature.label.format(sim=item[2])
    return feature.description


@lru_cache(maxsize=1)
def _features() -> dict[str, Any]:
    from matching.features import FEATURES  # the model declares the words; imported when shown

    return {f.name: f for f in FEATURES}
