"""The disclosure gate for many records at once: ``gate.decide``'s decisions, compiled.

An export decides a million records for one viewer on one date, and ``gate.decide`` works each of
them out from the catalog and policy (visible columns, masks, the publicity window with its
penalty classification and month arithmetic: about 30 µs a record). ``BulkGate`` compiles, per
record type and effective viewer kind, which columns are shown and which of them may carry a
personal value (with how each is masked, or opened for a government user where policy allows),
and decides the record date, publicity window, openness and visibility once per distinct
combination of the fields those depend on (``policy.window_key``): a record then costs one
dictionary lookup, a list of its column values and its few personal cells. A sealed personal
value is masked from the mask it carries, with no key. A record under an approved repair goes
the long way (``gate.decide``), as does one whose window fields cannot be keyed.

``gate.bulk`` makes one; ``gate.disclose`` and the exports use it. tests/credit/test_gate_fast.py
holds its output equal to ``gate.decide`` for generated records of every type, openness and
publicity state, viewer kind, objection and repair.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from credit.domain.gate import (
    GOVERNMENT,
    HIDDEN_KEYS,
    MARK_ENDED,
    MARK_OBJECTION,
    PUBLIC,
    Disclosed,
    Marks,
    Record,
    Viewer,
    _government_sees,
    _may_see,
    _sensitive_keys,
    decide,
    effective_kind,
    mask_how,
    masked,
)
from credit.domain.policy import Publicity, load_policy, publicity_of, record_date, window_key
from credit.kernel import keys
from credit.kernel.catalog import CODE_TYPES, OPENNESS_PUBLIC, RecordType, load_catalog
from credit.kernel.keys import SEALED, is_sealed
from credit.kernel.personal import INDIVIDUAL_CODE_LENGTH

WINDOWS_KEPT = 32768  # distinct window keys remembered per record type; then the memo starts afresh


@dataclass(frozen=True, slots=True)
class Window:
    """What one combination of window fields decides for one viewer kind on the date."""

    visible: bool
    dated: date | None
    publicity: Publicity
    openness: str
    public: bool  # ``Disclosed.public``: public now and of public openness
    public_now: bool
    marks: tuple[str, ...]  # the marks that follow from the window (the objection mark is per record)


class Standing(NamedTuple):
    """What a record's fields decide for the gate whatever the view date (``TypePlan.standing``)."""

    dated: date | None
    publicity: Publicity
    openness: str


# What a viewer sees of one record: its window, its marks, its visible values in the plan's ``keys`` order.
Verdict = tuple[Window, tuple[str, ...], list[Any]]


class TypePlan:
    """One record type as one viewer kind sees it on one date, compiled."""

    def __init__(self, rt: RecordType, kind: str, at: date) -> None:
        self.rt, self.kind, self.at = rt, kind, at
        columns = [c for c in rt.columns if c.key not in HIDDEN_KEYS]
        self.keys: tuple[str, ...] = tuple(c.key for c in columns)
        unmasked = set(load_policy()["masking"]["government_unmasked"]) if kind == GOVERNMENT else set()
        sensitive = _sensitive_keys(rt)
        # (position, key, every value personal, a code column, opened for this viewer, how masked)
        self.checks = tuple((i, c.key, c.personal, c.type in CODE_TYPES,
                             bool(unmasked) and _government_sees(rt, c, unmasked), mask_how(c))
                            for i, c in enumerate(columns) if c.key in sensitive)
        self.window_key: Callable[[dict[str, Any]], Any] = window_key(rt)
        self.windows: dict[Any, Window] = {}

    def window(self, fields: dict[str, Any]) -> Window:
        try:
            key = self.window_key(fields)
        except Exception:  # a value that cannot be keyed: decided on its own, step by step as decide does
            return self.compute(fields)
        found = self.windows.get(key)
        if found is None:
            if len(self.windows) >= WINDOWS_KEPT:
                self.windows.clear()
            found = self.windows[key] = self.compute(fields)
        return found

    def compute(self, fields: dict[str, Any]) -> Window:
        """The window decided as ``gate.decide`` does, step for step (the same calls, the same order)."""
        rt = self.rt
        dated = record_date(rt, fields)
        if dated is not None and dated > self.at:  # not yet: its window is not even looked at
            return self.on(Standing(dated, Publicity(rt.publicity, published=False), rt.openness))
        return self.on(Standing(dated, publicity_of(rt, fields), rt.openness_of(fields)))

    def standing(self, fields: dict[str, Any]) -> Standing:
        """What the fields decide whatever the date: record date, publicity window, openness."""
        rt = self.rt
        return Standing(record_date(rt, fields), publicity_of(rt, fields), rt.openness_of(fields))

    def on(self, standing: Standing) -> Window:
        """The window of a standing on the plan's date, as ``gate.decide`` decides it: a record dated
        after the date is seen by nobody; else who may see it follows from its openness and whether
        it is public now, and a published record no longer public is marked 停止公示 (but to the public).
        credit/domain/export_store.py says the same in SQL for stored standings (tests hold them equal)."""
        rt, at, kind = self.rt, self.at, self.kind
        dated, publicity, openness = standing
        if dated is not None and dated > at:
            return Window(False, dated, Publicity(rt.publicity, published=False), rt.openness, False, False, ())
        public_now = publicity.is_public(at)
        ended = (MARK_ENDED,) if kind != PUBLIC and publicity.published and not public_now else ()
        return Window(_may_see(kind, rt, openness, public_now), dated, publicity, openness,
                      public_now and openness == OPENNESS_PUBLIC, public_now, ended)

    @property
    def opens(self) -> bool:
        """Whether this viewer sees some personal value of the type in clear (policy ``government_unmasked``)."""
        return any(unmask for *_, unmask, _how in self.checks)

    def values(self, fields: dict[str, Any], shown: list[str] | None) -> list[Any]:
        """The visible values in ``keys`` order: personal ones masked, or opened where policy allows."""
        values = list(map(fields.get, self.keys))
        for i, key, personal, code, unmask, how in self.checks:
            value = values[i]
            if value is None or value == "":
                continue
            kind = value.__class__
            # gate._personal, inline: a personal column, a sealed value, or an individual taxpayer id
            if not (personal or (kind is dict and SEALED in value)
                    or (code and kind is str and len(value) == INDIVIDUAL_CODE_LENGTH)):
                continue
            if unmask:
                values[i] = keys.current().open(value) if is_sealed(value) else value
                if shown is not None:
                    shown.append(key)
            else:
                values[i] = masked(how, value)
        return values


class BulkGate:
    """``gate.decide`` for one viewer on one date over many records, compiled per record type."""

    def __init__(self, viewer: Viewer, at: date, marks: Marks | None = None) -> None:
        self.viewer, self.at = viewer, at
        self.marks = marks or Marks()
        self._plans: dict[tuple[str, str, str], TypePlan] = {}
        self._fixed_kind = viewer.kind if viewer.kind in (PUBLIC, GOVERNMENT) else None
        self._fixed: dict[tuple[str, str], TypePlan] = {}  # by type, when the viewer's kind never changes

    def plan(self, department: str, record_type: str, kind: str) -> TypePlan:
        found = self._plans.get((department, record_type, kind))
        if found is None:
            rt = load_catalog().get(department, record_type)
            found = self._plans[(department, record_type, kind)] = TypePlan(rt, kind, self.at)
        return found

    @property
    def fixed_kind(self) -> bool:
        """Whether the viewer's kind is the same for every enterprise and date (public, government)."""
        return self._fixed_kind is not None

    def plan_for(self, department: str, record_type: str, enterprise_id: int) -> TypePlan:
        """The plan a record of the enterprise is decided by."""
        plan = self._fixed.get((department, record_type)) if self._fixed_kind else None
        if plan is None:
            plan = self.plan(department, record_type, self.kind_for(enterprise_id))
            if self._fixed_kind:
                self._fixed[(department, record_type)] = plan
        return plan

    def kind_for(self, enterprise_id: int) -> str:
        return self._fixed_kind or effective_kind(self.viewer, enterprise_id, self.at)

    def verdict(self, department: str, record_type: str, record_id: str, enterprise_id: int,
                fields: dict[str, Any], revealed: list[str] | None = None,
                record: Record | None = None) -> Verdict | None:
        """What the viewer sees of one record (None: nothing), as ``decide`` would say it.

        ``revealed`` receives ``department/type/record_id.field`` for each value shown in clear."""
        marks = self.marks
        if marks.repairs and (department, record_type, record_id) in marks.repairs:
            return self._long_way(record or Record(department, record_type, record_id, enterprise_id, 0, fields),
                                  revealed)
        plan = self.plan_for(department, record_type, enterprise_id)
        window = plan.window(fields)
        if not window.visible:
            return None
        shown: list[str] | None = [] if revealed is not None else None
        values = plan.values(fields, shown)
        if shown:
            assert revealed is not None
            revealed += [f"{department}/{record_type}/{record_id}.{key}" for key in shown]
        flags = window.marks
        if marks.objections and (department, record_type, record_id) in marks.objections:
            flags = (MARK_OBJECTION, *flags)
        return window, flags, values

    def _long_way(self, record: Record, revealed: list[str] | None) -> Verdict | None:
        d = decide(record, self.viewer, self.at, self.marks, revealed)
        if d is None:
            return None
        plan = self.plan(record.department, record.record_type, self.kind_for(record.enterprise_id))
        window = Window(True, d.record_date, d.publicity, d.openness, d.public, d.publicity.is_public(self.at), ())
        return window, d.marks, [d.fields[k] for k in plan.keys]

    def decide(self, record: Record, revealed: list[str] | None = None) -> Disclosed | None:
        """Exactly ``gate.decide(record, viewer, at, marks, revealed)``."""
        v = self.verdict(record.department, record.record_type, record.record_id, record.enterprise_id,
                         record.fields, revealed, record)
        if v is None:
            return None
        window, flags, values = v
        plan = self.plan(record.department, record.record_type, self.kind_for(record.enterprise_id))
        rt = plan.rt
        return Disclosed(
            record.department, rt.department_zh, record.record_type, rt.zh, record.record_id,
            record.enterprise_id, window.openness, window.dated, window.publicity, window.public, flags,
            dict(zip(plan.keys, values)),
            {"batch_id": record.batch_id, "file_hash": record.file_hash,
             "row_number": record.row_number, "version": record.version},
        )
