"""The resource catalogue (信用信息资源目录): every department and record type the platform holds.

Generated from the catalog and the policy, so a department sees what it can share and receive:
each type's columns (Chinese header, key, type, required, personal), its openness (and the values
that change it) and its publicity rule in words.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from credit.kernel.catalog import load_catalog

log = logging.getLogger(__name__)

RULES = {
    "always": ("长期公示", "published while the record stands"),
    "never": ("不公示", "never published"),
    "penalty": ("行政处罚公示期：仅警告不公示；轻微3个月；一般3个月至1年；严重失信及吊销、责令停产停业1至3年",
                "penalty windows: warnings unpublished; minor 3 months; general 3-12 months; serious 1-3 years"),
    "until_removed": ("列入之日起至移出之日公示", "public from listing until removal"),
    "fixed_3y": ("公布之日起公示3年", "public for 3 years from publication"),
    "while_owed": ("欠税未清期间公示", "public while tax is owed"),
}


@dataclass(frozen=True)
class CatalogueColumn:
    key: str
    zh: str
    type: str
    required: bool
    personal: bool
    identifier: bool


@dataclass(frozen=True)
class CatalogueType:
    department: str
    department_zh: str
    record_type: str
    zh: str
    openness: str
    openness_by: dict[str, str]
    openness_field: str | None
    publicity: str
    publicity_zh: str
    publicity_en: str
    columns: tuple[CatalogueColumn, ...]


def catalogue() -> list[CatalogueType]:
    """Every record type of the catalog, department by department (public information)."""
    out = []
    for rt in load_catalog():
        zh, en = RULES.get(rt.publicity, (rt.publicity, rt.publicity))
        by = rt.openness_by or {}
        out.append(CatalogueType(
            rt.department, rt.department_zh, rt.name, rt.zh, rt.openness,
            {str(k): str(v) for k, v in (by.get("values") or {}).items()}, by.get("field"),
            rt.publicity, zh, en,
            tuple(CatalogueColumn(c.key, c.zh, c.type, c.required, c.personal, bool(c.identity))
                  for c in rt.columns if c.key != "op")))
    return out
