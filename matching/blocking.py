"""Blocking: which pairs of records are worth scoring, so that cost grows near-linearly.

Every record yields a few exact keys (codes, repaired codes, the name core, legal representative
with a character of the trade name, the legal representative's ID number, the address). Records
sharing a key are candidates. A block too large to compare all pairs (a generic name like 刘记米粉店) is split by
region first (and individual businesses by county).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from hashlib import blake2b

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
        # a generic individual name (刘记米粉店) is a large block, split by region (see ``_groups``)
        if n.core:
            keys.add("n:" + n.core)
        if n.bare:  # 邵东县昊智商贸 meets 昊智商贸: the ambiguity rule must see both companies
            keys.add("n:" + n.bare)
    if p.rep and p.names and p.names[0].trade:
        trade = p.names[0].trade
        keys.add("p:" + p.rep + trade[0])
        keys.add("q:" + p.rep + trade[-1])
    if p.individual or p.codes.tax20:
        # an individual business's operator id ties its generic-named records together; companies
        # have codes for that, and their representatives' ids would only widen blocks (and the
        # neighbourhood an incremental run must revisit) for little recall
        keys.update("i:" + x for x in p.persons)
        if p.district:
            # its name is unique within its county division: (county, name core) meets its
            # records however the division is written; its operator's name with the county too
            keys.update("d:" + p.district + "|" + n.core for n in p.names if n.core)
            if p.rep:
                keys.add("m:" + p.district + "|" + p.rep)
        # a business known only by its operator's name (周旭红), wherever it is written
        keys.update("o:" + n.core for n in p.names if n.person_like)
    if len(p.address) >= 6:
        keys.add("a:" + p.address)
    return keys


def key_hash(key: str) -> int:
    """A signed 64-bit hash of a blocking key (what ``match_keys`` stores)."""
    return int.from_bytes(blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


def key_hashes(p: Profile) -> tuple[int, ...]:
    """The hashed blocking keys of one record, sorted (blocks and ``match_keys`` use these)."""
    return tuple(sorted({key_hash(k) for k in keys_of(p)}))


def build_blocks(keys: Sequence[Iterable[int]], part: int = 0, parts: int = 1) -> dict[int, list[int]]:
    """Records (by index) sharing each key, only keys shared by two or more records; only the
    keys of one part (``key % parts == part``) when the work is split."""
    first: dict[int, int] = {}
    blocks: dict[int, list[int]] = {}
    for i, ks in enumerate(keys):
        for k in ks:
            if parts > 1 and k % parts != part:
                continue
            j = first.setdefault(k, i)
            if j != i:
                if k in blocks:
                    blocks[k].append(i)
                else:
                    blocks[k] = [j, i]
    return blocks


def block_groups(blocks: dict[int, list[int]], profiles: Sequence[Profile]) -> list[list[int]]:
    """The groups of records whose pairs are candidates, each sorted: a block, or a block too
    large to compare all pairs split by region. Every pair (i < j) of a group is a candidate."""
    out: list[list[int]] = []
    for key in sorted(blocks):
        members = blocks[key]  # ascending already (``build_blocks`` adds records in order)
        if len(members) <= MAX_BLOCK:
            out.append(members)
        else:
            out.extend(_groups(members, profiles, key))
    return out


def _groups(members: list[int], profiles: Sequence[Profile], key: int) -> list[list[int]]:
    members = sorted(members)
    if len(members) <= MAX_BLOCK:
        return [members]
    by_region: dict[str, list[int]] = defaultdict(list)
    for i in members:
        p = profiles[i]
        # an individual business's name is unique within its county: split its blocks by county too
        by_region[(p.region or "") + ("|" + p.district if p.individual and p.district else "")].append(i)
    # a record that tells no place may be in any: a few such meet every place's group (many such
    # decide nothing by their name and are not compared by it)
    nowhere = by_region.pop("", [])
    if len(nowhere) > MAX_BLOCK:
        log.info("block %s: %d records with no place, not compared by it", key, len(nowhere))
        nowhere = []
    out = [nowhere] if len(nowhere) > 1 else []
    for region, group in sorted(by_region.items()):
        if len(group) <= MAX_SUBBLOCK:
            out.append(sorted(group + nowhere) if nowhere else group)
        else:
            log.info("block %s in region %s too large (%d records): not compared", key, region, len(group))
    return out
