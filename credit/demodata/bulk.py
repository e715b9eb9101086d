"""Fast single-type writers for the ingest benchmark: one big file of one record type, streamed
with flat memory from a pool of fully generated records.
"""

from __future__ import annotations

import csv
import itertools
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from credit.demodata.mess import MessConfig, mess_record
from credit.demodata.records import records_for
from credit.demodata.vocab import RECORD_PREFIX
from credit.demodata.world import make_world
from credit.demodata.writers import FileSpec, _quarter_title, render_text, write_xlsx
from credit.kernel.catalog import RecordType, load_catalog

POOL_SIZE = 10_000


def _bench_pool(department: str, record_type: str, n_rows: int, seed: int,
                mess: float) -> tuple[RecordType, list[dict[str, Any]]]:
    """A pool of fully generated (messy) records of one type to recombine at speed."""
    rt = load_catalog().get(department, record_type)
    size = max(1, min(n_rows, POOL_SIZE))
    world = make_world(max(20, min(size // 2, 10_000)), seed)
    rng = random.Random(f"bench:{seed}:{department}:{record_type}")
    cfg = MessConfig.from_level(mess)
    pool: list[dict[str, Any]] = []
    n = len(world)
    while len(pool) < size:
        e = world.enterprises[rng.randrange(n)]
        for clean in records_for(rt.key, e, rng, 1):
            values = {"record_id": "", "op": "", **clean}
            mess_record(rt, values, e, rng, cfg)
            pool.append(values)
    return rt, pool


def _bench_lists(rt: RecordType, pool: list[dict[str, Any]], n_rows: int, seed: int,
                 render: Callable[[Any], Any]) -> Iterator[list[Any]]:
    """n_rows rows as value lists in column order: identity from one pooled record, the other
    fields from another (so content varies far more than the pool), unique record ids."""
    keys = [c.key for c in rt.columns]
    table = [[render(p[k]) for k in keys] for p in pool]
    ident = [i for i, c in enumerate(rt.columns) if c.identity]
    lo, hi = min(ident), max(ident) + 1
    rng = random.Random(f"bench-rows:{seed}")
    rand = rng.random
    size = len(table)
    prefix = f"{RECORD_PREFIX[rt.key]}-B{seed}-"
    for i in range(n_rows):
        row = table[int(rand() * size)][:]
        row[lo:hi] = table[int(rand() * size)][lo:hi]
        row[0] = f"{prefix}{i + 1:08d}"
        yield row


def iter_bench_rows(department: str, record_type: str, n_rows: int, seed: int = 1,
                    mess: float = 0.3) -> tuple[RecordType, Iterator[dict[str, Any]]]:
    """n_rows records of one type as dicts, lazily, with unique record ids."""
    rt, pool = _bench_pool(department, record_type, n_rows, seed, mess)
    keys = [c.key for c in rt.columns]
    lists = _bench_lists(rt, pool, n_rows, seed, lambda v: v)
    return rt, (dict(zip(keys, row)) for row in lists)


def _csv_field(text: str) -> str:
    """One CSV field with RFC 4180 minimal quoting, as csv.writer writes it."""
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv_lines(rt: RecordType, pool: list[dict[str, Any]], n_rows: int, seed: int) -> Iterator[str]:
    """The CSV lines of _bench_lists, pre-rendered per pooled record and glued per row (fast)."""
    keys = [c.key for c in rt.columns]
    ident = [i for i, c in enumerate(rt.columns) if c.identity]
    lo, hi = min(ident), max(ident) + 1

    def seg(values: dict[str, Any], ks: list[str]) -> str:
        return "".join("," + _csv_field(render_text(values[k])) for k in ks)

    heads = [seg(p, keys[1:lo]) for p in pool]
    idents = [seg(p, keys[lo:hi]) for p in pool]
    tails = [seg(p, keys[hi:]) + "\r\n" for p in pool]
    rng = random.Random(f"bench-rows:{seed}")
    rand = rng.random
    size = len(pool)
    prefix = f"{RECORD_PREFIX[rt.key]}-B{seed}-"
    for i in range(n_rows):
        j = int(rand() * size)
        yield f"{prefix}{i + 1:08d}{heads[j]}{idents[int(rand() * size)]}{tails[j]}"


def write_csv_rows(path: str | Path, department: str, record_type: str, n_rows: int, seed: int = 1,
                   encoding: str = "utf-8", mess: float = 0.3) -> int:
    """Stream an n_rows CSV of one type to disk with flat memory; the row count."""
    rt, pool = _bench_pool(department, record_type, n_rows, seed, mess)
    lines = _csv_lines(rt, pool, n_rows, seed)
    with open(path, "w", encoding=encoding, newline="", errors="strict") as fh:
        csv.writer(fh).writerow([c.zh for c in rt.columns])
        while True:
            batch = "".join(itertools.islice(lines, 10_000))
            if not batch:
                break
            fh.write(batch)
    return n_rows


def write_xlsx_rows(path: str | Path, department: str, record_type: str, n_rows: int, seed: int = 1,
                    mess: float = 0.3, title_rows: int = 1) -> int:
    """Stream an n_rows XLSX of one type (write-only mode, real date cells); the row count."""
    rt, rows = iter_bench_rows(department, record_type, n_rows, seed, mess)
    spec = FileSpec("xlsx", title_rows=title_rows, trailing_blank=2, codes_as_numbers=True,
                    title=_quarter_title(rt, random.Random(seed)))
    return write_xlsx(Path(path), rt, rows, spec)
