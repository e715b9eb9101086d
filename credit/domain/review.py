"""The review queue for reviewers: uncertain pairs side by side, decided same / different / skip.

Same and different are judgements (``judge_records``): stored, honoured by every later resolve,
and the two sides re-resolved at once. Skip passes the pair over for this reviewer only: it goes
to the end of their queue. Filters: a department on either side, a score range.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson
from sqlalchemy import Engine, and_, func, or_, select
from sqlalchemy.orm import Session

from credit.domain import audit
from credit.domain.gate import Record, Viewer, decide
from credit.domain.jobs import retrying
from credit.domain.uploads import judge_records
from credit.domain.work_models import ReviewSkip
from credit.domain.workflows import ROLE_ADMIN, ROLE_REVIEWER, Actor, Conflict, InvalidInput, NotFound, require_role
from credit.kernel.catalog import RecordType, load_catalog
from credit.kernel.models import Batch, SourceRecord
from matching import evidence
from matching.identity import parse_key
from matching.models import RecordLink, ReviewItem

log = logging.getLogger(__name__)

REVIEWERS = (ROLE_REVIEWER, ROLE_ADMIN)
VERDICTS = ("same", "different", "skip")
SIDE_FIELDS = ("name", "former_names", "uscc", "reg_no", "org_code", "taxpayer_id", "legal_rep", "address")


@dataclass(frozen=True)
class Side:
    """One record of a pair as a reviewer compares it: its identity (through the gate) and where it came from."""

    key: str
    department: str
    department_zh: str
    record_type: str
    record_type_zh: str
    record_id: str
    enterprise_id: int | None
    identity: dict[str, str | None]
    source: str  # file, row and batch


@dataclass(frozen=True)
class Pair:
    """One uncertain pair: score, the evidence line by line, both sides."""

    id: int
    score: float
    evidence: list[str]
    left: Side
    right: Side
    skipped: bool = False


def evidence_lines(explanation: str | None) -> list[str]:
    """The score's evidence (stored as data by matching), one sentence per feature."""
    return evidence.lines(explanation)


def _side(session: Session, key: str, revealed: list[str]) -> Side:
    dept, rtype, rid = parse_key(key)
    src = session.scalars(select(SourceRecord).where(
        SourceRecord.department == dept, SourceRecord.record_type == rtype, SourceRecord.record_id == rid)
        .order_by(SourceRecord.version.desc()).limit(1)).first()
    eid = session.scalar(select(RecordLink.enterprise_id).where(
        RecordLink.department == dept, RecordLink.record_type == rtype, RecordLink.record_id == rid))
    rt = load_catalog().get(dept, rtype)
    identity: dict[str, str | None] = {}
    source = ""
    if src is not None:
        identity = _identity(rt, src, eid, revealed)
        filename = session.scalar(select(Batch.filename).where(Batch.id == src.batch_id))
        source = f"{filename} 第 {src.row_number} 行 / row {src.row_number}（批次 batch {src.batch_id}，版本 v{src.version}）"
    return Side(key, dept, rt.department_zh, rtype, rt.zh, rid, eid, identity, source)


def _identity(rt: RecordType, src: SourceRecord, enterprise_id: int | None,
              revealed: list[str]) -> dict[str, str | None]:
    """The side's identity as a government user may see it: the record through the gate (what it
    shows of personal data in clear is added to ``revealed``, for the ``personal.unmask`` entry)."""
    record = Record(src.department, src.record_type, src.record_id, enterprise_id or 0, src.version,
                    orjson.loads(src.fields), src.batch_id, src.file_hash, src.row_number)
    opened: list[str] = []
    shown = decide(record, Viewer.government(), date.max, revealed=opened)
    if shown is None:
        return {}
    out: dict[str, str | None] = {}
    for role, key in rt.identity_columns.items():
        if role in SIDE_FIELDS:
            value = shown.fields.get(key)
            out[role] = "；".join(str(v) for v in value) if isinstance(value, list) else (
                None if value in (None, "") else str(value))
    shown_keys = {key for role, key in rt.identity_columns.items() if role in SIDE_FIELDS}
    revealed += [ref for ref in opened if ref.rpartition(".")[2] in shown_keys]
    return out


def _pair(session: Session, item: ReviewItem, revealed: list[str], skipped: bool = False) -> Pair:
    return Pair(item.id, item.score, evidence_lines(item.explanation), _side(session, item.left_key, revealed),
                _side(session, item.right_key, revealed), skipped)


def _audit_unmasked(session: Session, actor: Actor, revealed: list[str]) -> None:
    """Personal values the pairs show in clear (an individual business's 20-character taxpayer id
    where policy opens its operator's ID number to government users): audited, as every such view."""
    if revealed:
        audit.record(session, actor=str(actor), action="personal.unmask", subject="review",
                     reason=f"review by {actor.role}", details={"fields": sorted(set(revealed))})


def review_queue(session: Session, actor: Actor, *, department: str | None = None, min_score: float | None = None,
                 max_score: float | None = None, limit: int = 20, offset: int = 0) -> list[Pair]:
    """Open pairs, best score first, the ones this reviewer skipped last; filtered."""
    require_role(actor, *REVIEWERS)
    t = ReviewItem
    skipped = (select(ReviewSkip.id).where(ReviewSkip.left_key == t.left_key, ReviewSkip.right_key == t.right_key,
                                           ReviewSkip.reviewer == actor.user).exists())
    stmt = select(t, skipped.label("skipped")).where(t.status == "open")
    if department:
        stmt = stmt.where(or_(t.left_key.startswith(f"{department}/"), t.right_key.startswith(f"{department}/")))
    if min_score is not None:
        stmt = stmt.where(t.score >= min_score)
    if max_score is not None:
        stmt = stmt.where(t.score <= max_score)
    stmt = stmt.order_by(skipped, t.score.desc(), t.id).limit(limit).offset(offset)
    revealed: list[str] = []
    pairs = [_pair(session, item, revealed, bool(was_skipped)) for item, was_skipped in session.execute(stmt)]
    _audit_unmasked(session, actor, revealed)
    return pairs


def review_pair(session: Session, actor: Actor, item_id: int) -> Pair:
    """One pair side by side, for its page."""
    require_role(actor, *REVIEWERS)
    item = session.get(ReviewItem, item_id)
    if item is None:
        raise NotFound(f"没有此待审核项 / no review item {item_id}")
    revealed: list[str] = []
    pair = _pair(session, item, revealed)
    _audit_unmasked(session, actor, revealed)
    return pair


@dataclass(frozen=True)
class Decision:
    item_id: int
    verdict: str
    merges: int = 0
    splits: int = 0


def decide_review(engine: Engine, actor: Actor, item_id: int, verdict: str, note: str | None = None) -> Decision:
    """same / different: a judgement the next resolve honours (re-resolved now); skip: later."""
    require_role(actor, *REVIEWERS)
    if verdict not in VERDICTS:
        raise InvalidInput(f"决定应为 same、different 或 skip / verdict must be same, different or skip: {verdict}")

    def item_keys(session: Session) -> tuple[str, str, str]:
        item = session.get(ReviewItem, item_id)
        if item is None:
            raise NotFound(f"没有此待审核项 / no review item {item_id}")
        return item.left_key, item.right_key, item.status

    left, right, status = retrying(engine, item_keys)
    if status != "open":
        raise Conflict(f"待审核项 {item_id} 已处理 / review item {item_id} is already {status}")
    if verdict == "skip":
        retrying(engine, lambda s: _skip(s, actor, item_id, left, right))
        return Decision(item_id, verdict)
    result = judge_records(engine, actor, left, right, verdict, note)
    return Decision(item_id, verdict, len(result.resolution.merges), len(result.resolution.splits))


def _skip(session: Session, actor: Actor, item_id: int, left: str, right: str) -> None:
    done = session.scalar(select(ReviewSkip.id).where(and_(
        ReviewSkip.left_key == left, ReviewSkip.right_key == right, ReviewSkip.reviewer == actor.user)))
    if done is None:
        session.add(ReviewSkip(left_key=left, right_key=right, reviewer=actor.user))
    audit.record(session, actor=str(actor), action="matching.skip", subject=f"pair:{left}|{right}",
                 details={"review_item": item_id})


def backlog(session: Session) -> dict[str, Any]:
    """How many pairs wait for a person (for oversight)."""
    return {"open": session.scalar(select(func.count(ReviewItem.id)).where(ReviewItem.status == "open")) or 0,
            "judged": session.scalar(select(func.count(ReviewItem.id)).where(ReviewItem.status == "judged")) or 0}
