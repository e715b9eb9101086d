"""A full run's blocking keys written while the resolver still works (SQLite).

Writing a million records' five million blocking keys and building their two indexes took ≈ 10 s
of a full run, after everything else, while one core sat idle through the resolver's one-process
steps (clustering ≈ 15 s, stable ids, the explanations' parent half). What the rows are is known
once the resolver has the keys: each record's link id is its old one, or, for a record not linked
before, the next id in key order (as ``service._write_links`` gives them). So once the pairs are
scored (the last step that keeps both cores busy) a thread writes them, on the run's own connection
and inside its transaction, while the resolver goes on: each part goes in as one statement
(``json_each`` over the records' [link id, [hashes]] as JSON: little Python work, and none while
SQLite inserts, which holds no Python lock), so the resolver's Python and SQLite's insert run on the
two cores. Nothing else uses the connection until ``join`` (the service calls it before its next
statement); an error in the thread is raised there, and the run's transaction rolls back as it
would have.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import orjson

from matching.identity import Key
from matching.store import MK_INDEXES, REBUILD_FROM, link_ids

log = logging.getLogger(__name__)

PART = 1_000_000  # rows per statement (≈ 30 MB of JSON)
# a part is [[link id, [key hash, …]], …]: one row a hash, in the order the links' writing gives them
_INSERT = ("INSERT INTO match_keys (key_hash, link_id) SELECT k.value, json_extract(r.value, '$[0]')"
           " FROM json_each(?) AS r, json_each(r.value, '$[1]') AS k")
_DELETE = "DELETE FROM match_keys WHERE link_id IN (SELECT value FROM json_each(?))"


class KeysWriter:
    """Writes the blocking keys of a run's changed records in a thread (``start``, then ``join``)."""

    def __init__(self, dbapi_connection: Any, links: dict[Key, tuple[int, int, int | None]], changed: set[Key],
                 next_link: int) -> None:
        self._db, self._links, self._changed, self._next_link = dbapi_connection, links, changed, next_link
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self.rows = 0

    def start(self, keys: Sequence[Key], hashes: Sequence[tuple[int, ...]]) -> None:
        """Begin writing: ``keys`` every record of the run in key order, ``hashes`` their blocking keys."""
        thread = threading.Thread(target=self._run, args=(keys, hashes), name="match-keys", daemon=True)
        thread.start()
        self._thread = thread  # (only a thread that started is ever waited for)

    def join(self, raise_error: bool = True) -> None:
        """Wait for the writing to end; raise what it raised (``raise_error``), else log it.

        Interrupted while waiting (Ctrl-C), the statement under way is interrupted and the thread
        waited for all the same, so the run's transaction never rolls back under a running writer."""
        thread, self._thread = self._thread, None
        if thread is not None:
            try:
                thread.join()
            except BaseException:
                self._db.interrupt()
                while thread.is_alive():
                    try:
                        thread.join()
                    except BaseException:  # noqa: BLE001, S112 - keep waiting: the connection is in use
                        continue
                raise
        if self._error is not None:
            if raise_error:
                raise self._error
            log.warning("blocking keys not written (%s): the run failed before", self._error)

    def _run(self, keys: Sequence[Key], hashes: Sequence[tuple[int, ...]]) -> None:
        try:
            self.rows = write(self._db, *key_rows(keys, hashes, self._links, self._changed, self._next_link))
        except BaseException as e:  # noqa: BLE001 - handed to join
            self._error = e


def key_rows(keys: Sequence[Key], hashes: Sequence[tuple[int, ...]], links: dict[Key, tuple[int, int, int | None]],
             changed: set[Key], next_link: int) -> tuple[list[int], int, Iterator[list[tuple[int, tuple[int, ...]]]]]:
    """The link ids whose keys are stale, how many rows the changed records' keys make, and those
    records as (link id, key hashes), in parts of about ``PART`` rows (made as they are written: one
    part in memory at a time); link ids by ``store.link_ids``, as the links' writing gives them."""
    stale = [links[k][0] for k in keys if k in changed and k in links]
    total = sum(len(hs) for k, hs in zip(keys, hashes) if k in changed)

    def parts() -> Iterator[list[tuple[int, tuple[int, ...]]]]:
        part: list[tuple[int, tuple[int, ...]]] = []
        size = 0
        for (key, link_id, _), hs in zip(link_ids(keys, links, next_link), hashes):
            if key in changed and hs:
                part.append((link_id, hs))
                size += len(hs)
                if size >= PART:
                    yield part
                    part, size = [], 0
        if part:
            yield part

    return stale, total, parts()


def write(db: Any, stale: list[int], total: int, parts: Iterable[list[tuple[int, tuple[int, ...]]]]) -> int:
    """Delete the stale links' keys and insert the rows (``total`` of them; parts of records, each
    part one statement); a large insert goes in without the table's indexes, built again after.
    The rows written."""
    cur = db.cursor()
    written = 0
    try:
        for i in range(0, len(stale), PART):
            cur.execute(_DELETE, (orjson.dumps(stale[i:i + PART]),))
        rebuild = total >= REBUILD_FROM
        if rebuild:
            for name in MK_INDEXES:
                cur.execute(f"DROP INDEX IF EXISTS {name}")
        for rows in parts:
            cur.execute(_INSERT, (orjson.dumps(rows),))
            written += sum(len(hs) for _, hs in rows)
        if rebuild:
            for name, column in MK_INDEXES.items():
                cur.execute(f"CREATE INDEX {name} ON match_keys ({column})")
    finally:
        cur.close()
    return written
