"""Compare functions about people and places: legal representatives and operators (their names
and ID numbers, always as keyed pseudonyms), addresses, county divisions.

Most of what identifies an individual business (个体工商户) is here. Its name is unique within its
county-level division for its industry, so the same name in the same county is strong evidence,
while a bare generic name (刘记米粉店) is not. Its operator is the identity: the ID number inside
a 20-character taxpayer id or stated as 法定代表人证件号码; two people with the same name are two
people; one person may run several businesses (the 20-character ids then differ in their last two
digits). The ID number's own division code is where the person's household was registered, never
the business's region (nothing here reads it).
"""

from __future__ import annotations

from rapidfuzz.distance import Levenshtein
from rapidfuzz.fuzz import ratio

from matching import regions
from matching.identity import Profile


def rep_is_the_name(a: Profile, b: Profile) -> bool:
    """Both records are named by the legal representative's name alone (周旭红): the name and the
    representative are one piece of evidence, not two."""
    return bool(a.names and b.names) and a.rep == a.names[0].core == b.names[0].core and a.names[0].person_like


def same_legal_rep(a: Profile, b: Profile) -> float:
    """same legal representative"""
    return 1.0 if a.rep and a.rep == b.rep and not _other_persons(a, b) and not rep_is_the_name(a, b) else 0.0


def _other_persons(a: Profile, b: Profile) -> bool:
    """Both records name their representative's ID number and the numbers differ: namesakes."""
    return bool(a.persons and b.persons) and other_people(a.persons, a.checked, b.persons, b.checked)


def other_people(x: frozenset[str], x_checked: frozenset[str], y: frozenset[str], y_checked: frozenset[str]) -> bool:
    """Whether two sets of ID numbers (each with its members passing their GB 11643 check) are two
    people's: they share no number, and not only because one side knows only failing numbers
    where the other knows a passing one. A digit mistyped or two transposed always fail the check
    (the pseudonym keeps its verdict), so a failing number beside a passing one may be its
    misspelling: evidence, never a bar. Passing numbers on both sides tell two people apart, and
    so do failing ones on both (a source that never writes the check character). Decided by the
    two sides alone, so an incremental run decides as a full one does. (The clustering lifts
    the bar where both sides know only failing numbers and share a valid USCC: two typos.)"""
    return x.isdisjoint(y) and bool(x_checked) == bool(y_checked)


def different_legal_rep(a: Profile, b: Profile) -> float:
    """different legal representatives"""
    return 1.0 if a.rep and b.rep and a.rep != b.rep else 0.0


def same_person_id(a: Profile, b: Profile) -> float:
    """same legal representative ID number"""
    if not (a.persons and b.persons) or a.persons.isdisjoint(b.persons):
        return 0.0
    ta, tb = a.codes.tax20, b.codes.tax20
    # two 20-character taxpayer ids of one operator that differ: two businesses of one person
    return 0.0 if ta and tb and ta.isdisjoint(tb) else 1.0


def same_address(a: Profile, b: Profile) -> float:
    """same address"""
    if not a.address or not b.address:
        return 0.0
    return 1.0 if a.address == b.address or ratio(a.address, b.address) >= 90 else 0.0


def same_district(a: Profile, b: Profile) -> float:
    """same district"""
    return 1.0 if a.district and a.district == b.district and same_address(a, b) == 0 else 0.0


# ---------------------------------------------------------------- individual businesses only
# (``fast_score`` adds these from their declaration in ``FEATURES`` when both records are individual)


def different_operator(a: Profile, b: Profile) -> float:
    """individual businesses run by different people (ID numbers)"""
    return 1.0 if a.individual and b.individual and _other_persons(a, b) else 0.0


def same_county_name(a: Profile, b: Profile) -> float:
    """same name in the same county division"""
    if not (a.individual and b.individual and a.district and a.district == b.district and a.names and b.names):
        return 0.0
    x, y = a.names[0], b.names[0]
    if x.core != y.core or x.person_like or regions.agree(a.region, b.region) is False:
        return 0.0
    return 1.0


def named_after_operator(a: Profile, b: Profile) -> float:
    """named after its operator"""
    if not (a.individual and b.individual and a.names and b.names):
        return 0.0
    core = a.names[0].core
    if core != b.names[0].core:
        return 0.0
    return 1.0 if (a.rep and a.rep in core) or (b.rep and b.rep in core) else 0.0


def named_by_operator(a: Profile, b: Profile) -> float:
    """one is named by the other's operator"""
    # a loan to 戴勇兰, the operator of 平价洗车场; never across two 20-character ids (two businesses)
    if not (a.individual and b.individual and a.names and b.names):
        return 0.0
    if a.codes.tax20 and b.codes.tax20 and a.codes.tax20.isdisjoint(b.codes.tax20):
        return 0.0
    x, y = a.names[0], b.names[0]
    if x.core == y.core:
        return 0.0
    return 1.0 if (x.person_like and x.core == b.rep) or (y.person_like and y.core == a.rep) else 0.0


def operators_name_misspelt(a: Profile, b: Profile) -> float:
    """one operator's business, its name misspelt by one character"""
    if not (a.individual and b.individual and a.names and b.names) or not same_person_id(a, b):
        return 0.0
    x, y = a.names[0].core, b.names[0].core
    return 1.0 if x != y and len(x) == len(y) and Levenshtein.distance(x, y, score_cutoff=1) == 1 else 0.0


def different_address(a: Profile, b: Profile) -> float:
    """individual businesses at different addresses"""
    if not (a.individual and b.individual) or len(a.address) < 6 or len(b.address) < 6 or a.address == b.address:
        return 0.0
    return 0.0 if same_address(a, b) else 1.0


def generic_individual(a: Profile, b: Profile) -> float:
    """individual businesses with only a generic name in common"""
    if not (a.individual and b.individual):
        return 0.0
    if bool(a.region or a.district) != bool(b.region or b.district):
        return 0.0  # one tells no place: the name decides, if it fits one business only (see clustering)
    if a.codes.usccs & b.codes.usccs or a.codes.tax20 & b.codes.tax20 or a.codes.orgs & b.codes.orgs:
        return 0.0
    # the cheap tests first: same_address compares strings
    if same_county_name(a, b) or named_after_operator(a, b) or same_person_id(a, b) or same_legal_rep(a, b) or \
            same_address(a, b) or named_by_operator(a, b):
        return 0.0
    return 1.0


INDIVIDUAL_ONLY = (different_operator, same_county_name, named_after_operator, named_by_operator,
                   operators_name_misspelt, different_address, generic_individual)
