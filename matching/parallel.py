"""Both cores for the pure, per-item steps of a large resolution (scoring pairs, explaining links).

A forked child takes the second half of the items and sends its results back through a pipe; the
parent does the first half meanwhile. The child inherits everything it needs (profiles, the
function) by ``fork``, touches no database connection and leaves with ``os._exit``. Where ``fork``
is missing, or the child fails, the work is simply done in this process.
"""

from __future__ import annotations

import logging
import os
import pickle
from collections.abc import Callable, Sequence
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

MIN_ITEMS = 20_000  # below this a fork costs more than it saves


def workers() -> int:
    """How many processes to use: the CPUs this process may run on, at most two."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:
        n = os.cpu_count() or 1
    return min(n, 2)


def fork_map(func: Callable[[T], R], items: Sequence[T], min_items: int | None = None) -> list[R]:
    """``[func(x) for x in items]``, the second half computed in a forked child."""
    return fork_split(lambda part: [func(x) for x in part], items, min_items)


def fork_parts(func: Callable[[int, int], list[R]], size: int) -> list[R]:
    """``func(0, 2) + func(1, 2)`` (part, parts), the second in a forked child; ``func(0, 1)``
    when ``size`` (how much work there is) is too small to share."""
    if size < MIN_ITEMS or workers() < 2 or not hasattr(os, "fork"):
        return func(0, 1)
    return fork_split(lambda ps: [r for p in ps for r in func(p, 2)], [0, 1], min_items=2)


def fork_split(func: Callable[[Sequence[T]], list[R]], items: Sequence[T], min_items: int | None = None) -> list[R]:
    """``func(first half) + func(second half)``, the second computed in a forked child (which
    has its own copy of any state ``func`` keeps)."""
    if len(items) < (MIN_ITEMS if min_items is None else min_items) or workers() < 2 or not hasattr(os, "fork"):
        return func(items)
    half = len(items) // 2
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        _child(func, items[half:], read_fd, write_fd)
    os.close(write_fd)
    first = func(items[:half])
    with os.fdopen(read_fd, "rb") as fh:
        data = fh.read()
    _, status = os.waitpid(pid, 0)
    if status != 0 or not data:
        log.warning("parallel worker failed (status %s): computing its half here", status)
        return first + func(items[half:])
    return first + pickle.loads(data)


def _child(func: Callable[[Sequence[T]], list[R]], items: Sequence[T], read_fd: int, write_fd: int
           ) -> None:  # pragma: no cover
    code = 1
    try:
        os.close(read_fd)
        data = pickle.dumps(func(items), protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(write_fd, "wb") as fh:
            fh.write(data)
        code = 0
    finally:
        os._exit(code)
