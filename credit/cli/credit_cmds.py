"""profile, lists, grant: what each viewer may see, lawful queries."""

from __future__ import annotations

import argparse
import csv
from datetime import date
from typing import Any, TextIO

from sqlalchemy.orm import Session

from credit.cli import render
from credit.cli.common import (
    add_command,
    add_user_option,
    check_output_path,
    in_transaction,
    output_file,
    parse_date,
    say,
)
from credit.domain.lists import CSV_HEADER, ListView
from credit.domain.workflows import ROLE_AUTHORISED, ROLE_ENTERPRISE, ROLE_PUBLIC, ROLE_REGULATOR, Actor, InvalidInput

VIEWERS = {"public": ROLE_PUBLIC, "government": ROLE_REGULATOR, "enterprise": ROLE_ENTERPRISE,
           "authorised": ROLE_AUTHORISED}


def register(sub: Any) -> None:
    p = add_command(sub, "profile", "企业信用档案 / an enterprise's profile as a viewer may see it",
                    "Every record shown with its department, dates, batch, file and row; what the viewer may\n"
                    "not see is left out and personal data masked (the disclosure gate). A view beyond the\n"
                    "public's is audited; an authorised view is also logged as a query the enterprise can see.\n"
                    "A merged id shows its successor. No such enterprise: exit status 1.")
    p.add_argument("enterprise_id", type=int, metavar="ID", help="enterprise id (from links --out, or search)")
    p.add_argument("--as", dest="as_", default="public", choices=list(VIEWERS),
                   help="viewer: public (default), government (every shared record), enterprise (itself), "
                        "authorised (with --grant)")
    p.add_argument("--date", type=parse_date, help="view date YYYY-MM-DD (default today)")
    p.add_argument("--grant", type=int, dest="grant_id", metavar="G",
                   help="query grant id (from grant), for --as authorised; it must cover this enterprise")
    add_user_option(p, "who is looking (recorded for every view beyond the public's)")
    p.set_defaults(func=cmd_profile)

    p = add_command(sub, "lists", "红黑名单 / black or red list on a date",
                    "Built from what the public sees on that date: each enterprise with every reason, record\n"
                    "and period. Printed, or written as CSV for Excel (UTF-8 with BOM, formula-safe cells,\n"
                    "long all-digit codes kept as text). Audited as a view or an export.")
    p.add_argument("kind", choices=["black", "red"], help="black: 严重失信主体名单; red: 守信激励名单")
    p.add_argument("--date", type=parse_date, help="YYYY-MM-DD (default today)")
    p.add_argument("--out", metavar="FILE", help="write CSV (UTF-8 with BOM, for Excel) here instead of printing, "
                                                   "signed: FILE.manifest.json and FILE.sig beside it")
    add_user_option(p)
    p.set_defaults(func=cmd_lists)

    p = add_command(sub, "grant", "授权查询 / let a querier see one enterprise for a limited time",
                    "Grants the querier organisation authorised access to one enterprise from today, on a\n"
                    "stated legal basis or the enterprise's written consent; prints the grant id to use with\n"
                    "profile ID --as authorised --grant G. Audited.")
    p.add_argument("enterprise_id", type=int, metavar="ID", help="the enterprise the grant covers")
    p.add_argument("--querier", required=True, metavar="ORG", help="organisation asking, e.g. a bank")
    add_user_option(p, "the person asking")
    basis = p.add_mutually_exclusive_group(required=True)
    basis.add_argument("--basis", dest="legal_basis", metavar="TEXT", help="stated legal basis")
    basis.add_argument("--consent", dest="consent_ref", metavar="REF",
                       help="reference of the enterprise's written consent")
    p.add_argument("--days", type=int, metavar="N",
                   help="how long the grant lasts, 1 to the policy's maximum (default: the maximum, "
                        "queries.grant_days in credit/domain/policy.yaml); 0 or less is refused")
    p.set_defaults(func=cmd_grant)


def _actor(session: Session, args: argparse.Namespace) -> Actor:
    from credit.domain.queries import grant_holder

    if args.as_ == "authorised":
        if args.grant_id is None:
            raise InvalidInput("--as authorised 需要 --grant GRANT_ID / --as authorised needs --grant GRANT_ID")
        return grant_holder(session, args.grant_id, args.user)
    if args.grant_id is not None:
        raise InvalidInput("--grant 仅用于 --as authorised / --grant goes with --as authorised")
    if args.as_ == "enterprise":
        return Actor(args.user, ROLE_ENTERPRISE, enterprise_id=args.enterprise_id)
    return Actor(args.user, VIEWERS[args.as_])


def cmd_profile(args: argparse.Namespace) -> int:
    from credit.domain.queries import view_profile

    profile = in_transaction(lambda s: view_profile(s, _actor(s, args), args.enterprise_id, at=args.date,
                                                    grant_id=args.grant_id))
    say(render.profile_text(profile))
    return 0


def cmd_lists(args: argparse.Namespace) -> int:
    from credit.cli.trust_cmds import signed_export_text
    from credit.domain.exports_signing import sign_export
    from credit.domain.lists import view_list

    if args.out:
        check_output_path(args.out)
    actor = Actor(args.user, ROLE_REGULATOR)
    view = in_transaction(lambda s: view_list(s, actor, args.kind, at=args.date, export=args.out))
    if args.out is None:
        say(render.list_text(view))
        return 0
    with output_file(args.out, encoding="utf-8-sig") as fh:
        write_list_csv(view, fh)
    signed = in_transaction(lambda s: sign_export(s, actor, args.out, kind=f"list:{args.kind}",
                                                  filters={"date": view.at, "viewer": "public"}, rows=len(view.rows())))
    say(render.list_written_text(view, args.out))
    say(signed_export_text(signed))
    return 0


def cmd_grant(args: argparse.Namespace) -> int:
    from credit.domain.queries import grant_access

    actor = Actor(args.user, ROLE_AUTHORISED, args.querier)

    def run(session: Session) -> tuple[int, int, date]:
        grant = grant_access(session, actor, args.enterprise_id, on=date.today(), legal_basis=args.legal_basis,
                             consent_ref=args.consent_ref, days=args.days)
        session.flush()
        return grant.id, grant.enterprise_id, grant.valid_until

    grant_id, enterprise_id, until = in_transaction(run)
    say(f"授权编号 / grant {grant_id}: {args.querier} → 企业 enterprise {enterprise_id}, 有效至 / valid until {until}")
    return 0


def write_list_csv(view: ListView, fh: TextIO) -> None:
    """A list as CSV: the header, then one formula-safe row per reason."""
    writer = csv.writer(fh)
    writer.writerow(CSV_HEADER)
    writer.writerows(view.rows())
