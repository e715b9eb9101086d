"""audit verify / audit show, verify-export, report: what lets people trust the platform's output."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from credit.cli.common import (
    OutputError,
    add_command,
    add_user_option,
    check_output_path,
    in_transaction,
    parse_date,
    positive_int,
    say,
)
from credit.domain.workflows import ROLE_ADMIN, Actor

EXIT_BROKEN = 1


def register(sub: Any) -> None:
    p = add_command(sub, "audit", "审计日志 / the hash-chained audit log: verify it, read it",
                    "audit verify: checks every entry's hash link and the signed checkpoints (in the database\n"
                    "and in the witness file outside it); names the first broken entry; exit 1 when broken.\n"
                    "audit show: reads entries, oldest first (the reading itself is audited).")
    audit_sub = p.add_subparsers(metavar="ACTION", help="verify | show")
    v = add_command(audit_sub, "verify", "校验整条哈希链与签名检查点 / check the whole chain and its signed checkpoints")
    v.add_argument("--witness", metavar="FILE", help="checkpoint witness file (default: audit-checkpoints.jsonl "
                                                     "in the key directory, or CREDIT_AUDIT_WITNESS)")
    v.set_defaults(func=cmd_audit_verify)
    s = add_command(audit_sub, "show", "查看审计条目 / read audit entries, oldest first")
    s.add_argument("--enterprise", type=int, metavar="ID", help="only entries about this enterprise (and ids merged into it)")
    s.add_argument("--since", type=parse_date, metavar="D", help="only entries from this day on (YYYY-MM-DD, UTC)")
    s.add_argument("--limit", type=positive_int, default=200, help="the newest N matching entries (default 200)")
    add_user_option(s, "who reads the log (recorded)")
    s.set_defaults(func=cmd_audit_show)
    p.set_defaults(func=lambda _args, parser=p: (parser.print_help(), 2)[1])

    p = add_command(sub, "verify-export", "离线校验导出文件的签名 / check an export against its manifest and signature",
                    "Offline: recomputes the file's SHA-256, compares it with FILE.manifest.json and checks the\n"
                    "Ed25519 signature FILE.sig over the manifest with the platform's export public key.\n"
                    "Exit 0 genuine, 1 tampered or unsigned.")
    p.add_argument("file", metavar="FILE", help="the export; FILE.manifest.json and FILE.sig must sit beside it")
    p.add_argument("--key", metavar="PEM", help="the platform's export public key (GET /keys/export-signing.pem); "
                                                "default: the key directory's")
    p.set_defaults(func=cmd_verify_export)

    p = add_command(sub, "report", "企业信用报告 PDF / a signed credit report as a viewer may see it",
                    "A PDF in Chinese (embedded font) with report number, generation time, data as-of date,\n"
                    "every section the viewer may see, the rating explained line by line, a QR code to the\n"
                    "verification page (CREDIT_PUBLIC_URL) and a PDF signature. Registered and audited.")
    p.add_argument("enterprise_id", type=int, metavar="ID", help="enterprise id (see search or links)")
    p.add_argument("--as", dest="as_", default="public", choices=["public", "government", "enterprise", "authorised"],
                   help="viewer: public (default), government, enterprise (itself), authorised (with --grant)")
    p.add_argument("--grant", type=int, dest="grant_id", help="query grant id, for --as authorised")
    p.add_argument("--date", type=parse_date, help="data as of YYYY-MM-DD (default today)")
    p.add_argument("--out", required=True, metavar="FILE.pdf", help="where the signed PDF is written")
    add_user_option(p, "who asks for the report (recorded)")
    p.set_defaults(func=cmd_report)


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from credit.domain.audit import verify

    result = in_transaction(lambda s: verify(s, args.witness))
    if result.ok:
        say(f"审计日志完好 / the audit log is intact: {result.entries} 条 entries, "
            f"签名封存至 sealed through entry {result.sealed_through or '—'}")
        say(result.witness)
        return 0
    say(f"审计日志被篡改 / the audit log is BROKEN at entry {result.broken_id}: {result.problem}")
    say(f"已检查 checked {result.entries} 条 entries；{result.witness}")
    return EXIT_BROKEN


def cmd_audit_show(args: argparse.Namespace) -> int:
    from credit.domain.audit import show

    actor = Actor(args.user, ROLE_ADMIN)
    entries = in_transaction(lambda s: show(s, actor, enterprise_id=args.enterprise, since=args.since,
                                            limit=args.limit))
    if not entries:
        say("没有符合条件的审计条目 / no matching audit entries")
    for e in entries:
        enterprise = f" 企业 enterprise {e.enterprise_id}" if e.enterprise_id is not None else ""
        say(f"#{e.id} {e.at.isoformat(sep=' ', timespec='seconds')} UTC  {e.action}  {e.subject}{enterprise}  "
            f"by {e.actor}")
        details = json.loads(e.details or "{}")
        if e.reason:
            say(f"    理由 reason: {e.reason}")
        if details:
            say(f"    {json.dumps(details, ensure_ascii=False, sort_keys=True)}")
    return 0


def cmd_verify_export(args: argparse.Namespace) -> int:
    from credit.domain.exports_signing import verify_export

    key = None
    if args.key:
        try:
            key = Path(args.key).read_bytes()
        except OSError as exc:
            raise OutputError(f"无法读取公钥 / cannot read the key {args.key}: {exc.strerror or exc}") from None
    check = verify_export(args.file, key, args.key or "")
    m = check.manifest
    if check.ok:
        say(f"签名有效 / the export is genuine: {args.file}")
        say(f"  导出 exported {m.get('kind')} by {m.get('exported_by')} at {m.get('exported_at')}, "
            f"{m.get('rows')} 行 rows, 筛选 filters {json.dumps(m.get('filters'), ensure_ascii=False)}")
        say(f"  SHA-256 {m.get('sha256')}, 密钥 key {check.key_id}, 审计条目 audit entry {m.get('audit_entry')}")
        return 0
    say(f"校验失败 / the export does NOT verify: {args.file}")
    for problem in check.problems:
        say(f"  - {problem}")
    return EXIT_BROKEN


def signed_export_text(signed: Any) -> str:
    """The lines printed after an export was signed."""
    return (f"已签名 signed: {signed.manifest_file} + {signed.signature_file} "
            f"(SHA-256 {signed.manifest['sha256'][:16]}…, key {signed.manifest['key_id']}); "
            f"校验 verify: python -m credit verify-export {signed.manifest['file']}")


def cmd_report(args: argparse.Namespace) -> int:
    from credit.cli.credit_cmds import _actor
    from credit.domain.reports import make_report, verify_url

    target = check_output_path(args.out)
    report = in_transaction(lambda s: make_report(s, _actor(s, args), args.enterprise_id, at=args.date,
                                                  grant_id=args.grant_id))
    try:
        target.write_bytes(report.pdf)
    except OSError as exc:
        raise OutputError(f"无法写入 / cannot write {target}: {exc.strerror or exc}") from None
    say(f"信用报告 credit report {report.number}: 企业 enterprise {report.enterprise_id}，视角 viewer {report.viewer}，"
        f"数据截止 as of {report.as_of} → {target} ({len(report.pdf)} bytes)")
    say(f"  SHA-256 {report.sha256}")
    say(f"  核验 verify: {verify_url(report.number)}")
    return 0
