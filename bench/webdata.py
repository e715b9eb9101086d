"""A million enterprises written straight into the tables (for bench/web.py), cheaply.

Ingest and resolve at this size take minutes each and are measured by their own benchmarks; the
web benchmark needs only what a resolved database holds: enterprises, one registration record
each (5 % also a penalty, 2 % an abnormal-list entry, 0.5 % serious penalties that put them on
the black list), their links, a resolution run and the search index. Rows go in with sqlite3
``executemany`` in 50k chunks inside one transaction; the search rows come from the same
functions the index refresh uses (``core_of``, ``bigrams``, ``normalize``).
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import text
from stdnum.cn.uscc import calc_check_digit

from credit.domain.migrate import upgrade
from credit.domain.search_index import bigrams, core_of
from credit.kernel.db import make_engine
from credit.kernel.identifiers import org_code_check
from matching.names import normalize
from matching.regions import CITIES

CHUNK = 50_000
TRADE_CHARS = ("华盛恒昌宇佳升睿隆明凯宏力楚创福和兴永泰鑫源达通瑞祥金博远鸿腾飞海天正德信诚安康宏伟建明新立"
               "国民中南北东西方圆丰茂汇聚嘉禾美景光辉晨阳星月云山水林森川江河湖湘楚粤闽浙苏鲁豫晋冀辽吉黑"
               "蒙桂滇黔蜀秦陇宁青藏疆琼港澳台龙凤麒麟鹏鹰虎豹松柏梅兰竹菊春夏秋冬晶玉珠宝锦绣")
INDUSTRIES = ("网络科技", "科技", "信息技术", "建材", "建设工程", "贸易", "商贸", "餐饮管理", "教育咨询", "物流",
              "机械", "电子", "食品", "医药", "文化传媒", "房地产开发", "农业", "环保科技", "新能源", "服饰")
FORMS = ("有限公司", "有限责任公司", "股份有限公司")
TODAY = date.today()


def _uscc(rng: random.Random, division: str) -> str:
    org8 = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
    head = f"91{division}{org8}{org_code_check(org8)}"
    return head + calc_check_digit(head)


def _names(n: int, seed: int) -> Iterator[tuple[int, str, str]]:
    rng = random.Random(seed)
    cities = list(CITIES.items())
    for eid in range(1, n + 1):
        code, city = rng.choice(cities)
        trade = rng.choice(TRADE_CHARS) + rng.choice(TRADE_CHARS)
        region = city if rng.random() < 0.6 else ""
        name = f"{region}{trade}{rng.choice(INDUSTRIES)}{rng.choice(FORMS)}"
        yield eid, name, _uscc(rng, code + "00")


SR_SQL = ("INSERT INTO source_records (id, department, record_type, record_id, version, op, content_hash, fields, raw,"
          " batch_id, file_hash, row_number, created_at, name, uscc) VALUES (?, ?, ?, ?, 1, 'upsert', ?, ?, '{}', ?, ?,"
          " ?, ?, ?, ?)")
LINK_SQL = ("INSERT INTO record_links (id, department, record_type, record_id, enterprise_id, score, reason, updated_at,"
            " source_id) VALUES (?, ?, ?, ?, ?, 1.0, 'bench', ?, ?)")


def _registration(eid: int, name: str, uscc: str) -> dict[str, object]:
    return {"record_id": f"REG{eid}", "op": None, "uscc": uscc, "reg_no": None, "name": name,
            "enterprise_type": "有限责任公司", "legal_rep": "张三", "registered_capital": 100.0,
            "established_date": "2015-03-01", "registration_authority": "市场监督管理局", "address": "某市某区某路1号",
            "business_scope": "技术开发、技术服务", "status": "存续", "approval_date": "2020-01-01", "former_names": []}


def _penalty(eid: int, name: str, uscc: str, serious: bool) -> dict[str, object]:
    return {"record_id": f"CF{eid}", "op": None, "subject_name": name, "uscc": uscc, "penalty_kinds": ["罚款"],
            "fine_amount": 2.0, "decision_date": (TODAY - timedelta(days=60)).isoformat(), "serious": serious,
            "authority": "市场监督管理局", "violation_type": "虚假宣传", "decision_no": f"市监罚〔2026〕{eid}号"}


def _abnormal(eid: int, name: str, uscc: str) -> dict[str, object]:
    return {"record_id": f"AB{eid}", "op": None, "uscc": uscc, "name": name, "listed_reason": "通过登记的住所无法联系",
            "listed_date": (TODAY - timedelta(days=90)).isoformat(), "deciding_authority": "市场监督管理局"}


def build(path: Path, n: int, seed: int = 2026) -> dict[str, float]:
    """Write the database at ``path`` (reused when it already holds ``n`` enterprises); seconds per step."""
    if path.exists():
        if _same_schema(path):
            with sqlite3.connect(path) as conn:
                if conn.execute("SELECT count(*) FROM enterprises").fetchone()[0] == n:
                    cards = conn.execute("SELECT count(*) FROM search_cards").fetchone()[0]
                    return {"reused": 0.0, **({} if cards else {"cards_seconds": add_cards(path)})}
        for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    started = time.perf_counter()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    now = "2026-01-01 00:00:00"
    for bid, rtype in ((1, "registration"), (2, "penalty"), (3, "abnormal_list")):  # indexed: written below
        conn.execute("INSERT INTO batches (id, department, record_type, filename, file_hash, file_format, created_at,"
                     " rows_read, loaded, new_versions, unchanged, duplicates, rejected, indexed) VALUES (?, 'commerce', ?,"
                     " ?, ?, 'csv', ?, 0, 0, 0, 0, 0, 0, 1)", (bid, rtype, f"bench-{rtype}.csv", f"{bid:064d}", now))
    counts = {"source_records": 0, "grams": 0}
    sid = 0
    buffer: list[tuple[int, str, str]] = []
    for row in _names(n, seed):
        buffer.append(row)
        if len(buffer) == CHUNK:
            sid = _write_chunk(conn, buffer, sid, now, counts)
            buffer = []
    if buffer:
        sid = _write_chunk(conn, buffer, sid, now, counts)
    conn.execute("INSERT INTO resolution_runs (id, mode, max_source_id, records, started_at, finished_at)"
                 " VALUES (1, 'full', ?, ?, ?, ?)", (sid, sid, now, now))
    conn.execute("INSERT INTO search_state (id, run_id, source_id, event_id, links_at) VALUES (1, 1, ?, 0, ?)", (sid, now))
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "cards_seconds": add_cards(path), **{k: float(v) for k, v in counts.items()}}


def add_cards(path: Path) -> float:
    """The search cards of every enterprise, decided by the domain (``search_index.renew_cards``), on a
    database written by ``build`` (or by an older version of it: the schema is brought up to date first);
    the seconds it took."""
    from sqlalchemy.orm import Session

    from credit.domain import search_index

    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    started = time.perf_counter()
    with Session(engine) as session:
        top = int(session.execute(text("SELECT max(id) FROM enterprises")).scalar() or 0)
        for first in range(1, top + 1, 50_000):
            search_index.renew_cards(session, range(first, min(first + 50_000, top + 1)))
        session.commit()
    engine.dispose()
    return time.perf_counter() - started


def _same_schema(path: Path) -> bool:
    """Whether the database has every table and column of this version's models (else it is rebuilt)."""
    from sqlalchemy import inspect

    from credit.domain.schema import metadata

    engine = make_engine(f"sqlite:///{path}")
    try:
        found = inspect(engine)
        tables = set(found.get_table_names())
        return all(t.name in tables and {c.name for c in t.columns} <= {c["name"] for c in found.get_columns(t.name)}
                   for t in metadata().sorted_tables)
    finally:
        engine.dispose()


def _write_chunk(conn: sqlite3.Connection, rows: list[tuple[int, str, str]], sid: int, now: str,
                 counts: dict[str, int]) -> int:
    records, links, entries, grams, codes = [], [], [], [], []
    conn.executemany("INSERT INTO enterprises (id, status, created_at, updated_at) VALUES (?, 'active', ?, ?)",
                     [(eid, now, now) for eid, _, _ in rows])
    for eid, name, uscc in rows:
        wanted = [(1, "registration", f"REG{eid}", _registration(eid, name, uscc))]
        if eid % 20 == 0:
            wanted.append((2, "penalty", f"CF{eid}", _penalty(eid, name, uscc, serious=eid % 200 == 0)))
        if eid % 50 == 7:
            wanted.append((3, "abnormal_list", f"AB{eid}", _abnormal(eid, name, uscc)))
        for bid, rtype, rid, fields in wanted:
            sid += 1
            records.append((sid, "commerce", rtype, rid, f"{sid:032x}", json.dumps(fields, ensure_ascii=False), bid,
                            f"{bid:064d}", sid, now, name, uscc))
            links.append((sid, "commerce", rtype, rid, eid, now, sid))
        core, norm = core_of(name), normalize(name)
        entries.append((eid, eid, name, norm, core))
        grams += [(g, eid, eid, norm, core) for g in bigrams(core)]
        codes += [(uscc, eid), (uscc[8:17], eid)]
    conn.executemany(SR_SQL, records)
    conn.executemany(LINK_SQL, links)
    conn.executemany("INSERT INTO search_entries (id, enterprise_id, name, norm, core, former) VALUES (?, ?, ?, ?, ?, 0)",
                     entries)
    conn.executemany("INSERT INTO search_grams (gram, entry_id, enterprise_id, norm, core, former) VALUES (?, ?, ?, ?, ?,"
                     " 0)", grams)
    conn.executemany("INSERT OR IGNORE INTO search_codes (code, enterprise_id) VALUES (?, ?)", codes)
    counts["source_records"] += len(records)
    counts["grams"] += len(grams)
    return sid


def sample_queries(n: int, count: int, seed: int = 7) -> list[str]:
    """Queries people type: a trade name alone, trade name + industry, a full name, a code."""
    picks = set(random.Random(seed).sample(range(1, n + 1), min(count, n)))
    out = []
    for eid, name, uscc in _names(n, 2026):
        if eid in picks:
            core = core_of(name)
            out.append([core[:2], core, name, uscc.lower()][len(out) % 4])
        if len(out) == len(picks):
            break
    return out
