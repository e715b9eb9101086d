"""Clustering: union-find over positive edges, strongest first, with cannot-link constraints.

Must-links (a person judged two records the same) are applied first and unconditionally.
Cannot-links keep two components apart whatever the score: two different valid USCCs, two different
20-character taxpayer ids (their ID numbers passing the check: two businesses, of one person or two), two
different valid organization codes (not one swap apart), individual businesses run by different
people (operator ID numbers, as stated or as read from a 20-character taxpayer id, unless one
side's number fails its check where the other's passes: a mistyped number is no other person; or
both sides' numbers fail and they share a valid USCC: two typos of one number), a branch and
its head office (or two different branches), and a person's judgement that two are different.
Name-only evidence (an edge no identifier supports) also never joins components known to be in
other cities, nor individual businesses known to be in other districts or at other addresses: a
record with a name and nothing else would otherwise chain two namesakes together.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from credit.kernel.identifiers import gb11643_valid
from matching import regions
from matching.codes import any_swap
from matching.evidence import reason
from matching.identity import Profile
from matching.people import other_people

_NONE: frozenset[str] = frozenset()

# what a component knows about itself, one set per kind (None: nothing known), by position
USCCS, ORGS, OPERATORS, BRANCHES, FORBIDDEN, REGIONS, DISTRICTS, ADDRESSES, CHECKED, TAX20S = range(10)
Facts = list  # [frozenset | None] * 10


class Clusters:
    """Union-find whose components remember what they may not be merged with.

    Per root, a list of facts (None where nothing is known): the valid USCCs, the valid
    organization codes, the operators of its individual businesses (ID numbers), the branch parts
    (``""`` the head office), the records it is judged different from, its regions and its
    individual businesses' districts and addresses. Sets are shared with the profiles (one set per region,
    district or branch part) until two components merge."""

    def __init__(self, profiles: Sequence[Profile]) -> None:
        self.parent = list(range(len(profiles)))
        self.facts: list[Facts | None] = [None] * len(profiles)
        shared: dict[tuple[str, str], frozenset[str]] = {}
        for i, p in enumerate(profiles):
            codes = p.codes
            facts = [
                codes.valid_usccs or None,
                codes.valid_orgs or None,
                p.persons if p.individual and p.persons else None,
                _one(shared, "branch", p.branch) if p.branch is not None else None,
                None,
                _one(shared, "region", p.region) if p.region else None,
                _one(shared, "district", p.district) if p.individual and p.district else None,
                _one(shared, "address", _street(p.address)) if p.individual and len(p.address) >= 6 else None,
                p.checked if p.individual and p.checked else None,
                _tax20s(p.codes.tax20) if p.codes.tax20 else None,
            ]
            if any(facts):
                self.facts[i] = facts

    def find(self, i: int) -> int:
        parent = self.parent
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:
            parent[i], i = root, parent[i]
        return root

    def _facts(self, root: int) -> Facts:
        facts = self.facts[root]
        if facts is None:
            facts = self.facts[root] = [None] * 10
        return facts

    def forbid(self, i: int, j: int) -> None:
        """A cannot-link between the components of records i and j."""
        ri, rj = self.find(i), self.find(j)
        fi, fj = self._facts(ri), self._facts(rj)
        fi[FORBIDDEN] = (fi[FORBIDDEN] or frozenset()) | {j}
        fj[FORBIDDEN] = (fj[FORBIDDEN] or frozenset()) | {i}

    def conflict(self, ri: int, rj: int) -> bool:
        a, b = self.facts[ri], self.facts[rj]
        if a is None or b is None:
            return False
        for kind in (USCCS, BRANCHES, TAX20S):
            x, y = a[kind], b[kind]
            if x and y and x.isdisjoint(y):
                return True
        x, y = a[OPERATORS], b[OPERATORS]
        if x and y and other_people(x, a[CHECKED] or _NONE, y, b[CHECKED] or _NONE) and not (
                not a[CHECKED] and _shared(a[USCCS], b[USCCS])):
            # (other_people: then neither side knows a passing number) two numbers both failing
            # their check under one valid USCC are two clerks' typos of one number
            return True
        x, y = a[ORGS], b[ORGS]
        if x and y and x.isdisjoint(y) and not any_swap(x, y):
            return True
        fa, fb = a[FORBIDDEN] or (), b[FORBIDDEN] or ()
        return any(self.find(x) == rj for x in fa) or any(self.find(x) == ri for x in fb)

    def union(self, i: int, j: int, force: bool = False) -> bool:
        """Merge the components of i and j unless a constraint forbids it (or ``force``)."""
        ri, rj = self.find(i), self.find(j)
        if ri == rj:
            return False
        if not force and self.conflict(ri, rj):
            return False
        if ri > rj:
            ri, rj = rj, ri
        self.parent[rj] = ri
        gone = self.facts[rj]
        if gone is not None:
            self.facts[rj] = None
            kept = self.facts[ri]
            self.facts[ri] = gone if kept is None else [_merged(a, b) for a, b in zip(kept, gone)]
        return True

    def other_places(self, i: int, j: int) -> bool:
        """Whether the components of i and j are known to be in places that disagree (no region of
        one agrees with a region of the other, each taken as finely as it is known): names alone do
        not bring them together."""
        a, b = self.facts[self.find(i)], self.facts[self.find(j)]
        if a is None or b is None:
            return False
        x, y = a[REGIONS], b[REGIONS]
        # the finest each knows: a province (湖南) said by one record agrees with every city in it
        if x and y and not any(regions.agree(r, q) for r in regions.finest_of(x) for q in regions.finest_of(y)):
            return True
        for kind in (DISTRICTS, ADDRESSES):  # individual businesses: their county, their shop's address
            x, y = a[kind], b[kind]
            if x and y and x.isdisjoint(y):
                return True
        return False

    def groups(self) -> list[list[int]]:
        """Components as sorted lists of record indices, ordered by their first member."""
        out: dict[int, list[int]] = {}
        for i in range(len(self.parent)):
            out.setdefault(self.find(i), []).append(i)
        return sorted(out.values(), key=lambda g: g[0])


def _shared(x: frozenset[str] | None, y: frozenset[str] | None) -> bool:
    """Whether two components' sets of one kind have a member in common."""
    return bool(x and y and not x.isdisjoint(y))


def _street(address: str) -> str:
    """An address without its province, city and county (written with or without them)."""
    return regions.street(address)


def _tax20s(codes: frozenset[str]) -> frozenset[str] | None:
    """The 20-character taxpayer ids that name one business for certain: the operator's ID number
    passing its check, two digits after it. Two of them that differ are two businesses (of one
    person, or of two); a garbled one is evidence only."""
    found = frozenset(t for t in codes if t[18:].isdigit() and gb11643_valid(t[:18]))
    return found or None


def _one(shared: dict[tuple[str, str], frozenset[str]], kind: str, value: str) -> frozenset[str]:
    """One shared set for each value of a kind (region, district, branch part)."""
    found = shared.get((kind, value))
    if found is None:
        found = shared[(kind, value)] = frozenset((value,))
    return found


def _merged(a: frozenset | None, b: frozenset | None) -> frozenset | None:  # type: ignore[type-arg]
    """The union of two components' sets of one kind (sharing a set where one holds the other)."""
    if not b:
        return a
    return b if not a or a <= b else a if b <= a else a | b


Edge = tuple[float, int, int, str, bool]  # score, i, j, evidence (matching.evidence), weak (no identifier supports it)


def start_clusters(profiles: Sequence[Profile], must: Iterable[tuple[int, int]],
                   cannot: Iterable[tuple[int, int]]) -> tuple[Clusters, dict[int, Edge]]:
    """Judgements first (must-links unconditionally), then records sharing a valid USCC or a
    loan card number, which need no scoring: an identifier settles them (constraints permitting)."""
    uf = Clusters(profiles)
    linked_by: dict[int, Edge] = {}
    for i, j in sorted(must):
        if uf.union(i, j, force=True):
            _note(linked_by, (100.0, i, j, reason("judgement"), False))
    for i, j in sorted(cannot):
        uf.forbid(i, j)
    by_uscc: dict[str, list[int]] = defaultdict(list)
    by_card: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(profiles):
        for u in p.codes.valid_usccs:
            by_uscc[u].append(i)
        for card in p.codes.loan_cards:
            by_card[card].append(i)
    for label, groups in ((reason("uscc"), by_uscc), (reason("loan_card"), by_card)):
        for code in sorted(c for c, m in groups.items() if len(m) > 1):
            members = groups[code]
            for j in members[1:]:
                if uf.union(members[0], j):
                    _note(linked_by, (IDENTIFIER_SCORE, members[0], j, label, False))
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
        i, j = edge[1], edge[2]
        if i not in ambiguous and j not in ambiguous and not uf.other_places(i, j) and uf.union(i, j):
            _note(out, edge)
    return out


AMBIGUITY_MARGIN = 2.5


def _ambiguous(uf: Clusters, weak: list[Edge]) -> set[int]:
    """Records whose name-based evidence fits two enterprises that cannot be one (different USCCs,
    different places) about equally well: the name matches more than one business, so it decides
    nothing. An enterprise the record could never join (another operator's ID number, another
    place than its own) is no candidate: 范云明's rating under his own ID number fits the one
    范云明 whose number is not known, not the namesake whose number differs."""
    best: dict[int, dict[int, float]] = defaultdict(dict)
    for s, i, j, _, _ in weak:
        for a, b in ((i, j), (j, i)):
            root, own = uf.find(b), uf.find(a)
            if root != own and not uf.conflict(own, root) and not uf.other_places(a, b):
                best[a][root] = max(best[a].get(root, s), s)
    out = set()
    for i, roots in best.items():
        if len(roots) < 2:
            continue
        ranked = sorted(roots.items(), key=lambda r: -r[1])
        top_root, top = ranked[0]
        for root, s in ranked[1:]:
            if s < top - AMBIGUITY_MARGIN:
                break
            if uf.conflict(top_root, root) or uf.other_places(top_root, root):
                out.add(i)
                break
    return out
