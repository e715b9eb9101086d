"""Clustering: union-find over positive edges, strongest first, with cannot-link constraints.

Must-links (a person judged two records the same) are applied first and unconditionally.
Cannot-links keep two components apart whatever the score: two different valid USCCs, a branch
and its head office (or two different branches), and a person's judgement that two are different.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from matching.identity import Profile


@dataclass
class _Component:
    usccs: set[str]
    branches: set[str]
    forbidden: set[int] = field(default_factory=set)


class Clusters:
    """Union-find whose components remember what they may not be merged with."""

    def __init__(self, profiles: Sequence[Profile]) -> None:
        self.parent = list(range(len(profiles)))
        self.comp: dict[int, _Component] = {}
        for i, p in enumerate(profiles):
            branches = {p.branch} if p.branch is not None else set()
            if p.codes.valid_usccs or branches:
                self.comp[i] = _Component(set(p.codes.valid_usccs), branches)

    def find(self, i: int) -> int:
        parent = self.parent
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:
            parent[i], i = root, parent[i]
        return root

    def forbid(self, i: int, j: int) -> None:
        """A cannot-link between the components of records i and j."""
        ri, rj = self.find(i), self.find(j)
        self._comp(ri).forbidden.add(j)
        self._comp(rj).forbidden.add(i)

    def _comp(self, root: int) -> _Component:
        if root not in self.comp:
            self.comp[root] = _Component(set(), set())
        return self.comp[root]

    def conflict(self, ri: int, rj: int) -> bool:
        a, b = self.comp.get(ri), self.comp.get(rj)
        if a is None or b is None:
            return False
        if a.usccs and b.usccs and not a.usccs & b.usccs:
            return True
        if a.branches and b.branches and not a.branches & b.branches:
            return True
        return any(self.find(x) == rj for x in a.forbidden) or any(self.find(x) == ri for x in b.forbidden)

    def union(self, i: int, j: int, force: bool = False) -> bool:
        """Merge the components of i and j unless a constraint forbids it (or ``force``)."""
        ri, rj = self.find(i), self.find(j)
        if ri == rj:
            return False
        if not force and self.conflict(ri, rj):
            return False
        a, b = self.comp.pop(ri, None), self.comp.pop(rj, None)
        if ri > rj:
            ri, rj = rj, ri
        self.parent[rj] = ri
        if a or b:
            merged = _Component(set(), set())
            for c in (a, b):
                if c:
                    merged.usccs |= c.usccs
                    merged.branches |= c.branches
                    merged.forbidden |= c.forbidden
            self.comp[ri] = merged
        return True

    def groups(self) -> list[list[int]]:
        """Components as sorted lists of record indices, ordered by their first member."""
        out: dict[int, list[int]] = {}
        for i in range(len(self.parent)):
            out.setdefault(self.find(i), []).append(i)
        return sorted(out.values(), key=lambda g: g[0])


Edge = tuple[float, int, int, str, bool]  # score, i, j, explanation, weak (no identifier supports it)


def start_clusters(profiles: Sequence[Profile], must: Iterable[tuple[int, int]],
                   cannot: Iterable[tuple[int, int]]) -> tuple[Clusters, dict[int, Edge]]:
    """Judgements first (must-links unconditionally), then records sharing a valid USCC or a
    loan card number, which need no scoring: an identifier settles them (constraints permitting)."""
    uf = Clusters(profiles)
    linked_by: dict[int, Edge] = {}
    for i, j in sorted(must):
        if uf.union(i, j, force=True):
            _note(linked_by, (100.0, i, j, "judged the same by a person", False))
    for i, j in sorted(cannot):
        uf.forbid(i, j)
    groups: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(profiles):
        for u in p.codes.valid_usccs:
            groups["same USCC " + u].append(i)
        for card in p.codes.loan_cards:
            groups["same loan card number " + card].append(i)
    for label in sorted(groups):
        members = groups[label]
        for j in members[1:]:
            if uf.union(members[0], j):
                _note(linked_by, (IDENTIFIER_SCORE, members[0], j, label.rsplit(" ", 1)[0], False))
    return uf, linked_by


IDENTIFIER_SCORE = 50.0


def _note(linked_by: dict[int, Edge], edge: Edge) -> None:
    for k in (edge[1], edge[2]):
        if k not in linked_by or linked_by[k][0] < edge[0]:
            linked_by[k] = edge


def cluster(uf: Clusters, edges: Iterable[Edge], threshold: float, linked_by: dict[int, Edge]) -> dict[int, Edge]:
    """Merge along scored edges, strongest first, where no constraint forbids; the linking edges."""
    out = dict(linked_by)
    ranked = sorted((e for e in edges if e[0] >= threshold), key=lambda e: (-e[0], e[1], e[2]))
    for edge in ranked:
        if not edge[4] and uf.union(edge[1], edge[2]):
            _note(out, edge)
    weak = [e for e in ranked if e[4]]
    ambiguous = _ambiguous(uf, weak)
    for edge in weak:
        if edge[1] not in ambiguous and edge[2] not in ambiguous and uf.union(edge[1], edge[2]):
            _note(out, edge)
    return out


AMBIGUITY_MARGIN = 2.5


def _ambiguous(uf: Clusters, weak: list[Edge]) -> set[int]:
    """Records whose name-based evidence fits two enterprises known by different USCCs about
    equally well: the name matches more than one company, so it decides nothing."""
    best: dict[int, dict[int, float]] = defaultdict(dict)
    for s, i, j, _, _ in weak:
        for a, b in ((i, j), (j, i)):
            root = uf.find(b)
            comp = uf.comp.get(root)
            if comp is not None and comp.usccs and root != uf.find(a):
                best[a][root] = max(best[a].get(root, s), s)
    out = set()
    for i, roots in best.items():
        if len(roots) > 1:
            top = sorted(roots.values(), reverse=True)
            if top[1] >= top[0] - AMBIGUITY_MARGIN:
                out.add(i)
    return out
