"""Text for the terminal: every operation's result as a clerk or regulator reads it.

The domain and the engines return data; only this module turns it into lines (Chinese first,
English second). The web renders the same data with its templates.
"""

from __future__ import annotations

import os
from typing import Any

from credit.domain.demo import DemoResult
from credit.domain.gate import PUBLIC, Disclosed
from credit.domain.lists import ListView
from credit.domain.profile import Profile, viewer_label
from credit.domain.rating import Rating
from credit.kernel.catalog import load_catalog
from ingest.loader import IngestResult
from matching.service import JudgeResult, LinksResult, ResolveResult, ReviewList


def value_text(value: Any) -> str:
    """A field value as text: lists joined with ；, booleans as 是/否."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (list, tuple)):
        return "；".join(str(v) for v in value)
    return str(value)


def _record_lines(record: Disclosed) -> list[str]:
    rt = load_catalog().get(record.department, record.record_type)
    p = record.provenance
    marks = f" 【{'，'.join(record.marks)}】" if record.marks else ""
    lines = [f"  - {record.record_id} [{record.openness}]{marks}",
             f"      来源 source: {record.department_zh} {record.department}, 日期 date {record.record_date or '—'}, "
             f"批次 batch {p['batch_id']}, 文件 file {str(p['file_hash'])[:12]}, 行 row {p['row_number']}, "
             f"版本 version {p['version']}"]
    pub = record.publicity
    if pub.published and (pub.start or pub.last_day):
        lines.append(f"      公示期 publicity: {pub.start or '—'} 至 to {pub.last_day or '—'} {pub.note}".rstrip())
    elif not pub.published:
        lines.append(f"      不公示 not published: {pub.note}".rstrip())
    for col in rt.columns:
        if col.key in record.fields and record.fields[col.key] not in (None, "", []):
            lines.append(f"      {col.zh} ({col.key}): {value_text(record.fields[col.key])}")
    return lines


def profile_text(profile: Profile) -> str:
    """An enterprise's profile as the viewer sees it."""
    ident = profile.identity
    merged = (f"（请求 requested {profile.requested_id}，已合并 merged）"
              if profile.requested_id != profile.enterprise_id else "")
    lines = [
        f"企业信用档案 Enterprise credit profile: 企业 enterprise {profile.enterprise_id}{merged}",
        f"视角 viewer: {viewer_label(profile.viewer)}；日期 as of: {profile.as_of.isoformat()}",
        f"名称 name: {ident.name or '—'}；曾用名 former names: {'；'.join(ident.former_names) or '—'}",
        f"统一社会信用代码 USCC: {ident.uscc or '—'}；注册号 reg. no.: {ident.reg_no or '—'}；"
        f"组织机构代码 org. code: {ident.org_code or '—'}；纳税人识别号 taxpayer id: {ident.taxpayer_id or '—'}",
        f"法定代表人 legal rep.: {ident.legal_rep or '—'}；登记状态 status: {ident.status or '—'}；"
        f"住所 address: {ident.address or '—'}",
        f"身份信息来源 identity from: {ident.source or '—'}",
    ]
    catalog = load_catalog()
    if not profile.sections:
        lines.append("无可见记录 no visible records")
    for dept, types in profile.sections.items():
        for rtype, records in types.items():
            lines.append(f"{catalog.get(dept, rtype).label}: {len(records)} 条 records")
            for record in records:
                lines.extend(_record_lines(record))
    return "\n".join(lines)


def list_text(view: ListView) -> str:
    """A black or red list as a regulator reads it."""
    lines = [f"{view.title} — 日期 date {view.at.isoformat()}；视角 viewer {viewer_label(PUBLIC)}；"
             f"共 {len(view.entries)} 家企业 enterprises"]
    for e in view.entries:
        lines.append(f"{e.enterprise_id}  {e.name or '—'}  统一社会信用代码 USCC {e.uscc or '—'}")
        for r in e.reasons:
            marks = f" 【{'，'.join(r.marks)}】" if r.marks else ""
            lines.append(f"    原因 reason: {r.text}{marks}；记录 record {r.department}/{r.record_type}/"
                         f"{r.record_id}；{r.since or '—'} 至 to {r.until or '—'}")
    return "\n".join(lines)


def list_written_text(view: ListView, path: str) -> str:
    """The line printed after a list was exported to a file."""
    return (f"{view.title} {view.at}: {len(view.entries)} 家企业已写入 enterprises written to {path} "
            f"（视角 viewer {viewer_label(PUBLIC)}）")


def rating_text(rating: Rating) -> str:
    """A composite grade line by line."""
    out = [f"企业 enterprise {rating.enterprise_id}，日期 as of {rating.as_of}：等级 grade {rating.grade}"
           f"（得分 score {rating.score}）— 基础分 base {rating.base}"]
    out += [f"  {ln.points:+d} {ln.label}: {ln.department}/{ln.record_type}/{ln.record_id}"
            f" ({ln.record_date or ''}){' 【' + '，'.join(ln.marks) + '】' if ln.marks else ''}"
            for ln in rating.lines]
    return "\n".join(out)


SHOWN_ROWS = 5  # rejected rows and warnings named in an ingest summary


def ingest_text(result: IngestResult) -> str:
    """A few lines a clerk reads after an upload."""
    name = os.path.basename(result.file)
    if result.status == "failed":
        return f"{name}: 失败 / failed — {result.message}"
    if result.status == "already_ingested":
        return f"{name}: {result.message}"
    lines = [
        f"{name} [{result.format}{', ' + result.encoding if result.encoding else ''}] → 批次 / batch {result.batch_id}",
        f"  读取 read {result.rows_read} · 入库 loaded {result.loaded} (新记录 new {result.new_records}, "
        f"新版本 new versions {result.new_versions}) · 未变 unchanged {result.unchanged} · "
        f"重复行 duplicates {result.duplicates} · 拒绝 rejected {result.rejected}",
    ]
    if result.unknown_headers:
        lines.append(f"  未知列已忽略 / unknown columns ignored: {'、'.join(result.unknown_headers)}")
    for rej in result.rejects[:SHOWN_ROWS]:
        lines.append(f"  拒绝 rejected 第{rej.row}行 row {rej.row} · {rej.column}: {rej.reason}")
    if result.rejected > SHOWN_ROWS:
        lines.append(f"  … 另有 {result.rejected - SHOWN_ROWS} 行被拒绝 / more rejected rows (--rejects PATH lists all)")
    if result.flagged:
        lines.append(f"  标记 flagged {result.flagged} 行已入库但有代码警告 / rows stored with identifier warnings:")
    for warning in result.warnings[:SHOWN_ROWS]:
        lines.append(f"  警告 warning 第{warning.row}行 row {warning.row} · {warning.column}: {warning.reason}")
    if len(result.warnings) > SHOWN_ROWS or result.flagged > len(result.warnings):
        lines.append("  … 更多警告 / more warnings (--warnings PATH lists all)")
    return "\n".join(lines)


def resolve_text(result: ResolveResult, limit: int = 20) -> str:
    """What a resolve run changed."""
    lines = [f"企业归集 resolve ({result.mode}): 记录 {result.records} records considered, "
             f"{result.changed} 新增或变更 new or changed, {result.relinked} 条关联 links written in {result.seconds:.1f}s",
             f"  新企业 new enterprises: {len(result.new)}", f"  合并 merges: {len(result.merges)}",
             f"  拆分 splits: {len(result.splits)}", f"  待人工确认 pairs queued for review: {result.reviews}"]
    lines += [f"  合并 merged {old} -> {new}" for old, new in result.merges[:limit]]
    lines += [f"  拆分 split {old} -> {new}" for old, new in result.splits[:limit]]
    return "\n".join(lines)


def links_text(result: LinksResult) -> str:
    extra = f"（{result.unresolved} 条尚未归集 not yet resolved: run resolve）" if result.unresolved else ""
    return f"已写入 wrote {result.rows} links to {result.path}{extra}"


def review_text(queue: ReviewList) -> str:
    """The open review queue, best score first."""
    if not queue.items:
        return "待确认队列为空 / review queue is empty"
    lines = [f"{len(queue.items)} 对待确认 pairs to review (judge with: judge LEFT RIGHT same|different)"]
    for it in queue.items:
        lines.append(f"#{it['id']} score {it['score']:.1f}: {it['explanation']}")
        lines.append(f"   {it['left_key']} [enterprise {it['left_enterprise']}] {it['left_summary']}")
        lines.append(f"   {it['right_key']} [enterprise {it['right_enterprise']}] {it['right_summary']}")
    return "\n".join(lines)


def judge_text(result: JudgeResult) -> str:
    return f"已记录 recorded: {result.left} {result.verdict} {result.right}\n" + resolve_text(result.resolution)


def demo_text(result: DemoResult) -> str:
    """What the demo did and what to try next."""
    made = "已生成 generated" if result.generated else "已存在，沿用 already there, reused"
    lines = [f"演示文件 / demo files: {result.files} in {result.out}（{made}）",
             f"入库 / loaded {result.loaded} · 拒绝 / rejected {result.rejected} (演示数据故意包含坏行 / "
             f"the demo data has bad rows on purpose) · 已导入过的文件 / files already ingested {result.already}"]
    lines += [f"  失败 / failed: {message}" for message in result.failed]
    if result.resolution is not None:
        lines.append(resolve_text(result.resolution))
    lines.append(f"记录版本 / record versions: {result.records} · 企业 / enterprises: {result.enterprises} · "
                 f"黑名单 / black list: {result.black} · 红名单 / red list: {result.red} (as of {result.as_of})")
    first = result.first_enterprise
    lines += ["试试 / try:",
              f"  .venv/bin/python -m credit profile {first} --as public",
              f"  .venv/bin/python -m credit profile {first} --as government",
              "  .venv/bin/python -m credit lists black",
              "  .venv/bin/python -m credit review",
              "  .venv/bin/python -m credit links --out links.csv"]
    return "\n".join(lines)
