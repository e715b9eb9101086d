"""Command line: ``python -m credit COMMAND``. Thin: parse arguments, call one operation, print its data.

Exit status: 0 done; 1 not found or cannot be done (a missing enterprise, a refused grant, an
unreachable database, an unwritable file); 2 bad usage (an unknown option or record type, a bad
date, an invalid value). Every failure is one message on standard error, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from sqlalchemy.exc import DBAPIError, OperationalError

from credit.cli import account_cmds, credit_cmds, ingest_cmds, job_cmds, keys_cmds, matching_cmds, trust_cmds
from credit.cli.common import safe_url
from credit.kernel.db import database_url
from credit.kernel.errors import InvalidInput, LianzhengError

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
# one module per command group, each with register(sub); a new group is a module added here
COMMAND_MODULES = (ingest_cmds, matching_cmds, credit_cmds, keys_cmds, trust_cmds, job_cmds, account_cmds)
EPILOG = """\
python -m credit COMMAND --help 说明每个命令 / explains each command. Docs: docs/cli.md.

数据库 database: CREDIT_DATABASE_URL (default SQLite in instance/credit.db; PostgreSQL as
postgresql://user@host:5432/db). PGCONNECT_TIMEOUT: seconds to wait for PostgreSQL (default 10).
退出状态 exit status: 0 done; 1 not found or cannot be done; 2 bad usage."""


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.func(args) or EXIT_OK)
    except BrokenPipeError:  # output piped into head, less, true …: stop quietly (work already committed)
        _silence_stdout()
        return EXIT_OK
    except InvalidInput as exc:
        return _fail(str(exc), EXIT_USAGE)
    except LianzhengError as exc:
        return _fail(str(exc), EXIT_FAILED)
    except OperationalError as exc:
        return _fail(_database_message(exc), EXIT_FAILED)
    except DBAPIError as exc:
        return _fail(f"数据库错误 / database error at {safe_url(database_url())}: {_first_line(exc.orig)}", EXIT_FAILED)
    except KeyboardInterrupt:
        return _fail("已中断 / interrupted", 130)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m credit", description="联征 Lianzheng — 社会信用联合征信系统 / joint enterprise credit platform",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def _fail(message: str, status: int) -> int:
    try:
        print(f"错误 / error: {message}", file=sys.stderr, flush=True)
    except BrokenPipeError:
        pass
    return status


def _first_line(exc: object) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _database_message(exc: OperationalError) -> str:
    reason = _first_line(exc.orig)
    url = safe_url(database_url())
    if "disk" in reason.lower() and "full" in reason.lower():
        return f"磁盘已满 / the disk is full: {url} ({reason})"
    return f"无法使用数据库 / cannot use the database {url}: {reason}"


def _silence_stdout() -> None:
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except OSError:
        pass
