"""Blocking: which pairs of records are worth scoring, so that cost grows near-linearly.

Every record yields a few exact keys (codes, repaired codes, the name core, legal representative
with a character of the trade name, the address). Records sharing a key are candidates. A block
too large to compare all pairs (a generic name like 刘记米粉店) is split by region first.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from hashlib import blake2b
from typing import Callable, Iterable, Iterator, Sequence

from matching.codes import repaired_orgs, repaired_reg_nos, repaired_usccs
from matching.identity import Profile

log = logging.getLogger(__name__)

MAX_BLOCK = 60
MAX_SUBBLOCK = 400


def keys_of(p: Profile) -> set[str]:
    """The blocking keys of one record."""
    c = p.codes
    keys = {"u:" + u for u in c.usccs} | {"o:" + o for o in c.orgs} | {"r:" + r for r in c.reg_nos}
    keys |= {"t:" + t for t in c.tax20} | {"l:" + x for x in c.loan_cards}
    for u in c.usccs - c.valid_usccs:
        keys.update("u:" + v for v in repaired_usccs(u))
    for o in c.orgs - c.valid_orgs:
        keys.update("o:" + v for v in repaired_orgs(o))
    for r in c.reg_nos - c.valid_reg_nos:
        keys.update("r:" + v for v in repaired_reg_nos(r))
    for n in p.names:
        # a generic individual name (刘记米粉店) is no block: legal rep, address and codes are
        if n.core and not (p.individual and n.individual):
            keys.add("n:" + n.core)
    if p.rep and p.names and p.names[0].trade:
        trade = p.names[0].trade
        keys.add("p:" + p.rep + trade[0])
        keys.add("q:" + p.rep + trade[-1])
    if len(p.address) >= 6:
        keys.add("a:" + p.address)
    return keys


def key_hash(key: str) -> int:
    """A signed 64-bit hash of a blocking key (what ``match_keys`` stores)."""
    return int.from_bytes(blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


def build_blocks(keys: Sequence[Iterable[str]]) -> dict[str, list[int]]:
    """Records (by index) sharing each key, only keys shared by two or more records."""
    blocks: dict[str, list[int]] = defaultdict(list)
    for i, ks in enumerate(keys):
        for k in ks:
            blocks[k].append(i)
    return {k: v for k, v in blocks.items() if len(v) > 1}


def candidate_pairs(blocks: dict[str, list[int]], profiles: Sequence[Profile],
                    skip: Callable[[int, int], bool] = lambda i, j: False) -> Iterator[tuple[int, int]]:
    """Each candidate pair (i < j) once, except those ``skip`` says are settled already."""
    seen: set[int] = set()
    n = len(profiles)
    for key in sorted(blocks):
        for group in _groups(blocks[key], profiles, key):
            for x, i in enumerate(group):
                for j in group[x + 1:]:
                    a, b = (i, j) if i < j else (j, i)
                    code = a * n + b
                    if code not in seen:
                        seen.add(code)
                        if not skip(a, b):
                            yield a, b


def _groups(members: list[int], profiles: Sequence[Profile], key: str) -> list[list[int]]:
    members = sorted(members)
    if len(members) <= MAX_BLOCK:
        return [members]
    by_region: dict[str, list[int]] = defaultdict(list)
    for i in members:
        by_region[profiles[i].region or ""].append(i)
    out = []
    for region, group in sorted(by_region.items()):
        if len(group) <= MAX_SUBBLOCK:
            out.append(group)
        else:
            log.info("block %s in region %s too large (%d records): not compared", key, region, len(group))
    return out
