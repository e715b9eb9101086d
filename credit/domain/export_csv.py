"""CSV cells and lines of an export, and a large records export written by two processes.

Every CSV cell goes through ``csv_cells`` (formula-safe, long codes kept as text: credit.domain.cells).
A records export (``Table.batches``) is written a batch at a time: each row's cells joined into a
line directly where that is exactly what ``csv.writer`` would write (no cell holds a delimiter, a
quote or a line break, and none starts with a character ``safe_cell`` looks at), ``csv.writer``
otherwise. Beyond ``PARALLEL_AFTER`` rows, batches are shared out to forked helper processes
(``export_processes``): the parent reads the database in its one transaction, hands raw batches to
the helpers while they have room and decides and formats the others itself; the pieces are written
in the order they were read, so the file is byte for byte the one a single process writes.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import multiprocessing
import os
import queue
import re
import threading
import traceback
from collections import Counter, deque
from collections.abc import Callable, Iterator
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from credit.domain.cells import FORMULA_TRIGGERS, code_cell, safe_cell
from credit.domain.export_rows import Table

log = logging.getLogger(__name__)

RISKY = frozenset(FORMULA_TRIGGERS) | {" "}  # a first character that sends a cell to safe_cell
# a cell after the first starting with a risky character (tabs and line breaks are checked apart)
_RISKY_START = re.compile(",[" + "".join(re.escape(c) for c in sorted(RISKY - {"\t", "\r", "\n"})) + "]")
PARALLEL_AFTER = 50000  # rows written by the parent alone before helpers are forked
PIECE = 2500  # rows handed to a helper at a time
IN_FLIGHT = 3  # pieces a helper holds (one being formatted, two waiting)
AHEAD = 8  # formatted pieces held in the parent at most, waiting for an earlier one


def csv_cells(table: Table, row: list[Any]) -> list[str]:
    """A row as CSV cells: formula-safe, long codes kept as text (``credit.domain.cells``).

    Only a cell whose first character could start a formula is handed to ``safe_cell`` (the same
    result as calling it on every cell, at a fraction of the cost a million rows would pay)."""
    return _cells(table.code_columns, row)


def _cells(codes: frozenset[int], row: list[Any]) -> list[str]:
    cells: list[str] = []
    append = cells.append
    for i, value in enumerate(row):
        if value is None:
            append("")
            continue
        text = value if value.__class__ is str else _text(value)
        if i in codes:
            append(code_cell(text))
        elif text and text[0] in RISKY:
            append(safe_cell(text))
        else:
            append(text)
    return cells


@lru_cache(maxsize=64)
def cell_function(width: int, codes: frozenset[int]) -> Callable[[list[Any]], list[str]]:
    """``csv_cells`` for rows of ``width`` values compiled into one function (no loop, no per-cell
    call for the common plain-text cell): the same cells, a few times faster over a million rows."""
    names = [f"v{i}" for i in range(width)]
    lines = ["def cells(row):", f"    {', '.join(names)}, = row"]
    for i, v in enumerate(names):
        if i in codes:
            lines.append(f"    {v} = '' if {v} is None else code_cell({v} if {v}.__class__ is str else _text({v}))")
        else:
            lines += [f"    if {v} is None: {v} = ''",
                      f"    elif {v}.__class__ is not str: {v} = _text({v})",
                      f"    if {v} and {v}[0] in RISKY: {v} = safe_cell({v})"]
    lines.append(f"    return [{', '.join(names)}]")
    return _compiled(lines, f"<export cells {width}>", "cells")


@lru_cache(maxsize=64)
def line_function(width: int, codes: frozenset[int]) -> Callable[[list[Any]], tuple[str, int]]:
    """A row of ``width`` values as its cells joined by commas, each value as text (None as ''), a
    long all-digit code behind a tab; with the number of tabs so added. Equal to the ``csv.writer``
    line of ``csv_cells`` when ``plain_line`` says so."""
    names = [f"v{i}" for i in range(width)]
    lines = ["def line(row):", f"    {', '.join(names)}, = row", "    tabs = 0"]
    for i, v in enumerate(names):
        lines.append(f"    if {v}.__class__ is not str: {v} = '' if {v} is None else _text({v})")
        if i in codes:  # cells.is_long_digits, for a value without a line break (which is never plain)
            lines.append(f"    if len({v}) >= 12 and {v}.isdecimal(): {v} = '\\t' + {v}; tabs += 1")
    lines.append(f"    return ','.join(({', '.join(names)},)), tabs")
    return _compiled(lines, f"<export line {width}>", "line")


def _compiled(lines: list[str], name: str, function: str) -> Any:
    scope: dict[str, Any] = {"code_cell": code_cell, "safe_cell": safe_cell, "_text": _text, "RISKY": RISKY}
    exec(compile("\n".join(lines), name, "exec"), scope)  # noqa: S102 (our own text)
    return scope[function]


def plain_line(line: str, width: int, tabs: int) -> bool:
    """Whether ``line`` (from ``line_function``) is the row's ``csv.writer`` line of ``csv_cells``: no
    cell holds a comma (exactly ``width - 1`` of them), a quote or a line break, no tab but the code
    cells' own, and no cell starts with a character that ``safe_cell`` would look at."""
    return (line.count(",") == width - 1 and line.count("\t") == tabs and line[:1] not in RISKY
            and '"' not in line and "\n" not in line and "\r" not in line and _RISKY_START.search(line) is None)


def csv_text(rows: list[list[Any]], width: int, codes: frozenset[int]) -> str:
    """The CSV lines of ``rows`` (each ended by \\r\\n), as ``csv.writer`` writes the ``csv_cells``."""
    line_of = line_function(width, codes)
    out: list[str] = []
    append = out.append
    for row in rows:
        if len(row) == width:
            line, tabs = line_of(row)
            if plain_line(line, width, tabs):
                append(line)
                continue
        append(written(_cells(codes, row))[:-2])
    if not out:
        return ""
    out.append("")
    return "\r\n".join(out)


def written(cells: list[str]) -> str:
    """One row as ``csv.writer`` writes it (with its \\r\\n)."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow(cells)
    return buffer.getvalue()


def _text(value: Any) -> str:
    plain = _PLAIN.get(value.__class__)
    if plain is not None:
        return plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (list, tuple)):
        return "；".join(str(v) for v in value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


_PLAIN: dict[type, Callable[[Any], str]] = {  # the common classes, answered as the general rules below do
    str: str, int: str, float: str, date: date.isoformat, bool: lambda v: "是" if v else "否"}


# ---------------------------------------------------------------- a records export, batch by batch


def export_processes() -> int:
    """Processes a large CSV export uses: ``CREDIT_EXPORT_PROCESSES``, else the cores this process may run on."""
    given = os.environ.get("CREDIT_EXPORT_PROCESSES", "").strip()
    if given.isdigit() and int(given) > 0:
        return int(given)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


Piece = tuple[bytes, int, dict[str, int]]  # a batch's CSV lines (UTF-8), its row count, its values in clear


def write_batches(table: Table, path: Path, progress: Callable[[int, int, str], None] | None = None,
                  every: int = 10000) -> int:
    """A records export's CSV (UTF-8 with BOM): the header, then each batch's lines in order."""
    assert table.batches is not None and table.decider is not None
    width, codes, decide = len(table.header), table.code_columns, table.decider.rows

    def piece(batch: list[Any]) -> Piece:
        unmasked: Counter[str] = Counter()
        rows = decide(batch, unmasked)
        return csv_text(rows, width, codes).encode("utf-8"), len(rows), dict(unmasked)

    pieces = (_pieces(table.batches, piece) if table.stored is None
              else _pieces(table.batches, table.stored.piece, table.stored.heavy))
    n = shown = 0
    with open(path, "wb") as fh:
        fh.write(codecs.BOM_UTF8 + written(list(table.header)).encode("utf-8"))
        for data, rows, unmasked in pieces:
            fh.write(data)
            n += rows
            table.unmasked.update(unmasked)
            if progress is not None and n - shown >= every:
                shown = n
                progress(n, 0, "导出中 / exporting")
    return n


def _always(batch: list[Any]) -> bool:
    return True


def _pieces(batches: Iterator[list[Any]], piece: Callable[[list[Any]], Piece],
            heavy: Callable[[list[Any]], bool] = _always) -> Iterator[Piece]:
    """``piece`` of every batch, in order: in this process up to ``PARALLEL_AFTER`` rows, then shared
    with forked helpers when there is more than one process to use; only a ``heavy`` part goes to a
    helper (lines made from stored decisions cost less than handing them over), and helpers are
    forked at the first such part."""
    read = 0
    helpers: _Helpers | None = None
    started = False
    try:
        for batch in batches:
            if not started and read >= PARALLEL_AFTER and heavy(batch):
                started = True
                helpers = _Helpers.start(piece, export_processes() - 1)
            if helpers is None:
                yield piece(batch)
            else:
                yield from helpers.feed(batch, heavy)
            read += len(batch)
        if helpers is not None:
            yield from helpers.drain()
    finally:
        if helpers is not None:
            helpers.stop()


def _help(conn: Any, piece: Callable[[list[Any]], Piece], parents: list[Any]) -> None:
    """A helper's loop: raw batches in, pieces out, until told to stop or the parent is gone."""
    for end in parents:  # the parent's ends of the pipes, copied by the fork: the parent's death closes the pipe
        end.close()
    try:
        while True:
            batch = conn.recv()
            if batch is None:
                return
            conn.send(("ok", piece(batch)))
    except (EOFError, BrokenPipeError, KeyboardInterrupt):
        return
    except BaseException:
        try:
            conn.send(("error", traceback.format_exc()))
        except OSError:
            pass


class _Helpers:
    """Forked processes formatting pieces; results taken back in the order batches were handed out.

    A receiver thread per helper drains its pipe into a queue, so that a helper sending a finished
    piece never waits for the parent, which may itself be waiting to hand it the next batch."""

    def __init__(self, piece: Callable[[list[Any]], Piece], procs: list[Any], conns: list[Any]) -> None:
        self.piece, self.procs, self.conns = piece, procs, conns
        self.held = [0] * len(conns)
        self.pending: deque[tuple[int, Piece | None]] = deque()  # (helper or -1, the piece done here)
        self.inboxes: list[queue.SimpleQueue[tuple[str, Any]]] = [queue.SimpleQueue() for _ in conns]
        self.threads = [threading.Thread(target=_receive, args=(conn, inbox), daemon=True, name="export-receiver")
                        for conn, inbox in zip(conns, self.inboxes)]
        for thread in self.threads:  # every helper is forked before any thread starts
            thread.start()

    @classmethod
    def start(cls, piece: Callable[[list[Any]], Piece], count: int) -> _Helpers | None:
        if count < 1 or not hasattr(os, "fork"):
            return None
        ctx = multiprocessing.get_context("fork")
        procs: list[Any] = []
        conns: list[Any] = []
        try:
            for _ in range(count):
                mine, theirs = ctx.Pipe()
                proc = ctx.Process(target=_help, args=(theirs, piece, [*conns, mine]), daemon=True,
                                   name="export-helper")
                proc.start()
                theirs.close()
                procs.append(proc)
                conns.append(mine)
        except (OSError, AssertionError) as exc:  # no fork here (a daemonic process, limits): one process
            log.warning("export: no helper process (%s); writing in this process", exc)
            for proc in procs:
                proc.terminate()
                proc.join()
            return None
        return cls(piece, procs, conns)

    def feed(self, batch: list[Any], heavy: Callable[[list[Any]], bool]) -> Iterator[Piece]:
        """Hand out (or do here) the parts of one batch; yield the pieces ready, in order."""
        pending = self.pending
        for start in range(0, len(batch), PIECE):
            part = batch[start:start + PIECE]
            free = next((i for i, held in enumerate(self.held) if held < IN_FLIGHT), None) if heavy(part) else None
            if free is None:
                pending.append((-1, self.piece(part)))
            else:
                self.conns[free].send(part)
                self.held[free] += 1
                pending.append((free, None))
            while pending and (len(pending) > AHEAD or self._ready(pending[0][0])):
                yield self._take(pending.popleft())

    def drain(self) -> Iterator[Piece]:
        while self.pending:
            yield self._take(self.pending.popleft())

    def _ready(self, helper: int) -> bool:
        return helper < 0 or not self.inboxes[helper].empty()

    def _take(self, entry: tuple[int, Piece | None]) -> Piece:
        helper, done = entry
        if helper < 0:
            assert done is not None
            return done
        status, answer = self.inboxes[helper].get()
        self.held[helper] -= 1
        if status != "ok":
            raise RuntimeError(f"export helper process failed:\n{answer}")
        return answer  # type: ignore[no-any-return]

    def stop(self) -> None:
        for conn in self.conns:
            try:
                conn.send(None)
            except OSError:
                pass
        for proc in self.procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.terminate()
                proc.join()
        for thread in self.threads:
            thread.join(timeout=5)
        for conn in self.conns:
            conn.close()


def _receive(conn: Any, inbox: queue.SimpleQueue[tuple[str, Any]]) -> None:
    """A receiver thread: the helper's answers into its queue, until the helper is gone."""
    try:
        while True:
            inbox.put(conn.recv())
    except (EOFError, OSError):
        inbox.put(("error", "the helper process ended before answering"))
