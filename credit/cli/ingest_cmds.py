"""init-db, ingest, demo: getting department files in."""

from __future__ import annotations

import argparse
import csv
import json
import os
import time
from typing import Any, TextIO

from credit.cli import render
from credit.cli.common import add_command, check_output_path, engine, output_file, positive_int, safe_url, say
from credit.domain.cells import code_cell, safe_cell
from credit.domain.workflows import ROLE_ADMIN, ROLE_CLERK, Actor
from credit.kernel.catalog import load_catalog
from credit.kernel.db import database_url
from ingest.loader import IngestError, Reject, RowWarning


def _types_by_department() -> str:
    by_dept: dict[str, list[str]] = {}
    for department, name in load_catalog().types:
        by_dept.setdefault(department, []).append(name)
    return "\n".join(f"  {d:<16} {', '.join(names)}" for d, names in by_dept.items())


INGEST_HELP = """\
每个文件一个批次，整批入库或不入库 / each file is one batch, stored whole or not at all.
Per file it prints rows read, loaded (new records, new versions), unchanged, duplicates and rejected,
then the first rejected rows and warnings with row and column. A file whose columns are those of
another record type is refused whole, naming the type it looks like. A 撤销 (revoke) or 修改
(update) of a record id that is neither stored nor added by an earlier row of the same file is a
rejected row. After loading, new records are linked to enterprises (an incremental resolve) so
profiles show them at once; --no-resolve skips that.

部门与类型 departments and types (--department D --type T):
{types}

退出状态 exit status: 0 every file read (rows may have been rejected); 1 a file could not be
ingested (unreadable, wrong type); 2 bad usage (unknown type, output path in no directory)."""


def register(sub: Any) -> None:
    p = add_command(sub, "init-db", "创建或迁移数据库 / create or migrate the schema",
                    "Creates the schema in an empty database or upgrades it to this version (Alembic).\n"
                    "Every other command does the same on first use; a schema from a newer version is refused.")
    p.set_defaults(func=cmd_init_db)

    departments = sorted(load_catalog().departments)
    p = add_command(sub, "ingest", "导入部门文件 / ingest department files",
                    INGEST_HELP.format(types=_types_by_department()))
    p.add_argument("--department", "-d", required=True, choices=departments, metavar="DEPARTMENT",
                   help=f"the uploading department: {', '.join(departments)}")
    p.add_argument("--type", "-t", required=True, dest="record_type", metavar="TYPE",
                   help="record type of that department (listed above), e.g. credit_rating for tax")
    p.add_argument("--rejects", metavar="PATH",
                   help="write every rejected row (file, row, column, reason, record_id, raw) to this CSV")
    p.add_argument("--warnings", metavar="PATH",
                   help="write every warning on a stored row (file, row, column, warning, record_id) to this CSV: "
                        "codes with a bad check character, in the wrong column, or stored as numbers that lost digits")
    p.add_argument("--format", dest="file_format", choices=["csv", "xlsx", "json", "ndjson", "xml"],
                   help="file form when the extension does not say (.csv .txt .xlsx .json .ndjson .jsonl .xml)")
    p.add_argument("--by", dest="uploaded_by", metavar="NAME",
                   help="who uploads (recorded on the batch and in the audit log); default the login name")
    p.add_argument("--no-resolve", action="store_true",
                   help="do not link the new records to enterprises now: they stay out of profiles and lists "
                        "until python -m credit resolve")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress lines on standard error")
    p.add_argument("files", nargs="+", metavar="FILE", help="department files, one batch each")
    p.set_defaults(func=cmd_ingest)

    p = add_command(sub, "demo", "生成并导入演示数据 / generate and ingest demo data",
                    "Writes messy files for every department and type (once per size), ingests them, resolves\n"
                    "and prints a summary with commands to try. Run again, it reuses the files and changes nothing.")
    p.add_argument("--enterprises", type=positive_int, default=300, metavar="N",
                   help="how many enterprises the demo world has (default 300)")
    p.add_argument("--out", default="instance/demo", metavar="DIR",
                   help="where the demo files are written and found again (default instance/demo)")
    p.set_defaults(func=cmd_demo)


def cmd_init_db(args: argparse.Namespace) -> int:
    engine()
    say(f"数据库已就绪 / database ready: {safe_url(database_url())}")
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from credit.domain.uploads import resolve_records, upload_file

    load_catalog().get(args.department, args.record_type)
    for out in (args.rejects, args.warnings):
        if out:
            check_output_path(out)
    actor = Actor(args.uploaded_by or os.environ.get("USER") or "cli", ROLE_CLERK, args.department)
    eng = engine()
    failed = loaded = 0
    with _CsvReport(args.rejects, _CsvReport.REJECTS) as rejects, \
            _CsvReport(args.warnings, _CsvReport.WARNINGS) as warnings:
        for path in args.files:
            progress = None if args.quiet else _Progress(path)
            try:
                result = upload_file(eng, actor, path, args.department, args.record_type,
                                     file_format=args.file_format, on_reject=rejects.write, progress=progress,
                                     on_warning=warnings.write if args.warnings else None)
            except IngestError as exc:
                failed += 1
                say(f"失败 / failed: {exc}", err=True)
                continue
            except OSError as exc:
                failed += 1
                say(f"失败 / failed: {path}: {exc.strerror or exc}", err=True)
                continue
            finally:
                if progress:
                    progress.done()
            loaded += result.loaded
            say(render.ingest_text(result))
    if args.rejects:
        say(f"被拒绝的行已写入 / rejected rows written to {args.rejects} ({rejects.count})")
    if args.warnings:
        say(f"警告已写入 / warnings written to {args.warnings} ({warnings.count})")
    if loaded and args.no_resolve:
        say("新记录尚未归集到企业，企业档案中暂不可见；请运行 / the new records are not yet linked to enterprises "
            "and do not show in profiles; run: python -m credit resolve")
    elif loaded:
        say(render.resolve_text(resolve_records(eng, Actor(actor.user, ROLE_ADMIN))))
    return 1 if failed else 0


class _CsvReport:
    """Rejected rows or warnings streamed to a CSV that Excel opens (UTF-8 with BOM); every cell
    formula-safe, record ids kept as text (``code_cell``)."""

    REJECTS = ["file", "row", "column", "reason", "record_id", "raw"]
    WARNINGS = ["file", "row", "column", "warning", "record_id"]

    def __init__(self, path: str | None, header: list[str]):
        self.path, self.header, self.count = path, header, 0
        self._cm: Any = None
        self._writer: Any = None

    def __enter__(self) -> _CsvReport:
        if self.path:
            self._cm = output_file(self.path, encoding="utf-8-sig")
            self._writer = csv.writer(self._cm.__enter__())
            self._writer.writerow(self.header)
        return self

    def write(self, item: Reject | RowWarning) -> None:
        self.count += 1
        if self._writer:
            cells = [safe_cell(item.file), item.row, safe_cell(item.column), safe_cell(item.reason),
                     code_cell(item.record_id or "")]
            if isinstance(item, Reject):
                cells.append(safe_cell(json.dumps(item.raw, ensure_ascii=False, default=str)))
            self._writer.writerow(cells)

    def __exit__(self, *exc: Any) -> None:
        if self._cm:
            self._cm.__exit__(*exc)


class _Progress:
    """Progress on stderr for long files: a line every few seconds (in place on a terminal)."""

    def __init__(self, path: str, every: float = 2.0, out: TextIO | None = None):
        import sys

        self.path, self.every, self.out = path, every, out or sys.stderr
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
    from credit.domain.demo import run_demo

    result = run_demo(engine(), args.out, args.enterprises)
    say(render.demo_text(result))
    return 0
