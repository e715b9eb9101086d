"""Compare functions and the scoring model.

Each compare function takes two profiles and returns a float (usually 0 or 1, a similarity for
names); its one-line docstring is the explanation a clerk reads. The model is data: a list of
weighted features whose contributions add up to one score.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein
from rapidfuzz.fuzz import ratio

from matching import regions
from matching.codes import Codes, any_swap
from matching.evidence import encode, render
from matching.identity import Profile
from matching.people import (
    INDIVIDUAL_ONLY,
    different_address,
    different_legal_rep,
    different_operator,
    generic_individual,
    named_after_operator,
    named_by_operator,
    operators_name_misspelt,
    other_people,
    rep_is_the_name,
    same_address,
    same_county_name,
    same_district,
    same_legal_rep,
    same_person_id,
)

Compare = Callable[[Profile, Profile], float]


def same_uscc(a: Profile, b: Profile) -> float:
    """same USCC"""
    return 1.0 if a.codes.valid_usccs & b.codes.valid_usccs else 0.0


def same_uscc_unchecked(a: Profile, b: Profile) -> float:
    """same USCC (its check character fails)"""
    if a.codes.valid_usccs & b.codes.valid_usccs:
        return 0.0
    return 1.0 if a.codes.usccs & b.codes.usccs else 0.0


def uscc_transposed(a: Profile, b: Profile) -> float:
    """USCCs differ by two transposed characters"""
    if a.codes.usccs & b.codes.usccs:
        return 0.0
    return 1.0 if any_swap(a.codes.usccs, b.codes.usccs) else 0.0


def same_org_code(a: Profile, b: Profile) -> float:
    """same organization code (the one inside the USCC)"""
    if a.codes.usccs & b.codes.usccs:
        return 0.0
    if a.codes.valid_orgs & b.codes.valid_orgs:
        return 1.0
    return 0.6 if a.codes.orgs & b.codes.orgs else 0.0


def org_code_transposed(a: Profile, b: Profile) -> float:
    """organization codes differ by two transposed characters"""
    if a.codes.orgs & b.codes.orgs or any_swap(a.codes.usccs, b.codes.usccs):
        return 0.0
    return 1.0 if any_swap(a.codes.orgs, b.codes.orgs) else 0.0


def same_reg_no(a: Profile, b: Profile) -> float:
    """same registration number"""
    if a.codes.valid_reg_nos & b.codes.valid_reg_nos:
        return 1.0
    if a.codes.reg_nos & b.codes.reg_nos:
        return 0.6
    return 1.0 if any_swap(a.codes.reg_nos, b.codes.reg_nos) else 0.0


def same_loan_card(a: Profile, b: Profile) -> float:
    """same loan card number"""
    return 1.0 if a.codes.loan_cards & b.codes.loan_cards else 0.0


def same_taxpayer20(a: Profile, b: Profile) -> float:
    """same 20-character taxpayer id"""
    return 1.0 if a.codes.tax20 & b.codes.tax20 else 0.0


def different_org_codes(a: Profile, b: Profile) -> float:
    """different valid organization codes"""
    va, vb = a.codes.valid_orgs, b.codes.valid_orgs
    if not va or not vb or va & vb or a.codes.orgs & b.codes.orgs or any_swap(a.codes.orgs, b.codes.orgs):
        return 0.0
    return 1.0


def different_reg_nos(a: Profile, b: Profile) -> float:
    """different valid registration numbers"""
    va, vb = a.codes.valid_reg_nos, b.codes.valid_reg_nos
    if not va or not vb or va & vb or any_swap(a.codes.reg_nos, b.codes.reg_nos):
        return 0.0
    return 1.0


def different_loan_cards(a: Profile, b: Profile) -> float:
    """different loan card numbers"""
    la, lb = a.codes.loan_cards, b.codes.loan_cards
    return 1.0 if la and lb and not la & lb else 0.0


def name_similarity(a: Profile, b: Profile) -> float:
    """name similarity"""
    return _best_name(a, b)[0]


def _best_name(a: Profile, b: Profile) -> tuple[float, bool]:
    best, former = 0.0, False
    for i, x in enumerate(a.names):
        for j, y in enumerate(b.names):
            # a company's core with its district is the core a file without the district writes
            # (邵东县昊智商贸, 昊智商贸); which company it is, the ambiguity rule decides
            s = 1.0 if x.core == y.core or (x.bare and x.bare == y.core) or (y.bare and y.bare == x.core) else \
                ratio(x.core, y.core) / 100.0
            if s > best or (s == best and former and i == j == 0):
                best, former = s, bool(i or j)
    return best, former


def _name_points(a: Profile, b: Profile) -> float:
    if not a.names or not b.names:
        return 0.0
    return _name_value(a, b, _best_name(a, b)[0], _tied(a, b))


def _tied(a: Profile, b: Profile) -> bool:
    """Whether an identifier (``code_evidence``) or the same person's ID number ties the pair."""
    return bool(same_person_id(a, b)) or code_evidence(a, b)


def _name_value(a: Profile, b: Profile, sim: float, tied: bool) -> float:
    if sim >= 1.0:
        return 1.0
    if len(a.core) >= (2 if tied else 4) and Levenshtein.distance(a.core, b.core, score_cutoff=1) == 1:
        # one character off: a typo, or a look-alike; other evidence decides. A short name (周旭红,
        # 孙兰: an operator's own) one character off is another person's name, unless a code or the
        # operator's ID number ties the two: then it is the same name misspelt
        return 0.45
    if sim >= 0.9:
        return 0.7
    if sim >= 0.8:
        return 0.45
    if sim >= 0.7:
        return 0.1
    return -0.6


def former_name(a: Profile, b: Profile) -> float:
    """a former name (曾用名) matches"""
    if not a.names or not b.names:
        return 0.0
    sim, former = _best_name(a, b)
    return 1.0 if former and sim >= 0.9 and a.names[0].core != b.names[0].core else 0.0


def different_legal_form(a: Profile, b: Profile) -> float:
    """different legal forms"""
    if not a.names or not b.names:
        return 0.0
    fa, fb = a.names[0].form, b.names[0].form
    return 1.0 if fa and fb and fa != fb else 0.0


def same_region(a: Profile, b: Profile) -> float:
    """same city"""
    return 1.0 if regions.agree(a.region, b.region) else 0.0


def other_region(a: Profile, b: Profile) -> float:
    """another city"""
    return 1.0 if regions.agree(a.region, b.region) is False else 0.0


def branch_and_head(a: Profile, b: Profile) -> float:
    """one is a branch, the other is not (or another branch)"""
    return 1.0 if a.branch is not None and b.branch is not None and a.branch != b.branch else 0.0


CODE_EVIDENCE = (same_uscc, same_uscc_unchecked, uscc_transposed, same_org_code, org_code_transposed, same_reg_no,
                 same_loan_card, same_taxpayer20)


def code_evidence(a: Profile, b: Profile) -> bool:
    """Whether any identifier supports the pair (else only names, people and places do)."""
    return any(f(a, b) for f in CODE_EVIDENCE)


@dataclass(frozen=True)
class Feature:
    """One weighted piece of evidence; ``label`` formats the value when it is a similarity."""

    func: Compare
    weight: float
    label: str | None = None

    @property
    def description(self) -> str:
        return (self.func.__doc__ or self.func.__name__).strip()

    @property
    def name(self) -> str:
        """How stored evidence names the feature: its compare function's name."""
        return self.func.__name__.lstrip("_")


FEATURES: tuple[Feature, ...] = (
    Feature(same_uscc, 12.0),
    Feature(same_uscc_unchecked, 8.0),
    Feature(uscc_transposed, 7.0),
    Feature(same_org_code, 8.0),
    Feature(org_code_transposed, 6.0),
    Feature(same_reg_no, 8.0),
    Feature(same_loan_card, 12.0),
    Feature(same_taxpayer20, 9.0),
    Feature(different_org_codes, -10.0),
    Feature(different_reg_nos, -5.0),
    Feature(different_loan_cards, -4.0),
    Feature(_name_points, 7.0, "name {sim:.2f}"),
    Feature(former_name, 1.0),
    Feature(different_legal_form, -4.0),
    Feature(same_region, 1.0),
    Feature(other_region, -10.0),
    Feature(same_legal_rep, 3.0),
    Feature(different_legal_rep, -2.5),
    Feature(same_person_id, 4.0),
    Feature(same_address, 2.5),
    Feature(same_district, 0.5),
    Feature(branch_and_head, -20.0),
    # individual businesses only (``INDIVIDUAL_ONLY``), last: ``fast_score`` adds them in this order
    Feature(different_operator, -6.0),
    Feature(same_county_name, 6.0),
    Feature(named_after_operator, 1.0),
    # cancels most of the name's -0.6 x 7: the names differ because one is the operator's own
    Feature(named_by_operator, 5.0),
    Feature(operators_name_misspelt, 4.0),
    Feature(different_address, -5.0),
    Feature(generic_individual, -5.0),
)

LINK_THRESHOLD = 6.0
REVIEW_THRESHOLD = 3.0


def evidence(a: Profile, b: Profile, features: tuple[Feature, ...] = FEATURES) -> tuple[float, str]:
    """The score of a pair and its evidence as data (``matching.evidence``): each fired feature
    with its contribution, strongest first; the name's with its similarity and former-name flag."""
    total, parts = 0.0, []
    for k, f in enumerate(features):
        value = f.func(a, b)
        if value:
            contribution = f.weight * value
            total += contribution
            parts.append((-abs(contribution), k, f, contribution))
    parts.sort(key=lambda p: (p[0], p[1]))
    items: list[tuple[object, ...]] = []
    for _, _, f, contribution in parts:
        if f.label:
            sim, former = _best_name(a, b)
            items.append((f.name, contribution, sim, former))
        else:
            items.append((f.name, contribution))
    return round(total, 3), encode(items)


def score(a: Profile, b: Profile, features: tuple[Feature, ...] = FEATURES) -> tuple[float, str]:
    """The score of a pair and its explanation, strongest evidence first, as a clerk reads it."""
    total, stored = evidence(a, b, features)
    return total, render(stored)


def _weight(func: Compare) -> float:
    """The weight ``FEATURES`` declares for a compare function (the fast path reads it from there)."""
    return next(f.weight for f in FEATURES if f.func is func)


W_USCC, W_USCC_UNCHECKED, W_USCC_SWAP = _weight(same_uscc), _weight(same_uscc_unchecked), _weight(uscc_transposed)
W_ORG, W_ORG_SWAP, W_REG = _weight(same_org_code), _weight(org_code_transposed), _weight(same_reg_no)
W_CARD, W_TAX20 = _weight(same_loan_card), _weight(same_taxpayer20)
W_OTHER_ORG, W_OTHER_REG, W_OTHER_CARD = (_weight(different_org_codes), _weight(different_reg_nos),
                                          _weight(different_loan_cards))
W_NAME, W_FORMER, W_FORM = _weight(_name_points), _weight(former_name), _weight(different_legal_form)
W_REGION, W_OTHER_REGION = _weight(same_region), _weight(other_region)
W_REP, W_OTHER_REP, W_PERSON = _weight(same_legal_rep), _weight(different_legal_rep), _weight(same_person_id)
W_ADDRESS, W_DISTRICT, W_BRANCH = _weight(same_address), _weight(same_district), _weight(branch_and_head)
INDIVIDUAL_FEATURES = tuple(f for f in FEATURES if f.func in INDIVIDUAL_ONLY)
assert FEATURES[-len(INDIVIDUAL_FEATURES):] == INDIVIDUAL_FEATURES, "individual-only features come last"


def fast_score(a: Profile, b: Profile) -> tuple[float, bool]:
    """``score`` without the explanation, computed inline (the same sum, feature by feature, in the
    same order, with the weights ``FEATURES`` declares), and whether an identifier supports the pair
    (``code_evidence``). The individual-business features are the declared ones, applied as declared."""
    total, evidence = _code_points(a.codes, b.codes) if a.codes.usccs or a.codes.orgs or a.codes.reg_nos or \
        a.codes.loan_cards or a.codes.tax20 else (0.0, False)
    other_persons = bool(a.persons and b.persons) and other_people(a.persons, a.checked, b.persons, b.checked)
    person = bool(a.persons and b.persons) and not a.persons.isdisjoint(b.persons) and not (
        a.codes.tax20 and b.codes.tax20 and a.codes.tax20.isdisjoint(b.codes.tax20))
    if a.names and b.names:
        sim, former = _best_name(a, b)
        total += W_NAME * _name_value(a, b, sim, evidence or person)
        if former and sim >= 0.9 and a.names[0].core != b.names[0].core:
            total += W_FORMER
        fa, fb = a.names[0].form, b.names[0].form
        if fa and fb and fa != fb:
            total += W_FORM
    agree = regions.agree(a.region, b.region)
    if agree:
        total += W_REGION
    elif agree is False:
        total += W_OTHER_REGION
    if a.rep and a.rep == b.rep and not other_persons and not rep_is_the_name(a, b):
        total += W_REP
    elif a.rep and b.rep and a.rep != b.rep:
        total += W_OTHER_REP
    if person:
        total += W_PERSON
    if same_address(a, b):
        total += W_ADDRESS
    elif a.district and a.district == b.district:
        total += W_DISTRICT
    if a.branch is not None and b.branch is not None and a.branch != b.branch:
        total += W_BRANCH
    if a.individual and b.individual:
        for f in INDIVIDUAL_FEATURES:
            value = f.func(a, b)
            if value:
                total += f.weight * value
    return round(total, 3), evidence


def _code_points(ca: Codes, cb: Codes) -> tuple[float, bool]:
    """The identifier features of ``FEATURES`` (their weights, in their order) and whether any is positive."""
    total = 0.0
    u_shared = bool(ca.usccs & cb.usccs)
    swap_u = bool(ca.usccs and cb.usccs) and any_swap(ca.usccs, cb.usccs)
    o_shared = bool(ca.orgs & cb.orgs)
    swap_o = bool(ca.orgs and cb.orgs) and any_swap(ca.orgs, cb.orgs)
    swap_r = bool(ca.reg_nos and cb.reg_nos) and any_swap(ca.reg_nos, cb.reg_nos)
    if ca.valid_usccs & cb.valid_usccs:
        total += W_USCC
    elif u_shared:
        total += W_USCC_UNCHECKED
    if not u_shared and swap_u:
        total += W_USCC_SWAP
    if not u_shared:
        total += W_ORG if ca.valid_orgs & cb.valid_orgs else W_ORG * 0.6 if o_shared else 0.0
    if not (o_shared or swap_u) and swap_o:
        total += W_ORG_SWAP
    if ca.valid_reg_nos & cb.valid_reg_nos:
        total += W_REG
    elif ca.reg_nos & cb.reg_nos:
        total += W_REG * 0.6
    elif swap_r:
        total += W_REG
    if ca.loan_cards & cb.loan_cards:
        total += W_CARD
    if ca.tax20 & cb.tax20:
        total += W_TAX20
    evidence = total > 0
    va, vb = ca.valid_orgs, cb.valid_orgs
    if va and vb and not (va & vb or o_shared or swap_o):
        total += W_OTHER_ORG
    va, vb = ca.valid_reg_nos, cb.valid_reg_nos
    if va and vb and not (va & vb or swap_r):
        total += W_OTHER_REG
    if ca.loan_cards and cb.loan_cards and not ca.loan_cards & cb.loan_cards:
        total += W_OTHER_CARD
    return total, evidence
