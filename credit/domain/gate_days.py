"""The disclosure gate for one viewer on several consecutive days at once.

A search card is decided for the public on the day it is made and each of the following days
(credit/domain/search_cards.py), so indexing a million enterprises decided every record eight
times, each time working out again what does not depend on the date: the record's window key, its
standing (record date, publicity window, openness: ``policy.record_date`` and ``publicity_of``)
and its visible values with their masks. ``DayGates`` works those out once per record (the
standing once per window key, shared by the days) and only what does depend on the date once per
day: whether the window is open on it. Each day's answer is exactly ``BulkGate.decide``'s on that
day with that day's marks (tests/credit/test_gate_days.py holds them equal); a record under an
approved repair on a day, one whose window fields cannot be keyed, and a viewer whose kind may
change from day to day (an authorised querier's grant) go each day's own way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from credit.domain.gate import MARK_OBJECTION, Disclosed, Marks, Record, Viewer
from credit.domain.gate_fast import WINDOWS_KEPT, BulkGate, Standing, TypePlan, Window
from credit.domain.policy import Publicity, publicity_of, record_date

_FUTURE = object()  # a standing not worked out: the record was dated after the day that asked


class DayGates:
    """``BulkGate(viewer, day, marks).decide`` for each of ``days`` (with its ``marks``), at once.

    The answers of one record on several days share their ``fields`` and provenance dicts: read them,
    do not change them."""

    def __init__(self, viewer: Viewer, days: Sequence[date], marks: Sequence[Marks]) -> None:
        if len(days) != len(marks) or not days:
            raise ValueError("one Marks per day, at least one day")
        self.gates = [BulkGate(viewer, day, m) for day, m in zip(days, marks)]
        self._shared = self.gates[0].fixed_kind  # public and government: one kind every day
        self._standings: dict[tuple[str, str], dict[Any, Any]] = {}
        self._plans: dict[tuple[str, str], list[TypePlan]] = {}

    def decide(self, record: Record) -> list[Disclosed | None]:
        """What the viewer sees of the record on each day (None: nothing that day)."""
        if not self._shared:
            return [gate.decide(record) for gate in self.gates]
        plans = self._plans.get((record.department, record.record_type))
        if plans is None:  # the viewer's kind is fixed: one plan per type and day
            plans = self._plans[(record.department, record.record_type)] = [
                gate.plan_for(record.department, record.record_type, record.enterprise_id) for gate in self.gates]
        first = plans[0]
        try:
            key = first.window_key(record.fields)
        except Exception:  # cannot be keyed: each day decides it on its own, as BulkGate does
            return [gate.decide(record) for gate in self.gates]
        values: dict[str, Any] | None = None  # the days' answers share their fields and provenance
        source: dict[str, Any] | None = None
        out: list[Disclosed | None] = []
        for gate, plan in zip(self.gates, plans):
            marks = gate.marks
            if marks.repairs and record.key in marks.repairs:
                out.append(gate.decide(record))
                continue
            window = self._window(plan, key, record.fields)
            if not window.visible:
                out.append(None)
                continue
            if values is None:  # the same plan columns and masks every day: the viewer's kind is fixed
                values = dict(zip(first.keys, first.values(record.fields, None)))
                source = {"batch_id": record.batch_id, "file_hash": record.file_hash,
                          "row_number": record.row_number, "version": record.version}
            flags = window.marks
            if marks.objections and record.key in marks.objections:
                flags = (MARK_OBJECTION, *flags)
            rt = plan.rt
            out.append(Disclosed(
                record.department, rt.department_zh, record.record_type, rt.zh, record.record_id,
                record.enterprise_id, window.openness, window.dated, window.publicity, window.public, flags,
                values, source or {},
            ))
        return out

    def _window(self, plan: TypePlan, key: Any, fields: dict[str, Any]) -> Window:
        """``plan.window(fields)``, with the standing of the key shared by every day's plan."""
        found = plan.windows.get(key)
        if found is not None:
            return found
        rt = plan.rt
        known = self._standings.setdefault((rt.department, rt.name), {})
        entry = known.get(key)
        if entry is None:
            if len(known) >= WINDOWS_KEPT:
                known.clear()
            entry = known[key] = [record_date(rt, fields), _FUTURE]
        dated = entry[0]
        if dated is not None and dated > plan.at:  # as TypePlan.compute: a window not yet looked at
            window = plan.on(Standing(dated, Publicity(rt.publicity, published=False), rt.openness))
        else:
            if entry[1] is _FUTURE:
                entry[1] = Standing(dated, publicity_of(rt, fields), rt.openness_of(fields))
            window = plan.on(entry[1])
        if len(plan.windows) >= WINDOWS_KEPT:
            plan.windows.clear()
        plan.windows[key] = window
        return window
