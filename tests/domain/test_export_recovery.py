"""Exports a crash left staged: committed ones are published by the next sweep, others deleted."""

from __future__ import annotations

import json
import os
import time

from credit.domain import exports
from credit.domain.export_files import export_job
from credit.domain.exports import ExportSpec
from credit.domain.exports_signing import verify_export
from credit.domain.jobs import actor_payload
from credit.kernel import db
from tests.domain.test_exports import AT, world


def _crash_after_commit(monkeypatch):
    """The process dies between the commit and the files' move: the move never happens."""
    monkeypatch.setattr(db.os, "replace", lambda *_: None)


def _age(folder, seconds):
    for path in folder.iterdir():
        os.utime(path, (time.time() - seconds,) * 2)


def _visible(folder):
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def _export_hidden_by_a_crash(session, regulator, monkeypatch):
    """A black-list export committed (audited, signed) whose files the crash left staged."""
    world(session)
    with monkeypatch.context() as m:
        _crash_after_commit(m)
        result = exports.export(session, regulator, ExportSpec("black", AT), "csv")
        session.commit()
    return result


def test_a_committed_export_left_staged_is_published_by_the_next_sweep(session, regulator, monkeypatch):
    folder, result = exports.export_dir(), _export_hidden_by_a_crash(session, regulator, monkeypatch)
    assert _visible(folder) == [] and len(list(folder.iterdir())) == 3  # audited and signed, but hidden
    assert exports.sweep_staged(session).published == []  # too fresh: its own move may be under way
    _age(folder, 120)
    swept = exports.sweep_staged(session)
    assert swept.published == [result.path.name]
    name = result.path.name
    assert _visible(folder) == [name, name + ".manifest.json", name + ".sig"]
    assert verify_export(folder / name).ok


def test_staged_files_no_committed_entry_vouches_for_are_never_published(session, regulator, monkeypatch):
    world(session)
    folder = exports.export_dir()
    with monkeypatch.context() as m:
        _crash_after_commit(m)
        exports.export(session, regulator, ExportSpec("black", AT), "csv")
        session.flush()
        staged = sorted(folder.iterdir())
        kept = [(p, p.read_bytes()) for p in staged]
        session.rollback()  # the rollback deletes them; put back what a crash would have left
    for path, body in kept:
        path.write_bytes(body)
    _age(folder, 120)
    assert exports.sweep_staged(session).published == [] and _visible(folder) == []
    _age(folder, 2 * 86400)
    swept = exports.sweep_staged(session)
    assert swept.published == [] and swept.removed == 3 and list(folder.iterdir()) == []


def test_a_tampered_staged_file_is_not_published(session, regulator, monkeypatch):
    folder, result = exports.export_dir(), _export_hidden_by_a_crash(session, regulator, monkeypatch)
    data = next(p for p in folder.iterdir() if p.name.startswith(f".{result.path.name}.") and
                p.name.count(".") == 4)
    data.write_bytes(data.read_bytes() + b"x")
    _age(folder, 120)
    assert exports.sweep_staged(session).published == [] and _visible(folder) == []


def test_a_queued_export_whose_files_a_crash_hid_is_found_by_its_job(engine, session, regulator, monkeypatch):
    from sqlalchemy.orm import Session

    from credit.domain.jobs import enqueue

    world(session)
    payload = {"spec": ExportSpec("black", AT).filters(), "format": "csv", "actor": actor_payload(regulator)}
    result = exports.run_export_job(engine, payload, lambda *_: None)
    with Session(engine) as closing, monkeypatch.context() as m:
        _crash_after_commit(m)
        done = exports.finish_export_job(closing, payload, result)
        job = enqueue(closing, "export", payload)
        job.status, job.result = "done", json.dumps(done)
        closing.commit()
        job_id = job.id
    folder = exports.export_dir()
    assert _visible(folder) == []
    _age(folder, 120)
    view, file = export_job(session, regulator, job_id)
    assert file is not None and file.name == done["file"] and file.rows == done["rows"]
    assert verify_export(folder / done["file"]).ok
