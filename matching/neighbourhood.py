"""The neighbourhood of an incremental run: which existing records new ones may join, pure.

An incremental run re-resolves the dirty (new and changed) records with every enterprise they
may touch. Sharing a blocking key with a dirty record is not enough to touch it: a generic name
(刘记米粉店) is a key shared by hundreds of businesses across the province, and a full run
compares a dirty record with those of its own region group only, and keeps a pair only when it
scores at least the review threshold. So the candidates (every record carrying one of the dirty
records' keys) are blocked exactly as a full run blocks them (each such block is complete: every
carrier of the key is there), the pairs with a dirty record are scored, and only the records
that score at least the review threshold with one (or share a valid USCC or loan card number
with one: those join without scoring) are partners whose enterprises the run must load.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from matching.blocking import block_groups, build_blocks
from matching.features import LINK_THRESHOLD, REVIEW_THRESHOLD, fast_score
from matching.identity import Key, Profile


def partners(dirty: Iterable[tuple[Profile, Sequence[int]]], candidates: Iterable[tuple[Profile, Sequence[int]]]
             ) -> set[Key]:
    """The candidates a full run would pair with a dirty record (a scored edge at or above the
    review threshold, or a shared valid USCC or loan card number), and those such a partner links
    with (an edge at or above the link threshold: the partner may now join it, and whether its
    name fits one business or several is weighed against them all). Each item: a profile and its
    blocking-key hashes (a candidate's: those it shares with the dirty records); ``candidates``:
    every other record carrying one of the dirty records' hashes."""
    recs = [(p, tuple(h), True) for p, h in dirty] + [(p, tuple(h), False) for p, h in candidates]
    recs.sort(key=lambda x: x[0].key)  # the order of a full run: blocks list their records by key
    profiles = [p for p, _, _ in recs]
    is_dirty = [d for _, _, d in recs]
    groups = block_groups(build_blocks([h for _, h, _ in recs]), profiles)
    found: set[int] = set()
    for group in groups:
        for x, i in enumerate(group):
            for j in group[x + 1:]:
                if is_dirty[i] == is_dirty[j]:
                    continue  # two dirty records are in the run anyway; two existing ones see below
                other = j if is_dirty[i] else i
                if other not in found and _pair(profiles[i], profiles[j], REVIEW_THRESHOLD):
                    found.add(other)
    second: set[int] = set()
    for group in groups:
        for x, i in enumerate(group):
            for j in group[x + 1:]:
                if is_dirty[i] or is_dirty[j] or (i in found) == (j in found):
                    continue
                other = j if i in found else i
                if other not in second and _pair(profiles[i], profiles[j], LINK_THRESHOLD):
                    second.add(other)
    return {profiles[i].key for i in found | second}


def _pair(a: Profile, b: Profile, threshold: float) -> bool:
    if a.codes.valid_usccs & b.codes.valid_usccs or a.codes.loan_cards & b.codes.loan_cards:
        return True
    return fast_score(a, b)[0] >= threshold
