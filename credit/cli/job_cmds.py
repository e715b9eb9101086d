"""worker, jobs, export: run background jobs, follow them, write a regulator export."""

from __future__ import annotations

import argparse
import logging
import signal
from typing import Any

from credit.cli.common import (
    add_command,
    add_user_option,
    check_output_path,
    engine,
    in_transaction,
    parse_date,
    positive_int,
    say,
)
from credit.domain.workflows import ROLE_REGULATOR, Actor

log = logging.getLogger(__name__)


def register(sub: Any) -> None:
    p = add_command(sub, "worker", "后台任务工作进程 / run background jobs (ingest, resolve, export)",
                    "Claims queued jobs from the jobs table of CREDIT_DATABASE_URL, one at a time, with a lease\n"
                    "renewed by heartbeats; run as many as you like, on any machine sharing the database (and\n"
                    "CREDIT_UPLOAD_DIR). A worker killed mid-job leaves the job to be run again. SIGTERM: finish\n"
                    "the job in hand, then stop. Once a day a worker queues the search index's sweep (records\n"
                    "whose publicity window closed or opened re-indexed); --once does not. See docs/jobs.md.")
    p.add_argument("--once", action="store_true", help="run the jobs queued now, then stop")
    p.add_argument("--max-jobs", type=positive_int, help="stop after this many jobs")
    p.add_argument("--poll", type=float, default=1.0, help="seconds between looks at an empty queue (default 1)")
    p.add_argument("--lease", type=float, default=30.0, help="seconds a job's lease lasts without a heartbeat (default 30)")
    p.add_argument("--beat", type=float, default=5.0, help="seconds between heartbeats (default 5)")
    p.add_argument("--kind", action="append", dest="kinds", choices=["ingest", "resolve", "export", "search_sweep"],
                   help="run only jobs of this kind (repeatable)")
    p.add_argument("-v", "--verbose", action="store_true", help="log every job")
    p.set_defaults(func=cmd_worker)

    p = add_command(sub, "jobs", "后台任务列表 / the newest background jobs and their state",
                    "One line per job, newest first: id, kind, status (queued, running, done, failed),\n"
                    "attempts used of those allowed, progress and the last error.")
    p.add_argument("--status", choices=["queued", "running", "done", "failed"], help="only jobs in this state")
    p.add_argument("--limit", type=positive_int, default=30, help="how many jobs to show (default 30)")
    p.set_defaults(func=cmd_jobs)

    p = add_command(sub, "export", "监管导出 / a regulator export: lists or records on a date",
                    "black / red: the lists (the rows lists --out writes); penalties: penalties inside their\n"
                    "publicity window; abnormal: abnormal-operation listings in force; records: any one type\n"
                    "(--department and --type). As CSV (UTF-8 with BOM), XLSX or JSON, streamed; audited with\n"
                    "its filters and row count.")
    p.add_argument("kind", choices=["black", "red", "penalties", "abnormal", "records"], help="what to export")
    p.add_argument("--date", type=parse_date, help="view date YYYY-MM-DD (default today)")
    p.add_argument("--format", dest="file_format", choices=["csv", "xlsx", "json"], default="csv",
                   help="csv (default), xlsx or json")
    p.add_argument("--out", metavar="FILE", required=True, help="the file to write (its folder must exist)")
    p.add_argument("--region", help="division code or province / city name")
    p.add_argument("--department", help="only this source department")
    p.add_argument("--type", dest="record_type", help="only this record type (with records: the type to export)")
    p.add_argument("--from", dest="date_from", type=parse_date, help="records dated on or after")
    p.add_argument("--to", dest="date_to", type=parse_date, help="records dated on or before")
    add_user_option(p)
    p.set_defaults(func=cmd_export)


def cmd_worker(args: argparse.Namespace) -> int:
    from credit.jobs.handlers import default_handlers
    from credit.jobs.worker import Worker, WorkerConfig

    if args.verbose:
        logging.getLogger("credit").setLevel(logging.INFO)
    config = WorkerConfig(lease=args.lease, beat=min(args.beat, args.lease / 3), poll=args.poll,
                          kinds=tuple(args.kinds or ()),
                          daily=None if args.once or (args.kinds and "search_sweep" not in args.kinds)
                          else _queue_daily_jobs)
    worker = Worker(engine(), default_handlers(), config)

    def stop(_signum: int, _frame: Any) -> None:  # finish the job in hand, then leave
        worker.stop.set()

    signal.signal(signal.SIGTERM, stop)
    say(f"工作进程 / worker {worker.owner} 已启动 / started", err=True)
    ran = worker.run(max_jobs=args.max_jobs, until_idle=args.once)
    say(f"工作进程 / worker {worker.owner}: {ran} 个任务 / jobs run", err=True)
    return 0


def _queue_daily_jobs(db: Any) -> None:
    from sqlalchemy.exc import IntegrityError

    from credit.domain.search_index import schedule_sweep
    from credit.kernel.db import transaction

    try:
        with transaction(db) as session:
            schedule_sweep(session)
    except IntegrityError:  # another worker queued today's at the same moment: the key holds it to one
        log.info("today's search sweep was queued by another worker")


def cmd_jobs(args: argparse.Namespace) -> int:
    from credit.domain.jobs import list_jobs

    views = in_transaction(lambda s: list_jobs(s, args.status, args.limit))
    say(f"{'id':>6}  {'kind':<8} {'status':<8} {'attempts':>8}  {'progress':>8}  error")
    for v in views:
        pct = f"{v.percent}%" if v.percent is not None else "-"
        say(f"{v.id:>6}  {v.kind:<8} {v.status:<8} {v.attempts:>4}/{v.max_attempts:<3}  {pct:>8}  {v.error or ''}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from datetime import date

    from credit.domain.exports import ExportSpec, export, prepare_decisions

    check_output_path(args.out)
    spec = ExportSpec(args.kind, args.date or date.today(), args.region, args.department, args.record_type,
                      args.date_from, args.date_to)
    actor = Actor(args.user, ROLE_REGULATOR)
    prepare_decisions(engine(), spec, args.file_format)
    result = in_transaction(lambda s: export(s, actor, spec, args.file_format, args.out))
    say(f"已导出 / exported {result.rows} 行 rows → {result.path} (sha256 {result.sha256[:16]}…)")
    return 0
