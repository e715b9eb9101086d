"""What every command shares: the engine, the schema check, output files, dates, printing."""

from __future__ import annotations

import argparse
import errno
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, TextIO, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from credit.kernel.db import database_url, make_engine, transaction
from credit.kernel.errors import InvalidInput, LianzhengError

T = TypeVar("T")


class OutputError(LianzhengError):
    """An output file that cannot be written (no such folder, a folder, no permission, disk full)."""


CONNECT_TIMEOUT_SECONDS = "10"


def engine() -> Engine:
    """The engine for CREDIT_DATABASE_URL, with its schema created, upgraded or refused as too new.

    A PostgreSQL server that accepts the connection but never answers ends the command after
    PGCONNECT_TIMEOUT seconds (default 10; libpq's own default waits for minutes) with one message.
    """
    from credit.domain.migrate import ensure_schema

    os.environ.setdefault("PGCONNECT_TIMEOUT", CONNECT_TIMEOUT_SECONDS)
    eng = make_engine(database_url())
    ensure_schema(eng)
    return eng


def safe_url(url: str) -> str:
    """A database URL without its password (for messages)."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        userinfo, host = rest.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        return f"{scheme}://{user + ':***' if ':' in userinfo else user}@{host}"
    return url


def parse_date(value: str) -> date:
    """--date argument: YYYY-MM-DD."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期应为 YYYY-MM-DD / date must be YYYY-MM-DD: {value}") from None


def positive_int(value: str) -> int:
    """An argument that must be a whole number of at least 1."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"应为正整数 / must be a whole number: {value}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"应为正整数 / must be at least 1: {value}")
    return number


def check_output_path(path: str | os.PathLike[str]) -> Path:
    """Refuse, before any work is done, a path that cannot become a file."""
    target = Path(path)
    if target.is_dir():
        raise InvalidInput(f"输出路径是一个目录 / the output path is a directory: {target}")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise InvalidInput(f"输出目录不存在 / no such directory for the output: {parent}")
    if not os.access(parent, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise OutputError(f"没有写入权限 / no permission to write: {target}")
    return target


def _os_message(exc: OSError, path: str | os.PathLike[str]) -> str:
    if exc.errno == errno.ENOSPC:
        return f"磁盘已满 / the disk is full while writing {path}"
    if exc.errno == errno.EACCES:
        return f"没有写入权限 / no permission to write: {path}"
    if exc.errno == errno.EISDIR:
        return f"输出路径是一个目录 / the output path is a directory: {path}"
    if exc.errno == errno.ENOENT:
        return f"输出目录不存在 / no such directory for the output: {path}"
    return f"无法写入 / cannot write {path}: {exc.strerror or exc}"


@contextmanager
def output_file(path: str | os.PathLike[str], encoding: str = "utf-8", newline: str | None = "") -> Iterator[TextIO]:
    """A text file opened for writing; OS errors (disk full …) become one clear OutputError."""
    check_output_path(path)
    try:
        with open(path, "w", encoding=encoding, newline=newline) as fh:
            yield fh
    except OSError as exc:
        raise OutputError(_os_message(exc, path)) from None


def in_transaction(work: Callable[[Session], T]) -> T:
    """Run one operation in its own committed transaction and return its data.

    Faces print or write only after this returns, so an operation's audit entry is committed
    before any output: a closed pipe or a full disk afterwards cannot take the entry back.
    """
    with transaction(engine()) as session:
        return work(session)


def say(text: str = "", *, err: bool = False) -> None:
    """Print one block of output (stdout, or stderr for errors and progress)."""
    print(text, file=sys.stderr if err else sys.stdout, flush=True)


def add_command(sub: Any, name: str, summary: str, description: str = "") -> argparse.ArgumentParser:
    """One subcommand: ``summary`` (Chinese / English) in the command list, ``description`` (kept as
    written, line breaks and all) at the top of its ``--help``."""
    text = summary + ("\n\n" + description.strip("\n") if description else "")
    return sub.add_parser(name, help=summary, description=text, formatter_class=argparse.RawDescriptionHelpFormatter)  # type: ignore[no-any-return]


def add_user_option(p: argparse.ArgumentParser, what: str = "who is acting (recorded in the audit log)") -> None:
    p.add_argument("--user", default=os.environ.get("USER") or "cli", help=f"{what}; default the login name")
