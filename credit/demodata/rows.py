"""Rows of one file type, in file order: originals with duplicates, later versions, revocations
and deliberately bad rows mixed in, and the truth line of every record.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from credit.demodata.mess import MessConfig, mess_record
from credit.demodata.records import records_for
from credit.demodata.vocab import BAD_ENUM_VALUES, RECORD_PREFIX, TYPE_WEIGHTS
from credit.demodata.world import Enterprise, World
from credit.kernel.catalog import RecordType


@dataclass(slots=True)
class Row:
    """One row to write, with what the truth needs to know about it."""

    values: dict[str, Any]
    entity_id: str = ""
    tags: list[str] = field(default_factory=list)
    bad: tuple[str, str] | None = None  # (column key, reason) for a deliberately bad row
    truth: bool = True  # first appearance of a record id: write a truth line


@dataclass
class TruthLine:
    """One line of truth.csv."""

    department: str
    type: str
    record_id: str
    entity_id: str
    kind: str
    versions: int
    revoked: int
    mess: str
    file: str = ""


class _Ids:
    """Record ids unique within one (department, type)."""

    def __init__(self, key: tuple[str, str]) -> None:
        self.prefix = RECORD_PREFIX[key]
        self.n = 0

    def next(self, year: int) -> str:
        """The next id, dated by year."""
        self.n += 1
        return f"{self.prefix}-{year}-{self.n:06d}"


def _year_of(v: Any) -> int:
    """The year a record is dated by, for its record id."""
    if isinstance(v, dt.date):
        return v.year
    if isinstance(v, int):
        return v
    return 2024


def _resend(rt: RecordType, values: dict[str, Any], rng: random.Random) -> tuple[dict[str, Any], str]:
    """A later version of a record with one field changed; (values, tag)."""
    new = dict(values)
    changed = [c for c in rt.columns
               if (c.type in ("amount_wan", "amount_yuan") and isinstance(new.get(c.key), float))
               or (c.type == "int" and isinstance(new.get(c.key), int))
               or (c.type == "text" and isinstance(new.get(c.key), str) and new[c.key])]
    if not changed:
        return new, "resend.same"
    col = rng.choice(changed)
    v = new[col.key]
    new[col.key] = (round(v * rng.uniform(0.5, 1.5), 2) if isinstance(v, float)
                    else v + rng.randrange(1, 60) if isinstance(v, int) else f"{v}（更正）")
    return new, f"resend.{col.key}"


def _bad_row(rt: RecordType, values: dict[str, Any],
             rng: random.Random) -> tuple[dict[str, Any], tuple[str, str]]:
    """A copy of a record made unreadable in one column; (values, (column key, reason))."""
    new = dict(values)
    dates = [c.key for c in rt.columns if c.type == "date"]
    enums = [c for c in rt.columns if c.type == "enum" and not c.open and c.key != "op"]
    choice = rng.choice(("missing", "date", "enum"))
    if choice == "date" and dates:
        key = rng.choice(dates)
        new[key] = rng.choice(("2024-13-45", "2023-02-30", "20241399", "去年"))
        return new, (key, "bad_date")
    if choice == "enum" and enums:
        col = rng.choice(enums)
        new[col.key] = rng.choice(BAD_ENUM_VALUES)
        return new, (col.key, "unknown_enum")
    if choice == "enum":
        new["op"] = "作废"
        return new, ("op", "unknown_enum")
    name_key = next(c.key for c in rt.columns if c.identity == "name")
    key = rng.choice(("record_id", name_key))
    new[key] = ""
    return new, (key, "missing_required")


class TypeStream:
    """Generates the rows of one (department, type) across the world, in file order."""

    def __init__(self, world: World, rt: RecordType, counts: dict[int, int], seed: int,
                 mess: MessConfig, bad_rate: float) -> None:
        self.world, self.rt, self.counts = world, rt, counts
        self.rng = random.Random(f"rows:{seed}:{rt.department}:{rt.name}")
        self.mess, self.bad_rate = mess, bad_rate
        self.ids = _Ids(rt.key)
        self.truth: dict[str, TruthLine] = {}

    def expected(self) -> int:
        """Number of distinct records (before duplicates, versions and bad rows)."""
        return sum(self.counts.values())

    def rows(self) -> Iterator[Row]:
        """Every row: originals with duplicates and bad rows mixed in, then later versions."""
        later: list[list[Row]] = []
        key = self.rt.key
        for idx in sorted(self.counts):
            e = self.world.enterprises[idx]
            for clean in records_for(key, e, self.rng, self.counts[idx]):
                yield from self._emit(e, clean, later)
        self.rng.shuffle(later)
        for group in later:
            yield from group

    def _emit(self, e: Enterprise, clean: dict[str, Any], later: list[list[Row]]) -> Iterator[Row]:
        """One record's row, its duplicate and bad twin; later versions go to `later` in order."""
        rng, rt, cfg = self.rng, self.rt, self.mess
        rid = self.ids.next(_year_of(clean.get(rt.date_field or "")))
        values = {"record_id": rid, "op": "新增" if rng.random() < 0.3 else "", **clean}
        tax20 = len(str(values.get("taxpayer_id") or "")) == 20
        tags = mess_record(rt, values, e, rng, cfg)
        if tax20:  # the record carries an individual business's 20-character taxpayer id
            tags.append("tax20")
        line = TruthLine(rt.department, rt.name, rid, e.eid, e.kind, 1, 0, "")
        self.truth[rid] = line
        row = Row(values, e.eid, tags)
        yield row
        if rng.random() < cfg.duplicate:
            tags.append("duplicate")
            yield Row(dict(values), e.eid, tags, truth=False)
        group: list[Row] = []
        if rng.random() < cfg.resend:
            new, tag = _resend(rt, values, rng)
            new["op"] = rng.choice(("修改", "修改", ""))
            tags.append(tag)
            line.versions += 1
            group.append(Row(new, e.eid, tags, truth=False))
        if rng.random() < cfg.revoke:
            tags.append("revoked")
            line.versions += 1
            line.revoked = 1
            group.append(Row({**values, "op": "撤销"}, e.eid, tags, truth=False))
        if group:
            later.append(group)
        if self.bad_rate and rng.random() < self.bad_rate:
            bad_values = {**values, "record_id": self.ids.next(_year_of(clean.get(rt.date_field or "")))}
            bad_values, bad = _bad_row(rt, bad_values, rng)
            yield Row(bad_values, e.eid, ["bad_row"], bad=bad, truth=False)
        line.mess = ";".join(tags)


def plan_counts(world: World, seed: int,
                records_per_enterprise: float) -> dict[tuple[str, str], dict[int, int]]:
    """How many records of each type each enterprise gets (enterprise index -> count)."""
    rng = random.Random(f"plan:{seed}")
    n = len(world)
    counts: dict[tuple[str, str], dict[int, int]] = {k: {} for k in RECORD_PREFIX}
    reg = counts[("commerce", "registration")]
    for i in range(n):
        if rng.random() < 0.98:
            reg[i] = 1
    keys = list(TYPE_WEIGHTS)
    weights = list(TYPE_WEIGHTS.values())
    extra = max(0, round(n * (records_per_enterprise - 1)))
    hot = max(1, n // 10)
    picks = rng.choices(keys, weights, k=extra)
    for key in picks:
        i = rng.randrange(hot) if rng.random() < 0.3 else rng.randrange(n)
        bucket = counts[key]
        bucket[i] = bucket.get(i, 0) + 1
    for bucket in counts.values():
        if not bucket and n:
            bucket[rng.randrange(n)] = 1
    return counts
