"""resolve, links, review, judge: records to enterprises."""

from __future__ import annotations

import argparse
import os
from typing import Any

from credit.cli import render
from credit.cli.common import (
    add_command,
    add_user_option,
    check_output_path,
    engine,
    output_file,
    positive_int,
    say,
)
from credit.domain.workflows import ROLE_ADMIN, ROLE_REVIEWER, Actor
from credit.kernel.db import transaction


def register(sub: Any) -> None:
    p = add_command(sub, "resolve", "企业归集 / link new and changed records to enterprises",
                    "Incremental by default: only records new or changed since the last run are considered.\n"
                    "Prints new enterprises, merges, splits and pairs queued for review; audited.")
    p.add_argument("--full", action="store_true", help="rebuild every link (gives the incremental answer)")
    add_user_option(p)
    p.set_defaults(func=cmd_resolve)

    p = add_command(sub, "links", "导出归集结果 / one row per source record with its enterprise id",
                    "Writes a plain UTF-8 CSV for programs (no BOM, codes as sent):\n"
                    "  department,type,record_id,enterprise_id\n"
                    "Records not yet resolved are counted in the summary line.")
    p.add_argument("--out", required=True, metavar="FILE.csv",
                   help="the CSV to write (its folder must exist); signed: FILE.manifest.json, FILE.sig")
    add_user_option(p)
    p.set_defaults(func=cmd_links)

    p = add_command(sub, "review", "待人工确认的疑似同一企业 / the uncertain-pair review queue",
                    "Pairs whose score fell in the uncertain band, best first, with the reason for each;\n"
                    "decide them with: judge LEFT RIGHT same|different")
    p.add_argument("--limit", type=positive_int, default=100, metavar="N", help="how many pairs to show (default 100)")
    p.set_defaults(func=cmd_review)

    p = add_command(sub, "judge", "人工判定 / record that two records or enterprises are the same or different",
                    "The judgement is stored, wins on every later run, and the affected enterprises are\n"
                    "resolved again at once. A missing record or enterprise is exit status 1.")
    p.add_argument("left", metavar="A", help="department/type/record_id (e.g. tax/credit_rating/T1) or an enterprise id")
    p.add_argument("right", metavar="B", help="department/type/record_id or an enterprise id")
    p.add_argument("verdict", choices=["same", "different"], help="same: one enterprise; different: never one")
    p.add_argument("--by", dest="judged_by", default=None, metavar="NAME",
                   help="who judges (recorded with the judgement and in the audit log); default the login name")
    p.add_argument("--note", default=None, metavar="TEXT", help="why (recorded with the judgement)")
    p.set_defaults(func=cmd_judge)


def cmd_resolve(args: argparse.Namespace) -> int:
    from credit.domain.uploads import resolve_records

    say(render.resolve_text(resolve_records(engine(), Actor(args.user, ROLE_ADMIN), full=args.full)))
    return 0


def cmd_links(args: argparse.Namespace) -> int:
    from credit.cli.trust_cmds import signed_export_text
    from credit.domain.exports_signing import sign_export
    from credit.domain.uploads import export_links

    check_output_path(args.out)
    eng = engine()
    actor = Actor(args.user, ROLE_ADMIN)
    with output_file(args.out) as fh:
        result = export_links(eng, actor, fh)
    result.path = args.out
    with transaction(eng) as session:
        signed = sign_export(session, actor, args.out, kind="links", rows=result.rows)
    say(render.links_text(result))
    say(signed_export_text(signed))
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    from matching.service import list_reviews

    say(render.review_text(list_reviews(engine(), limit=args.limit)))
    return 0


def cmd_judge(args: argparse.Namespace) -> int:
    from credit.domain.uploads import judge_records

    actor = Actor(args.judged_by or os.environ.get("USER") or "cli", ROLE_REVIEWER)
    say(render.judge_text(judge_records(engine(), actor, args.left, args.right, args.verdict, note=args.note)))
    return 0
