"""The compiled row plan: one generated function that converts every mapped column of a row.

Ingest's hot path. For each (header, key, label, converter, memo) of a plan the function does what
this loop body would, without the loop's overhead (about a third faster than the loop): empty ->
None; else the memoised value, or the converter's (a ValueError becomes an error). It returns
``(record_id, op, fields)``: the two columns every row has, and the other normalised fields as a
dict built in one go with its keys in sorted order, every column of the type present (None when
the file lacks it), so that the sorted JSON dump of the fields has nothing to reorder.

Two forms: ``fill(values, errors)`` reads a dict of header -> cell; ``fill(cells, errors)`` the
cells of a table row by position in the header (a row with exactly the header's cells: no dict
is built for it at all).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Converter = Callable[[Any], Any]
PlanStep = tuple[str, str, str, Converter, dict[Any, Any] | None]  # header, key, label, converter, memo
Fill = Callable[[Any, list[tuple[str, str]]], tuple[Any, Any, dict[str, Any]]]

CACHE_LIMIT = 1 << 12  # values a column's memo holds before it is cleared
# a column whose values come from a small set (dates: 365 a year; yes/no, enums) holds more: a file
# spanning a dozen years has more than 4,096 dates, and a date costs a memo little memory
SMALL_DOMAIN_LIMIT = 1 << 14
_MISS = object()
_OWN_KEYS = ("record_id", "op")  # returned apart from the fields


def compile_plan(plan: list[PlanStep], absent: list[str], positions: list[int] | None = None,
                 text_only: bool = False, small_domain: frozenset[str] = frozenset()) -> Fill:
    """The fill function of a plan; ``absent``: keys of the type's columns the file lacks.

    ``positions``: each step's cell index in a table row (the function then takes the cells);
    ``text_only``: every cell is text (CSV), so the memo needs no type test; ``small_domain``: keys
    whose memo holds SMALL_DOMAIN_LIMIT values, not CACHE_LIMIT."""
    env: dict[str, Any] = {"_MISS": _MISS, "str": str}
    lines = [f"def fill({'cells' if positions is not None else 'values'}, errors):"]
    if positions is None:
        lines.append("    get = values.get")
    value_of: dict[str, str] = {key: "None" for key in absent}
    for n, (header, key, label, convert, cache) in enumerate(plan):
        env.update({f"h{n}": header, f"l{n}": label, f"c{n}": convert})
        value_of[key] = f"v{n}"
        fetch = f"cells[{positions[n]}]" if positions is not None else f"get(h{n})"
        lines += [f"    raw = {fetch}",
                  "    if raw is None or raw == '':",
                  f"        v{n} = None",
                  "    else:"]
        if cache is None:
            lines += ["        try:",
                      f"            v{n} = c{n}(raw)",
                      "        except ValueError as exc:",
                      f"            v{n} = None",
                      f"            errors.append((l{n}, str(exc)))"]
            continue
        env[f"m{n}"] = cache
        limit = SMALL_DOMAIN_LIMIT if key in small_domain else CACHE_LIMIT
        if text_only:
            lines += [f"        v{n} = m{n}.get(raw, _MISS)",
                      f"        if v{n} is _MISS:",
                      "            try:",
                      f"                v{n} = c{n}(raw)",
                      "            except ValueError as exc:",
                      f"                v{n} = None",
                      f"                errors.append((l{n}, str(exc)))",
                      "            else:",
                      f"                if len(m{n}) >= {limit}:",
                      f"                    m{n}.clear()",
                      f"                m{n}[raw] = v{n}"]
            continue
        lines += [f"        v{n} = m{n}.get(raw, _MISS) if raw.__class__ is str else _MISS",
                  f"        if v{n} is _MISS:",
                  "            try:",
                  f"                v{n} = c{n}(raw)",
                  "            except ValueError as exc:",
                  f"                v{n} = None",
                  f"                errors.append((l{n}, str(exc)))",
                  "            else:",
                  "                if raw.__class__ is str:",
                  f"                    if len(m{n}) >= {limit}:",
                  f"                        m{n}.clear()",
                  f"                    m{n}[raw] = v{n}"]
    own = ", ".join(value_of.pop(key, "None") for key in _OWN_KEYS)
    fields = ", ".join(f"{key!r}: {value_of[key]}" for key in sorted(value_of))
    lines.append(f"    return {own}, {{{fields}}}")
    exec(compile("\n".join(lines), "<ingest row plan>", "exec"), env)  # noqa: S102 - our own generated code
    return env["fill"]  # type: ignore[no-any-return]
