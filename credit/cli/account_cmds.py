"""user, token, search, serve: accounts, API tokens, finding an enterprise, starting the web app."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from typing import Any

from credit.cli.common import in_transaction, positive_int, say
from credit.domain.workflows import ROLE_PUBLIC, ROLES, Actor

ACCOUNT_ROLES = [r for r in ROLES if r != ROLE_PUBLIC]


def register(sub: Any) -> None:
    p = sub.add_parser("user", help="账户 / accounts: add, list, disable",
                       description="账户 / accounts of the web app and the API: add, list, disable, demo logins")
    users = p.add_subparsers(metavar="ACTION", help="add | list | disable | demo")
    add = users.add_parser("add", help="add an account; the password is read from standard input, or generated and printed")
    add.add_argument("login", help="the login name, one word")
    add.add_argument("--role", required=True, choices=ACCOUNT_ROLES, help="the role: " + ", ".join(ACCOUNT_ROLES))
    add.add_argument("--department", help="a clerk's department (commerce, tax …) or an authorised querier's organisation")
    add.add_argument("--uscc", help="an enterprise account's unified social credit code")
    add.set_defaults(func=cmd_user_add)
    lst = users.add_parser("list", help="every account with its role and scope")
    lst.set_defaults(func=cmd_user_list)
    dis = users.add_parser("disable", help="disable an account and revoke its API tokens")
    dis.add_argument("login", help="the account to disable")
    dis.set_defaults(func=cmd_user_disable)
    demo = users.add_parser("demo", help="create (once) and print one demo login of every role (demo databases only)")
    demo.set_defaults(func=cmd_user_demo)

    p = sub.add_parser("token", help="API 令牌 / API tokens",
                       description="API 令牌 / API tokens for Authorization: Bearer …, stored hashed")
    tokens = p.add_subparsers(metavar="ACTION", help="create")
    create = tokens.add_parser("create", help="print a new API token for Authorization: Bearer …")
    create.add_argument("login", help="the account the token acts as")
    create.add_argument("--days", type=positive_int, default=365, help="valid for this many days (default 365)")
    create.set_defaults(func=cmd_token_create)

    p = sub.add_parser("search", help="查找企业 / find enterprises by a name fragment or any code",
                       description="查找企业 / find enterprises by a name fragment or any code form, as the web search does")
    p.add_argument("query", nargs="+", help="a name fragment (华为, 华盛网络科技) or a code in any form")
    p.add_argument("--page", type=positive_int, default=1, help="the page of results, 20 a page (default 1)")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("serve", help="启动网站 / start the web app (gunicorn) over CREDIT_DATABASE_URL",
                       description="启动网站 / start the web app (gunicorn) over CREDIT_DATABASE_URL and print its address")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    p.add_argument("--workers", type=positive_int, default=2, help="gunicorn worker processes (default 2)")
    p.add_argument("--timeout", type=positive_int, default=300,
                   help="seconds a request may take before its worker is restarted (default 300: a clerk's "
                        "512 MB upload over a 15 Mbit/s link; gunicorn's own default of 30 s would cut it off)")
    p.set_defaults(func=cmd_serve)


def _password() -> str | None:
    if sys.stdin is None or sys.stdin.isatty():
        return None
    text = sys.stdin.read().strip("\r\n")
    return text or None


def cmd_user_add(args: argparse.Namespace) -> int:
    from credit.domain.accounts import SYSTEM, create_account

    password = _password()
    made = in_transaction(lambda s: create_account(s, SYSTEM, args.login, args.role, password=password,
                                                   department=args.department, uscc=args.uscc))
    a = made.account
    scope = a.department or a.uscc or ""
    say(f"已创建账户 / account created: {a.login} ({a.role}{' ' + scope if scope else ''})")
    if made.generated_password:
        say(f"密码 / password: {made.generated_password}")
    return 0


def cmd_user_list(args: argparse.Namespace) -> int:
    from credit.domain.accounts import SYSTEM, list_accounts

    accounts = in_transaction(lambda s: list_accounts(s, SYSTEM))
    if not accounts:
        say("尚无账户 / no accounts yet (add one with: user add LOGIN --role ROLE)")
    for a in accounts:
        state = "active" if a.active else "disabled"
        say(f"{a.login}\t{a.role}\t{a.department or a.uscc or '—'}\t{state}")
    return 0


def cmd_user_disable(args: argparse.Namespace) -> int:
    from credit.domain.accounts import SYSTEM, disable_account

    in_transaction(lambda s: disable_account(s, SYSTEM, args.login))
    say(f"已停用 / disabled: {args.login} (its API tokens are revoked)")
    return 0


def cmd_user_demo(args: argparse.Namespace) -> int:
    from credit.domain.demo_accounts import ensure_demo_logins

    logins = in_transaction(ensure_demo_logins)
    say("演示账户 / demo logins (password 密码 for each):")
    for d in logins:
        say(f"  {d.login:<16} {d.role:<11} {d.scope:<20} {d.password}")
    return 0


def cmd_token_create(args: argparse.Namespace) -> int:
    from credit.domain.accounts import SYSTEM, create_token

    say(in_transaction(lambda s: create_token(s, SYSTEM, args.login, days=args.days)))
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from credit.domain.search import search

    query = " ".join(args.query)
    result = in_transaction(lambda s: search(s, Actor(os.environ.get("USER") or "cli", ROLE_PUBLIC), query,
                                             page=args.page))
    say(f"“{query}”: {result.total} 家企业 enterprises (第 page {result.page}/{result.pages})")
    for h in result.hits:
        badges = f"  【{'，'.join(h.badges)}】" if h.badges else ""
        former = f"  (曾用名 former name {h.matched})" if h.matched else ""
        say(f"{h.enterprise_id}\t{h.name or '—'}\t{h.uscc or '—'}\t{h.status or '—'}{badges}{former}")
    if result.capped:
        say("结果较多，请输入更完整的名称 / many results: type more of the name")
    return 0 if result.total else 1


def _free_port(host: str) -> int:
    import socket

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def cmd_serve(args: argparse.Namespace) -> int:
    from credit.cli.common import engine

    engine()  # create or migrate the schema once, before the workers start
    gunicorn = shutil.which("gunicorn", path=os.path.dirname(sys.executable)) or shutil.which("gunicorn")
    if gunicorn is None:
        say("找不到 gunicorn / gunicorn is not installed (scripts/setup installs it)", err=True)
        return 1
    port = args.port or _free_port(args.host)
    env = dict(os.environ)
    if not env.get("CREDIT_SECRET_KEY"):  # one key for every worker, or a session dies on the next worker
        import secrets

        env["CREDIT_SECRET_KEY"] = secrets.token_hex(32)
        say("CREDIT_SECRET_KEY 未设置：本次运行使用临时密钥 / not set: a key for this run only", err=True)
    if args.host in ("127.0.0.1", "localhost", "::1"):
        env.setdefault("CREDIT_SECURE_COOKIES", "0")  # plain http on this machine only
    say(f"联征网站 / Lianzheng web: http://{args.host}:{port}/  (Ctrl-C to stop)")
    os.execve(gunicorn, [gunicorn, "--workers", str(args.workers), "--bind", f"{args.host}:{port}",
                         "--timeout", str(args.timeout),
                         "--access-logfile", "-", "--no-control-socket", "web.wsgi:app"], env)
    return 0  # not reached
