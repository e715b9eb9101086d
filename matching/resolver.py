"""The resolver, pure: records + existing assignment + judgements → assignment, events, reviews.

No database here (see ``store``). The answer depends only on the set of records, never on their
order: records are sorted by key first and every later step is deterministic.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from matching.blocking import block_groups, build_blocks, key_hashes
from matching.clustering import Clusters, Edge, cluster, start_clusters
from matching.evidence import reason
from matching.features import LINK_THRESHOLD, REVIEW_THRESHOLD, evidence, fast_score
from matching.identity import IdentityRecord, Key, Profile, clear_caches, profile
from matching.kinds import EventKind, Verdict
from matching.parallel import fork_map, fork_parts

log = logging.getLogger(__name__)

SAME, DIFFERENT = Verdict.SAME, Verdict.DIFFERENT
ALONE = reason("alone")


@dataclass(frozen=True)
class Judgement:
    """A person's verdict on two records; the latest one on a pair is the one that counts."""

    left: Key
    right: Key
    verdict: Verdict


@dataclass(frozen=True)
class Event:
    """new: a new enterprise; merge: enterprise_id merged into other_id; split: other_id split off."""

    kind: EventKind
    enterprise_id: int
    other_id: int | None = None
    detail: str = ""


@dataclass(frozen=True)
class Review:
    """An uncertain pair for a person to judge."""

    left: Key
    right: Key
    score: float
    explanation: str  # stored evidence (matching.evidence); ``evidence.render`` gives the sentence
    left_summary: str
    right_summary: str


@dataclass
class Resolution:
    """What one resolution decided."""

    assignment: dict[Key, int]
    links: dict[Key, tuple[float | None, str]]
    events: list[Event]
    reviews: list[Review]
    block_keys: dict[Key, tuple[int, ...]] = field(default_factory=dict)  # hashed blocking keys
    next_id: int = 1

    def count(self, kind: EventKind) -> int:
        return sum(1 for e in self.events if e.kind == kind)


def resolve_records(records: Iterable[IdentityRecord], previous: Mapping[Key, int],
                    judgements: Sequence[Judgement] = (), next_id: int = 1,
                    profiles_known: Mapping[Key, Profile] | None = None,
                    hashes_known: Mapping[Key, tuple[int, ...]] | None = None,
                    keys_ready: Callable[[list[Key], Sequence[tuple[int, ...]]], None] | None = None) -> Resolution:
    """Resolve records into enterprises, keeping previous ids where records stayed together
    (``profiles_known``, ``hashes_known``: profiles and blocking-key hashes already derived from
    the same records, by key; ``keys_ready``: told every record's key, in key order, and its
    blocking-key hashes once the pairs are scored, before the steps this process does alone)."""
    clock = Clock()
    recs = sorted(records, key=lambda r: r.key)
    known, known_hashes = profiles_known or {}, hashes_known or {}
    profiles = [known.get(r.key) or profile(r) for r in recs]
    del recs
    clear_caches()
    clock.lap("profiles")
    index = {p.key: i for i, p in enumerate(profiles)} if judgements else {}
    if known_hashes:
        todo = [p for p in profiles if p.key not in known_hashes]
        derived = dict(zip((p.key for p in todo), fork_map(key_hashes, todo)))
        keys = [known_hashes[p.key] if p.key in known_hashes else derived[p.key] for p in profiles]
    else:
        keys = fork_map(key_hashes, profiles)
    clock.lap("blocking keys")
    must, cannot, judged = _judgements(judgements, index)
    uf, linked_by = start_clusters(profiles, must, cannot)
    clock.lap("identifier clusters")
    edges = _score_pairs(profiles, keys, judged, uf)
    clock.lap(f"scoring ({len(edges)} edges)")
    if keys_ready is not None:  # (now: the steps that follow run in this process alone)
        keys_ready([p.key for p in profiles], keys)
    linked_by.update(cluster(uf, edges, LINK_THRESHOLD, linked_by))
    groups = uf.groups()
    clock.lap("clustering")
    ids, events, next_id = assign_ids([[profiles[i].key for i in g] for g in groups], previous, next_id)
    clock.lap("stable ids")
    assignment, links = _assignment(groups, ids, profiles, linked_by)
    clock.lap("explanations")
    reviews = _reviews(edges, uf, profiles, judged)
    clock.lap(f"{len(reviews)} reviews")
    return Resolution(assignment, links, events, reviews, {p.key: k for p, k in zip(profiles, keys)}, next_id)


def _assignment(groups: list[list[int]], ids: list[int], profiles: Sequence[Profile], linked_by: dict[int, Edge]
                ) -> tuple[dict[Key, int], dict[Key, tuple[float | None, str]]]:
    """Each record's enterprise id, and the score and evidence of the edge that linked it."""
    scored = sorted({(e[1], e[2]) for e in linked_by.values() if not e[3]})
    whys = fork_map(lambda p: evidence(profiles[p[0]], profiles[p[1]])[1], scored)
    explained = dict(zip(scored, whys))
    enterprise_of = [0] * len(profiles)
    for g, eid in zip(groups, ids):
        for i in g:
            enterprise_of[i] = eid
    # in the profiles' order, which is the records' keys' (what writes them sorts them by: a sort of
    # keys already in order costs one pass)
    assignment: dict[Key, int] = {}
    links: dict[Key, tuple[float | None, str]] = {}
    for i, p in enumerate(profiles):
        key = p.key
        assignment[key] = enterprise_of[i]
        edge = linked_by.get(i)
        if edge is None:
            links[key] = (None, ALONE)
        else:
            links[key] = (edge[0], edge[3] or explained[edge[1], edge[2]])
    return assignment, links


class Clock:
    """Logs how long each step of a resolution took: wall clock, and this process's CPU time (on a
    shared machine the figure other load moves least; forked helpers' time is not in it)."""

    def __init__(self) -> None:
        self.t, self.cpu = time.perf_counter(), time.process_time()

    def lap(self, what: str) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        log.info("resolve: %s %.1fs (CPU %.1fs)", what, now - self.t, cpu - self.cpu)
        self.t, self.cpu = now, cpu


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


def _score_pairs(profiles: Sequence[Profile], keys: Sequence[tuple[int, ...]],
                 judged: set[tuple[int, int]], uf: Clusters) -> list[Edge]:
    """Score the candidate pairs not already settled by an identifier or a judgement. With two
    processes, each takes the blocks of half the keys; a pair blocked in both is kept once."""
    roots = [uf.find(i) for i in range(len(profiles))]  # the clusters do not change while scoring
    n = len(profiles)

    def score_part(part: int, parts: int) -> list[tuple[float, int, int, bool]]:
        out, seen = [], set()
        for group in block_groups(build_blocks(keys, part, parts), profiles):
            for x, i in enumerate(group):
                root = roots[i]
                for j in group[x + 1:]:
                    if roots[j] == root:
                        continue
                    code = i * n + j
                    if code in seen or (judged and (i, j) in judged):
                        continue
                    seen.add(code)
                    s, evidence = fast_score(profiles[i], profiles[j])
                    if s >= REVIEW_THRESHOLD:
                        out.append((s, i, j, evidence))
        return out

    scored = {(i, j): (s, evidence) for s, i, j, evidence in fork_parts(score_part, n)}
    # explained only when used (a link or a review)
    return [(s, i, j, "", s >= LINK_THRESHOLD and not evidence) for (i, j), (s, evidence) in scored.items()]


def _explain(edge: Edge, profiles: Sequence[Profile]) -> str:
    """The evidence of an edge: given (identifier, judgement) or that of its score."""
    return edge[3] or evidence(profiles[edge[1]], profiles[edge[2]])[1]


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
    for e in sorted(best.values(), key=lambda e: (-e[0], e[1], e[2])):
        a, b = profiles[e[1]], profiles[e[2]]
        out.append(Review(a.key, b.key, e[0], _explain(e, profiles), a.summary, b.summary))
    return out


_NONE: Counter[int] = Counter()  # shared, never changed: no previous ids


def assign_ids(groups: list[list[Key]], previous: Mapping[Key, int], next_id: int
               ) -> tuple[list[int], list[Event], int]:
    """Give each group a stable id: the old id holding most of its records, else a new one."""
    counts = [Counter(previous[k] for k in g if k in previous) if previous else _NONE for g in groups]
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
                events.append(Event(EventKind.NEW, next_id - 1))
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
            events.append(Event(EventKind.MERGE, old, ids[gi], f"{sum(n for n, _ in parts[old])} records"))
            continue
        for n, gi in sorted(parts[old], key=lambda p: ids[p[1]]):
            if gi != taken[old]:
                events.append(Event(EventKind.SPLIT, old, ids[gi], f"{n} records"))
    return events
