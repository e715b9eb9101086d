"""A crawler walks every public page and API answer over generated data holding every record type ×
openness × publicity state, and finds no value the gate hides: records outside their window, not yet
dated, revoked or not 公开 (loan contracts, police cases, grades B/M/C), raw ID numbers, old versions."""

from __future__ import annotations

import re
from collections import deque
from datetime import date, timedelta
from html.parser import HTMLParser
from urllib.parse import quote, urljoin, urlparse

from sqlalchemy.orm import Session

from credit.domain import search_index
from credit.domain.policy import publicity_of, record_date
from credit.kernel.catalog import OPENNESS_PUBLIC, load_catalog
from tests.credit.builders import add_record, registration
from tests.web.conftest import make_app

TODAY = date.today()
STATES = {"current": 30, "ended": 2300, "future": -40, "revoked": 30}
GRADES = ("A", "B", "M", "C", "D")


def _day(days_ago: int) -> str:
    return (TODAY - timedelta(days=days_ago)).isoformat()


def _fields(rt, idx: int, days_ago: int, grade: str | None) -> dict:
    """Every column filled: dates by the state, text columns carrying the record's marker."""
    marker = f"MK{idx:03d}Q"
    out: dict = {}
    for col in rt.columns:
        if col.key in ("record_id", "op"):
            continue
        if col.type == "date":
            out[col.key] = _day(days_ago)
        elif col.type == "year":
            out[col.key] = (TODAY - timedelta(days=days_ago)).year - 1
        elif col.type in ("amount_wan", "amount_yuan", "int"):
            out[col.key] = 3.0 if col.type != "int" else 90
        elif col.type == "enum":
            out[col.key] = grade if col.key == "grade" and grade else (col.values[0] if col.values else marker)
        elif col.type == "enum_list":
            out[col.key] = ["罚款"]
        elif col.type == "bool_zh":
            out[col.key] = False
        elif col.type == "list":
            out[col.key] = [f"{marker}曾用名"]
        elif col.type == "id_number":
            out[col.key] = f"43010219800101{idx:04d}"
        elif col.identity == "name":
            out[col.key] = f"克劳勒{idx:03d}网络科技有限公司"
        elif col.type in ("uscc", "reg_no", "org_code", "taxpayer_id", "loan_card_no"):
            out[col.key] = None
        else:
            out[col.key] = marker
    if "removed_date" in out and days_ago > 1000:
        out["removed_date"] = _day(days_ago - 30)
    if "balance_yuan" in out and days_ago > 1000:
        out["balance_yuan"] = 0.0
    return out


def _shown_publicly(rt, fields: dict, revoked: bool) -> bool:
    dated = record_date(rt, fields)
    return (not revoked and rt.openness_of(fields) == OPENNESS_PUBLIC and publicity_of(rt, fields).is_public(TODAY)
            and (dated is None or dated <= TODAY))


def generate(session: Session) -> tuple[set[str], set[str], list[str], set[str]]:
    """(markers that must never show, raw personal values, every name, markers that must show)."""
    shown: set[str] = set()
    hidden: set[str] = set()
    personal: set[str] = set()
    names: list[str] = []
    idx = 0
    for rt in load_catalog():
        grades = GRADES if rt.openness_by else (None,)
        for state, days_ago in STATES.items():
            for grade in grades:
                idx += 1
                eid = 100 + idx
                registration(session, f"REG-{idx:03d}", enterprise_id=eid, name=f"克劳勒{idx:03d}网络科技有限公司",
                             uscc=None, approval_date=_day(3000), legal_rep="王五")
                fields = _fields(rt, idx, days_ago, grade)
                rid = f"RID{idx:03d}Z"
                if state == "revoked" or idx % 7 == 0:  # an older version's values must never show
                    add_record(session, rt.department, rt.name, rid, eid,
                               **{**fields, **{k: f"OLD{idx:03d}Q" for k, v in fields.items() if v == f"MK{idx:03d}Q"}})
                    hidden.add(f"OLD{idx:03d}Q")
                add_record(session, rt.department, rt.name, rid, eid, op="revoke" if state == "revoked" else "upsert",
                           **fields)
                if not _shown_publicly(rt, {**fields, "record_id": rid}, state == "revoked"):
                    hidden |= {rid, f"MK{idx:03d}Q"}
                elif f"MK{idx:03d}Q" in fields.values():
                    shown.add(f"MK{idx:03d}Q")
                personal |= {str(fields[k]) for k in rt.personal_keys if fields.get(k)}
                names.append(f"克劳勒{idx:03d}网络科技有限公司")
    search_index.rebuild(session)
    session.commit()
    return hidden, personal, names, shown


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        if tag == "a":
            self.links += [v for k, v in attrs if k == "href" and v]


SKIP = re.compile(r"^/(lang|login|logout|static|account|my|authorised|gov)\b|^.*\.pdf$")  # reports: test_trust_web.py


def crawl(client, seeds: list[str], limit: int = 1500) -> dict[str, str]:
    seen: dict[str, str] = {}
    queue = deque(seeds)
    while queue and len(seen) < limit:
        path = queue.popleft()
        if path in seen:
            continue
        response = client.get(path)
        if response.status_code in (301, 302):
            queue.append(urlparse(response.headers["Location"]).path or "/")
            seen[path] = ""
            continue
        text = response.get_data(as_text=True)
        seen[path] = text
        assert response.status_code in (200, 404, 422), (path, response.status_code)
        if "text/html" in response.content_type:
            parser = Links()
            parser.feed(text)
            for href in parser.links:
                url = urlparse(urljoin(path, href))
                target = url.path + (f"?{url.query}" if url.query else "")
                if not url.netloc and not SKIP.match(url.path) and target not in seen:
                    queue.append(target)
    return seen


def test_crawler_finds_nothing_the_gate_hides(engine):
    with Session(engine, expire_on_commit=False) as s:
        hidden, personal, names, shown = generate(s)
    app = make_app(engine)
    client = app.test_client()
    ids = range(101, 101 + len(names))
    seeds = ["/", "/lists/black", "/lists/red", "/catalogue", "/api/v1/lists/black", "/api/v1/lists/red",
             "/api/v1/catalogue", f"/lists/black?date={TODAY.isoformat()}"]
    seeds += [f"/enterprises/{i}" for i in ids] + [f"/api/v1/enterprises/{i}" for i in ids]
    for name in names[::3]:
        seeds += [f"/search?q={quote(name[3:8])}", f"/api/v1/search?q={quote(name)}"]
    seeds += [f"/search?q={quote('网络科技')}&page={p}" for p in range(1, 4)]
    pages = crawl(client, seeds)
    assert len(pages) > len(names) * 2
    everything = "\n".join(pages.values())
    leaked = sorted(m for m in hidden if m in everything)
    assert not leaked, f"hidden values on public pages: {leaked[:10]}"
    assert not sorted(p for p in personal if p in everything)
    assert "430102198001" in everything.replace("*", "") or "430***********" in everything  # masked ones do show
    assert len(shown) > 5 and sorted(m for m in shown if m not in everything) == []  # what is public is there
