"""keys init, keys rotate, keys status: the data keys that encrypt personal values at rest."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from credit.cli.common import add_command, add_user_option, engine, positive_int, say
from credit.domain.workflows import ROLE_ADMIN, Actor


def register(sub: Any) -> None:
    p = add_command(sub, "keys", "密钥 / the data keys encrypting personal values at rest, and the signing keys",
                    "keys init: create the data keys and the signing keys that are missing (never replaces one).\n"
                    "keys rotate: a new data key; every stored value re-encrypted in batches, resumable.\n"
                    "keys status: each data key and how many rows use it. keys seal: encrypt values stored in\n"
                    "clear before encryption at rest (then run resolve --full). keys repseudonymise: recompute the\n"
                    "ID numbers' pseudonyms made under the former rule, rebuild search, resolve --full.\n"
                    "See docs/security.md.")
    keys_sub = p.add_subparsers(metavar="ACTION", help="init | rotate | status | seal | repseudonymise")
    q = keys_sub.add_parser("init", help="创建数据密钥与签名密钥（已有则不动）/ create the data and signing keys "
                                         "(never replaces them)")
    q.set_defaults(func=cmd_init)
    q = keys_sub.add_parser("rotate", help="轮换密钥并重新加密所有数据 / new key, every stored value re-encrypted; "
                                           "resumable, runs beside normal work")
    q.add_argument("--batch", type=positive_int, default=500, help="rows per transaction (default 500)")
    q.add_argument("--quiet", "-q", action="store_true", help="no progress output")
    add_user_option(q)
    q.set_defaults(func=cmd_rotate)
    q = keys_sub.add_parser("status", help="密钥及其使用情况 / the keys and how many rows use each")
    q.set_defaults(func=cmd_status)
    q = keys_sub.add_parser("seal", help="加密启用加密前以明文存入的个人信息 / seal personal values stored in clear "
                                         "before encryption at rest; then run resolve --full")
    q.add_argument("--batch", type=positive_int, default=500, help="rows per transaction (default 500)")
    add_user_option(q)
    q.set_defaults(func=cmd_seal)
    q = keys_sub.add_parser("repseudonymise", help="按现行规则重算身份证号假名，重建搜索索引并全量归集 / recompute "
                                                   "ID-number pseudonyms made under the former rule, rebuild the "
                                                   "search index, then resolve --full")
    q.add_argument("--batch", type=positive_int, default=500, help="rows per transaction (default 500)")
    q.add_argument("--no-resolve", action="store_true", help="skip the full resolve (run it yourself later)")
    q.add_argument("--quiet", "-q", action="store_true", help="no progress output")
    add_user_option(q)
    q.set_defaults(func=cmd_repseudonymise)
    p.set_defaults(func=lambda _args, parser=p: (parser.print_help(), 2)[1])


def cmd_init(args: argparse.Namespace) -> int:
    from credit.domain.keyring import create_keys
    from credit.kernel.signing import ensure_signing_keys

    path, created = create_keys()
    if created:
        say(f"已创建数据密钥 / data keys created: {path}（请妥善备份，丢失即无法读取加密数据 / back it up: "
            "without it the encrypted values cannot be read）")
    else:
        say(f"数据密钥已存在，未做改动 / data keys already exist, left as they are: {path}")
    for made in ensure_signing_keys():
        say(f"已创建签名密钥 / signing key created: {made}")
    return 0


class _Progress:
    """A progress line on stderr every few seconds."""

    def __init__(self, every: float = 2.0, done: str = "已重新加密 re-encrypted") -> None:
        self.every, self.last, self.done = every, time.monotonic(), done

    def __call__(self, seen: int, total: int, changed: int) -> None:
        now = time.monotonic()
        if now - self.last >= self.every or seen >= total:
            self.last = now
            pct = f"{100 * seen / total:.0f}%" if total else "100%"
            print(f"  已检查 looked at {seen}/{total} ({pct}) · {self.done} {changed}",
                  file=sys.stderr, flush=True)


def cmd_rotate(args: argparse.Namespace) -> int:
    from credit.domain.keyring import rotate_keys

    result = rotate_keys(engine(), Actor(args.user, ROLE_ADMIN), batch=args.batch,
                         progress=None if args.quiet else _Progress())
    verb = "继续 resumed" if result.resumed else "新密钥 new key"
    say(f"密钥轮换 key rotation ({verb}) → {result.to}: 重新加密 re-encrypted {result.values} 个值 values "
        f"in {result.rows} 行 rows, {result.passes} 遍 passes")
    if result.finished:
        say(f"完成 / done: 旧密钥已停用但保留（备份需要）/ old keys retired, kept readable for backups: "
            f"{', '.join(result.retired) or '—'}")
        return 0
    say("未完成：仍有数据使用旧密钥（可能有进程在轮换期间写入），请再次运行 / not finished: values under an old key "
        "remain (written meanwhile); run `python -m credit keys rotate` again")
    return 1


def cmd_status(args: argparse.Namespace) -> int:
    from credit.domain.keyring import key_status

    status = key_status(engine())
    lines = [f"数据密钥 data keys: {status.source}"]
    for k in status.keys:
        state = "使用中 active" if k.active else "已停用 retired" if k.retired else "旧 old"
        lines.append(f"  {k.id}  {state}  {k.rows} 行 rows")
    if status.rotating_to:
        lines.append(f"轮换进行中 rotation under way → {status.rotating_to}: run `python -m credit keys rotate`")
    say("\n".join(lines))
    return 0


def cmd_seal(args: argparse.Namespace) -> int:
    from credit.domain.keyring import seal_clear_values

    result = seal_clear_values(engine(), Actor(args.user, ROLE_ADMIN), batch=args.batch)
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(result.by_type.items())) or "—"
    say(f"已加密 / sealed {result.rows} 行明文个人信息 rows stored in clear ({kinds})")
    if result.rows:
        say("匹配键仍基于明文，请运行 / matching keys were built from the clear numbers: run "
            "`python -m credit resolve --full`")
    return 0


def cmd_repseudonymise(args: argparse.Namespace) -> int:
    from credit.cli import render
    from credit.domain.repseudonymise import repseudonymise
    from credit.domain.uploads import resolve_records

    eng, actor = engine(), Actor(args.user, ROLE_ADMIN)
    result = repseudonymise(eng, actor, batch=args.batch,
                            progress=None if args.quiet else _Progress(done="已改写 rewritten"))
    say(f"假名 / pseudonyms: 检查 looked at {result.rows} 行 rows, 改写 rewrote {result.values} 个值 values "
        f"in {result.changed_rows} 行 rows; 搜索索引已重建 search index rebuilt ({result.indexed} 家企业 enterprises)")
    if args.no_resolve:
        say("请运行 / now run `python -m credit resolve --full` (matching keys still hold the former pseudonyms)")
        return 0
    say(render.resolve_text(resolve_records(eng, actor, full=True)))
    return 0
