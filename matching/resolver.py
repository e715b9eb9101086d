"""The resolver, pure: records + existing assignment + judgements → assignment, events, reviews.

No database here (see ``store``). The answer depends only on the set of records, never on their
order: records are sorted by key first and every later step is deterministic.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

from matching.blocking import build_blocks, candidate_pairs, keys_of
from matching.clustering import Clusters, Edge, cluster, start_clusters
from matching.features import LINK_THRESHOLD, REVIEW_THRESHOLD, code_evidence, score
from matching.identity import IdentityRecord, Key, Profile, profile

log = logging.getLogger(__name__)

SAME, DIFFERENT = "same", "different"


@dataclass(frozen=True)
class Judgement:
    """A person's verdict on two records; the latest one on a pair is the one that counts."""

    left: Key
    right: Key
    verdict: str  # same | different


@dataclass(frozen=True)
class Event:
    """new: a new enterprise; merge: enterprise_id merged into other_id; split: other_id split off."""

    kind: str
    enterprise_id: int
    other_id: int | None = None
    detail: str = ""


@dataclass(frozen=True)
class Review:
    """An uncertain pair for a person to judge."""

    left: Key
    right: Key
    score: float
    explanation: str
    left_summary: str
    right_summary: str


@dataclass
class Resolution:
    """What one resolution decided."""

    assignment: dict[Key, int]
    links: dict[Key, tuple[float | None, str]]
    events: list[Event]
    reviews: list[Review]
    block_keys: dict[Key, set[str]] = field(default_factory=dict)
    next_id: int = 1

    def count(self, kind: str) -> int:
        return sum(1 for e in self.events if e.kind == kind)


def resolve_records(records: Iterable[IdentityRecord], previous: Mapping[Key, int],
                    judgements: Sequence[Judgement] = (), next_id: int = 1) -> Resolution:
    """Resolve records into enterprises, keeping previous ids where records stayed together."""
    recs = sorted(records, key=lambda r: r.key)
    profiles = [profile(r) for r in recs]
    index = {p.key: i for i, p in enumerate(profiles)}
    keys = [keys_of(p) for p in profiles]
    must, cannot, judged = _judgements(judgements, index)
    uf, linked_by = start_clusters(profiles, must, cannot)
    edges = _score_pairs(profiles, build_blocks(keys), judged, uf)
    linked_by.update(cluster(uf, edges, LINK_THRESHOLD, linked_by))
    groups = uf.groups()
    ids, events, next_id = assign_ids([[profiles[i].key for i in g] for g in groups], previous, next_id)
    assignment, links = {}, {}
    for g, eid in zip(groups, ids):
        for i in g:
            assignment[profiles[i].key] = eid
            edge = linked_by.get(i)
            links[profiles[i].key] = (edge[0], edge[3]) if edge else (None, "no other record matches")
    reviews = _reviews(edges, uf, profiles, judged)
    return Resolution(assignment, links, events, reviews, {p.key: k for p, k in zip(profiles, keys)}, next_id)


def _judgements(judgements: Sequence[Judgement], index: Mapping[Key, int]
                ) -> tuple[list[tuple[int, int]], list[tuple[int, int]], set[tuple[int, int]]]:
    latest: dict[tuple[int, int], str] = {}
    for j in judgements:
        if j.left in index and j.right in index and j.left != j.right:
            a, b = sorted((index[j.left], index[j.right]))
            latest[(a, b)] = j.verdict
    must = [p for p, v in latest.items() if v == SAME]
    cannot = [p for p, v in latest.items() if v == DIFFERENT]
    return must, cannot, set(latest)


def _score_pairs(profiles: Sequence[Profile], blocks: dict[str, list[int]],
                 judged: set[tuple[int, int]], uf: Clusters) -> list[Edge]:
    """Score the candidate pairs not already settled by an identifier or a judgement."""
    edges: list[Edge] = []
    find = uf.find
    for i, j in candidate_pairs(blocks, profiles, lambda a, b: find(a) == find(b)):
        if (i, j) in judged:
            continue
        s, why = score(profiles[i], profiles[j], explain_from=REVIEW_THRESHOLD)
        if s >= REVIEW_THRESHOLD:
            edges.append((s, i, j, why, s >= LINK_THRESHOLD and not code_evidence(profiles[i], profiles[j])))
    return edges


def _reviews(edges: list[Edge], uf: Clusters, profiles: Sequence[Profile],
             judged: set[tuple[int, int]]) -> list[Review]:
    """Uncertain pairs between clusters that could still be merged, the best pair per two clusters."""
    best: dict[tuple[int, int], Edge] = {}
    for e in edges:
        s, i, j = e[:3]
        if s >= LINK_THRESHOLD or (i, j) in judged:
            continue
        ri, rj = uf.find(i), uf.find(j)
        if ri == rj or uf.conflict(ri, rj):
            continue
        pair = (min(ri, rj), max(ri, rj))
        if pair not in best or (-best[pair][0], best[pair][1], best[pair][2]) > (-s, i, j):
            best[pair] = e
    out = []
    for s, i, j, why, _ in sorted(best.values(), key=lambda e: (-e[0], e[1], e[2])):
        a, b = profiles[i], profiles[j]
        out.append(Review(a.key, b.key, s, why, a.summary, b.summary))
    return out


def assign_ids(groups: list[list[Key]], previous: Mapping[Key, int], next_id: int
               ) -> tuple[list[int], list[Event], int]:
    """Give each group a stable id: the old id holding most of its records, else a new one."""
    counts = [Counter(previous[k] for k in g if k in previous) for g in groups]
    ranked = sorted((-n, old, gi) for gi, c in enumerate(counts) for old, n in c.items())
    ids: list[int | None] = [None] * len(groups)
    taken: dict[int, int] = {}
    for _, old, gi in ranked:
        if ids[gi] is None and old not in taken:
            ids[gi], taken[old] = old, gi
    events: list[Event] = []
    for gi, c in enumerate(counts):
        if ids[gi] is None:
            ids[gi], next_id = next_id, next_id + 1
            if not c:
                events.append(Event("new", ids[gi]))  # type: ignore[arg-type]
    final = [int(x) for x in ids]  # type: ignore[arg-type]
    events += _merges_and_splits(counts, final, taken)
    return final, events, next_id


def _merges_and_splits(counts: list[Counter[int]], ids: list[int], taken: dict[int, int]) -> list[Event]:
    parts: dict[int, list[tuple[int, int]]] = defaultdict(list)  # old id -> [(count, group)]
    for gi, c in enumerate(counts):
        for old, n in c.items():
            parts[old].append((n, gi))
    events = []
    for old in sorted(parts):
        if old not in taken:
            _, gi = min(parts[old], key=lambda p: (-p[0], ids[p[1]]))
            events.append(Event("merge", old, ids[gi], f"{sum(n for n, _ in parts[old])} records"))
            continue
        for n, gi in sorted(parts[old], key=lambda p: ids[p[1]]):
            if gi != taken[old]:
                events.append(Event("split", old, ids[gi], f"{n} records"))
    return events
