"""Command line: ``python -m credit COMMAND``. Thin: parse arguments, call the domain, print."""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import sys
import time
from datetime import date
from typing import Any, Callable, TextIO

from credit.catalog import UnknownRecordType, load_catalog
from credit.db import database_url, make_engine

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.func(args) or EXIT_OK)
    except BrokenPipeError:  # output piped into head, less …: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m credit", description="联征 Lianzheng — 社会信用联合征信系统")
    sub = parser.add_subparsers(metavar="COMMAND")

    p = sub.add_parser("init-db", help="创建或迁移数据库 / create or migrate the schema")
    p.set_defaults(func=cmd_init_db)

    p = sub.add_parser("ingest", help="导入部门文件 / ingest department files")
    p.add_argument("--department", "-d", required=True, help="finance | commerce | tax | quality | public_security")
    p.add_argument("--type", "-t", required=True, dest="record_type", help="record type, e.g. penalty")
    p.add_argument("--rejects", metavar="PATH", help="write rejected rows to this CSV")
    p.add_argument("--format", dest="file_format", choices=["csv", "xlsx", "json", "ndjson", "xml"],
                   help="file form when the extension does not say")
    p.add_argument("--by", dest="uploaded_by", help="who uploads (recorded on the batch)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress output")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("demo", help="生成并导入演示数据 / generate and ingest demo data")
    p.add_argument("--enterprises", type=int, default=300)
    p.add_argument("--out", default="instance/demo", help="where the demo files are written")
    p.set_defaults(func=cmd_demo)

    _add_matching_commands(sub)
    _add_credit_commands(sub)
    return parser


def _engine():  # type: ignore[no-untyped-def]
    return make_engine(database_url())


def cmd_init_db(args: argparse.Namespace) -> int:
    from credit.migrate import upgrade

    upgrade(_engine())
    print(f"数据库已就绪 / database ready: {_safe_url(database_url())}")
    return EXIT_OK


def _safe_url(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def cmd_ingest(args: argparse.Namespace) -> int:
    from ingest.loader import IngestError, ingest_file

    try:
        load_catalog().get(args.department, args.record_type)
    except UnknownRecordType as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    engine = _engine()
    _ensure_schema(engine)
    failed = 0
    with _RejectsFile(args.rejects) as rejects:
        for path in args.files:
            progress = None if args.quiet else _Progress(path, sys.stderr)
            try:
                result = ingest_file(engine, path, args.department, args.record_type,
                                     uploaded_by=args.uploaded_by, file_format=args.file_format,
                                     on_reject=rejects.write, progress=progress)
            except (IngestError, OSError) as exc:
                failed += 1
                print(f"失败 / failed: {exc}", file=sys.stderr)
                continue
            finally:
                if progress:
                    progress.done()
            print(result.summary())
    if args.rejects:
        print(f"被拒绝的行已写入 / rejected rows written to {args.rejects} ({rejects.count})")
    return EXIT_FAILED if failed else EXIT_OK


def _ensure_schema(engine) -> None:  # type: ignore[no-untyped-def]
    """First use on an empty database creates the schema (the same as init-db)."""
    from sqlalchemy import inspect

    if "source_records" not in inspect(engine).get_table_names():
        from credit.migrate import upgrade

        upgrade(engine)


class _RejectsFile:
    """Rejected rows streamed to a CSV that Excel opens (UTF-8 with BOM)."""

    HEADER = ["file", "row", "column", "reason", "record_id", "raw"]

    def __init__(self, path: str | None):
        self.path, self.count = path, 0
        self._fh: TextIO | None = None
        self._writer: Any = None

    def __enter__(self) -> "_RejectsFile":
        if self.path:
            self._fh = open(self.path, "w", encoding="utf-8-sig", newline="")
            self._writer = csv.writer(self._fh)
            self._writer.writerow(self.HEADER)
        return self

    def write(self, rej: Any) -> None:
        self.count += 1
        if self._writer:
            raw = json.dumps(rej.raw, ensure_ascii=False, default=str)
            self._writer.writerow([rej.file, rej.row, rej.column, rej.reason, rej.record_id or "", raw])

    def __exit__(self, *exc: object) -> None:
        if self._fh:
            self._fh.close()


class _Progress:
    """Progress on stderr for long files: a line every few seconds (in place on a terminal)."""

    def __init__(self, path: str, out: TextIO, every: float = 2.0):
        self.path, self.out, self.every = path, out, every
        self.start = self.last = time.monotonic()
        self.shown = False

    def __call__(self, rows: int, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last < self.every:
            return
        self.last, self.shown = now, True
        pct = f"{100 * done / total:.0f}%" if total else "?"
        rate = rows / max(now - self.start, 1e-9)
        end = "\r" if self.out.isatty() else "\n"
        print(f"  {self.path}: {rows} 行 rows · {pct} · {rate:,.0f} rows/s", end=end, file=self.out, flush=True)

    def done(self) -> None:
        if self.shown and self.out.isatty():
            print(file=self.out)


def cmd_demo(args: argparse.Namespace) -> int:
    from credit.demo import run_demo

    return run_demo(_engine(), args.out, args.enterprises)


def _add_matching_commands(sub: Any) -> None:
    """resolve, links, review, judge (wired to matching/)."""
    p = sub.add_parser("resolve", help="企业归集 / link new and changed records to enterprises")
    p.add_argument("--full", action="store_true", help="rebuild every link (same answer as incremental)")
    p.set_defaults(func=cmd_resolve)

    p = sub.add_parser("links", help="导出归集结果 / one row per source record with its enterprise id")
    p.add_argument("--out", required=True, metavar="FILE.csv")
    p.set_defaults(func=cmd_links)

    p = sub.add_parser("review", help="待人工确认的疑似同一企业 / the uncertain-pair review queue")
    p.add_argument("--limit", type=int, default=100)
    p.set_defaults(func=cmd_review)

    p = sub.add_parser("judge", help="人工判定 / record that two records or enterprises are the same or different")
    p.add_argument("left", metavar="A", help="department/type/record_id or an enterprise id")
    p.add_argument("right", metavar="B", help="department/type/record_id or an enterprise id")
    p.add_argument("verdict", choices=["same", "different"])
    p.add_argument("--by", dest="judged_by", default=None, help="who judges (recorded)")
    p.add_argument("--note", default=None)
    p.set_defaults(func=cmd_judge)


def _matching_call(fn: Callable[[Any], Any]) -> int:
    """Run fn(engine) and print its summary; bad input becomes a message and exit status 2."""
    from matching.service import MatchingError

    engine = _engine()
    _ensure_schema(engine)
    try:
        print(fn(engine).summary())
    except MatchingError as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def cmd_resolve(args: argparse.Namespace) -> int:
    from matching.service import resolve

    return _matching_call(lambda e: resolve(e, full=args.full))


def cmd_links(args: argparse.Namespace) -> int:
    from matching.service import write_links

    return _matching_call(lambda e: write_links(e, args.out))


def cmd_review(args: argparse.Namespace) -> int:
    from matching.service import list_reviews

    return _matching_call(lambda e: list_reviews(e, limit=args.limit))


def cmd_judge(args: argparse.Namespace) -> int:
    from matching.service import judge

    return _matching_call(lambda e: judge(e, args.left, args.right, args.verdict, judged_by=args.judged_by,
                                          note=args.note))


def _add_credit_commands(sub: Any) -> None:
    """profile, lists, grant (wired to credit/)."""
    p = sub.add_parser("profile", help="企业信用档案 / an enterprise's profile as a viewer may see it")
    p.add_argument("enterprise_id", type=int, metavar="ID")
    p.add_argument("--as", dest="as_", default="public", choices=["public", "government", "enterprise", "authorised"],
                   help="viewer (default public)")
    p.add_argument("--date", type=parse_date, help="view date YYYY-MM-DD (default today)")
    p.add_argument("--grant", type=int, dest="grant_id", help="query grant id, for --as authorised")
    p.add_argument("--user", default="cli", help="who is looking (recorded for lawful queries)")
    p.set_defaults(func=cmd_profile)

    p = sub.add_parser("lists", help="红黑名单 / black or red list on a date")
    p.add_argument("kind", choices=["black", "red"])
    p.add_argument("--date", type=parse_date, help="YYYY-MM-DD (default today)")
    p.add_argument("--out", metavar="FILE", help="write CSV here instead of printing")
    p.add_argument("--user", default="cli")
    p.set_defaults(func=cmd_lists)

    p = sub.add_parser("grant", help="授权查询 / let a querier see one enterprise for a limited time")
    p.add_argument("enterprise_id", type=int, metavar="ID")
    p.add_argument("--querier", required=True, help="organisation asking, e.g. a bank")
    p.add_argument("--user", default="cli", help="the person asking")
    basis = p.add_mutually_exclusive_group(required=True)
    basis.add_argument("--basis", dest="legal_basis", help="stated legal basis")
    basis.add_argument("--consent", dest="consent_ref", help="reference of the enterprise's written consent")
    p.add_argument("--days", type=int, help="how long the grant lasts (default from policy)")
    p.set_defaults(func=cmd_grant)


def _credit_call(fn: Callable[[Any], str]) -> int:
    """Run fn(session) in one transaction; domain errors become a message and exit status 1."""
    from credit.db import transaction
    from credit.workflows import CreditError

    engine = _engine()
    _ensure_schema(engine)
    try:
        with transaction(engine) as session:
            print(fn(session))
    except CreditError as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def cmd_profile(args: argparse.Namespace) -> int:
    from credit.queries import profile_command

    return _credit_call(lambda s: profile_command(s, args.enterprise_id, as_=args.as_, at=args.date,
                                                  grant_id=args.grant_id, user=args.user))


def cmd_lists(args: argparse.Namespace) -> int:
    from credit.lists import lists_command

    return _credit_call(lambda s: lists_command(s, args.kind, at=args.date, out=args.out, user=args.user))


def cmd_grant(args: argparse.Namespace) -> int:
    from credit.queries import grant_access
    from credit.workflows import ROLE_QUERIER, Actor

    def run(session: Any) -> str:
        actor = Actor(args.user, ROLE_QUERIER, args.querier)
        grant = grant_access(session, actor, args.enterprise_id, on=date.today(), legal_basis=args.legal_basis,
                             consent_ref=args.consent_ref, days=args.days)
        session.flush()
        return (f"授权编号 / grant {grant.id}: {args.querier} → 企业 enterprise {args.enterprise_id}, "
                f"有效至 / valid until {grant.valid_until}")

    return _credit_call(run)


def parse_date(value: str) -> date:
    """--date argument: YYYY-MM-DD."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期应为 YYYY-MM-DD / date must be YYYY-MM-DD: {value}") from None
