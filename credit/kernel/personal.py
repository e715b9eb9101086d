"""Which stored values are personal data, and the form each takes at rest.

Personal: every value of a column the catalog marks ``personal: true`` (ID numbers; phone numbers
when a type has them), and any 20-character value of a code column (an individual business's
taxpayer id: its operator's ID number plus two digits), whatever column it was written in.

At rest a personal value is sealed (``credit.kernel.keys``: AES-GCM, key id and public mask beside
it) in the normalised fields and the raw row, and its identity column, which matching reads,
holds a keyed pseudonym of the same shape: ``legal_rep_id`` 17 digits + a GB 11643 check
character from HMAC(index key, ID number); a 20-character taxpayer id the pseudonym of its first
18 characters + its last two. Equal numbers give equal pseudonyms, so matching needs no change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from credit.kernel.catalog import CODE_TYPES, IDENTITY_ROLES, Column, RecordType, load_catalog
from credit.kernel.identifiers import mask_id_number
from credit.kernel.keys import KeyStore, individual_code_pseudonym, is_sealed, person_pseudonym

INDIVIDUAL_CODE_LENGTH = 20
CODE_ROLES = ("uscc", "reg_no", "org_code", "taxpayer_id", "loan_card_no")
PERSON_ROLE = "legal_rep_id"
# identity tuple positions (IDENTITY_ROLES order) of the columns that can carry a person
PERSON_POS = IDENTITY_ROLES.index(PERSON_ROLE)
CODE_POS = tuple(IDENTITY_ROLES.index(r) for r in CODE_ROLES)
# free text that looks like an ID number (18) or an individual taxpayer id (20), for error paths
_ID_LIKE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?:\d{2})?(?![0-9A-Za-z])")


def mask_kind(col: Column) -> str:
    """How a personal column is masked: id_number, phone, or redact (every character a star)."""
    return col.type if col.type in ("id_number", "phone") else "redact"


def is_individual_code(value: Any) -> bool:
    """A normalised code value that is an individual business's 20-character taxpayer id."""
    return value.__class__ is str and len(value) == INDIVIDUAL_CODE_LENGTH


@dataclass(frozen=True)
class PersonalPlan:
    """The personal columns of one record type (with their mask kind) and its code columns."""

    personal: tuple[tuple[str, str], ...]
    codes: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not (self.personal or self.codes)

    def needs_sealing(self, fields: dict[str, Any]) -> bool:
        """Whether any value of these (clear) fields is personal."""
        for key, _kind in self.personal:
            value = fields.get(key)
            if value is not None and value != "" and not is_sealed(value):
                return True
        return any(is_individual_code(fields.get(key)) for key in self.codes)

    def seal(self, fields: dict[str, Any], store: KeyStore) -> dict[str, Any]:
        """A copy of the fields with every clear personal value sealed."""
        out = dict(fields)
        for key, kind in self.personal:
            value = out.get(key)
            if value is not None and value != "" and not is_sealed(value):
                out[key] = store.seal(value, kind)
        for key in self.codes:
            value = out.get(key)
            if is_individual_code(value):
                out[key] = store.seal(value, "id_number")
        return out


@lru_cache(maxsize=256)
def plan_for(rtype: RecordType) -> PersonalPlan:
    """The personal plan of a record type (computed once)."""
    personal = tuple((c.key, mask_kind(c)) for c in rtype.columns if c.personal)
    codes = tuple(c.key for c in rtype.columns if c.type in CODE_TYPES and not c.personal)
    return PersonalPlan(personal, codes)


def plan_of(department: str, record_type: str) -> PersonalPlan:
    """``plan_for`` by department and type name."""
    return plan_for(load_catalog().get(department, record_type))


def identity_value(store: KeyStore, role: str, value: Any) -> Any:
    """What an identity column stores for a clear value: a pseudonym where it carries a person."""
    if value is None or value == "":
        return value
    if role == PERSON_ROLE:
        return person_pseudonym(store, value)
    if role in CODE_ROLES and is_individual_code(value):
        return individual_code_pseudonym(store, value)
    return value


def identity_needs_keys(identity: tuple[Any, ...]) -> bool:
    """Whether an identity tuple (IDENTITY_ROLES order) carries a person."""
    return bool(identity[PERSON_POS]) or any(is_individual_code(identity[p]) for p in CODE_POS)


def protect_identity(store: KeyStore, identity: tuple[Any, ...]) -> tuple[Any, ...]:
    """An identity tuple (IDENTITY_ROLES order) with its person-carrying values pseudonymised."""
    out = list(identity)
    out[PERSON_POS] = identity_value(store, PERSON_ROLE, out[PERSON_POS])
    for pos in CODE_POS:
        if is_individual_code(out[pos]):
            out[pos] = individual_code_pseudonym(store, out[pos])
    return tuple(out)


def scrub(text: str) -> str:
    """Free text with anything shaped like an ID number or an individual taxpayer id masked."""
    return _ID_LIKE.sub(lambda m: mask_id_number(m.group(0)), text) if text else text
