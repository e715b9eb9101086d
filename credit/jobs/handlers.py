"""What each kind of job runs: the domain's own functions, split into work and closing writes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from credit.domain import batches, exports, search_index
from credit.domain.jobs import actor_of
from credit.domain.uploads import resolve_records
from credit.jobs.worker import Claimed, Handler, Progress


class IngestHandler:
    """An upload's file becomes one batch; then its rejects, audit entry and resolve job."""

    def run(self, engine: Engine, job: Claimed, progress: Progress) -> Any:
        return batches.run_ingest(engine, job.payload, progress)

    def finish(self, session: Session, job: Claimed, outcome: Any) -> dict[str, Any]:
        return batches.finish_ingest(session, job.payload, outcome)

    def after(self, outcome: Any) -> None:
        batches.clean_up_ingest(outcome)


class ResolveHandler:
    """Link new and changed records to enterprises (or rebuild with ``full``); one transaction."""

    def run(self, engine: Engine, job: Claimed, progress: Progress) -> Any:
        progress(0, 0, "匹配中 / resolving")
        return resolve_records(engine, actor_of(job.payload), full=bool(job.payload.get("full")))

    def finish(self, session: Session, job: Claimed, outcome: Any) -> dict[str, Any]:
        return {"mode": outcome.mode, "records": outcome.records, "changed": outcome.changed,
                "new": len(outcome.new), "merges": len(outcome.merges), "splits": len(outcome.splits),
                "reviews": outcome.reviews, "seconds": round(outcome.seconds, 2)}


class ExportHandler:
    """A large export written to a file, audited with its row count when the job finishes."""

    def run(self, engine: Engine, job: Claimed, progress: Progress) -> Any:
        return exports.run_export_job(engine, job.payload, progress)

    def finish(self, session: Session, job: Claimed, outcome: Any) -> dict[str, Any]:
        return exports.finish_export_job(session, job.payload, outcome)


class SearchSweepHandler:
    """The day's sweep of the search index: enterprises with dated records re-indexed."""

    def run(self, engine: Engine, job: Claimed, progress: Progress) -> Any:
        progress(0, 0, "搜索索引更新中 / sweeping the search index")
        return search_index.sweep(engine)

    def finish(self, session: Session, job: Claimed, outcome: Any) -> dict[str, Any]:
        return {"enterprises": outcome}


def default_handlers() -> dict[str, Handler]:
    """Every kind of job the domain queues."""
    return {"ingest": IngestHandler(), "resolve": ResolveHandler(), "export": ExportHandler(),
            search_index.SWEEP_JOB: SearchSweepHandler()}
