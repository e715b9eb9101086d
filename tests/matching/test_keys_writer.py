"""A full run's blocking keys written beside the resolver (SQLite) are the ones the links' writing
writes, for first and repeated full runs, with forked helpers working meanwhile; a failure in the
writer fails the run and leaves nothing behind."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, func, select, text

from matching import keys_writer, parallel, service
from matching.models import RecordLink, ResolutionRun
from tests.matching.conftest import add, org, rec, uscc

RECORDS = [
    rec("commerce/registration/1", name="长沙华盛科技有限公司", uscc=uscc(1), legal_rep="张三"),
    rec("quality/spot_check/1", name="华盛科技（长沙）有限公司", org_code=org(1)),
    rec("tax/credit_rating/1", name="长沙华盛科技有限公司", taxpayer_id=uscc(1)),
    rec("commerce/registration/2", name="长沙华晟科技有限公司", uscc=uscc(2), legal_rep="李四"),
    rec("commerce/registration/3", name="华盛科技有限公司长沙分公司", uscc=uscc(3)),
    rec("tax/credit_rating/9", name="湖南鑫瑞建设有限公司"),
    rec("commerce/registration/4", name="长沙市岳麓区刘记米粉店", uscc=uscc(4, "430104", "92"), legal_rep="刘强",
        legal_rep_id="430104197703030023"),
    rec("tax/credit_rating/4", name="长沙市岳麓区刘记米粉店", taxpayer_id="43010419770303002301"),
    rec("finance/loan_default/4", name="刘记米粉店", address="长沙市岳麓区麓谷大道1号"),
]
LATER = [rec("tax/credit_rating/9", name="湖南鑫瑞建设有限公司", taxpayer_id=uscc(9, "430000")),
         rec("commerce/registration/9", name="湖南鑫瑞建设有限公司", uscc=uscc(9, "430000"))]


def stored(engine: Engine) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    with engine.connect() as conn:
        links = [tuple(r) for r in conn.execute(select(
            RecordLink.id, RecordLink.department, RecordLink.record_type, RecordLink.record_id,
            RecordLink.enterprise_id, RecordLink.score, RecordLink.reason).order_by(RecordLink.id))]
        keys = sorted(tuple(r) for r in conn.execute(text("SELECT key_hash, link_id FROM match_keys")))
        indexes = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE tbl_name = 'match_keys'"))}
    assert {"ix_match_keys_hash", "ix_match_keys_link"} <= indexes
    return links, keys


def runs(engine: Engine) -> list[tuple[list[tuple[object, ...]], list[tuple[object, ...]]]]:
    """Full run, new and changed records, full run again: what is stored after each run."""
    add(engine, *RECORDS)
    service.resolve(engine, full=True)
    first = stored(engine)
    add(engine, *LATER)
    service.resolve(engine, full=True)
    return [first, stored(engine)]


def test_the_writer_stores_what_the_links_writing_stores(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from credit.domain.schema import create_all
    from credit.kernel.db import make_engine

    def engine(name: str) -> Engine:
        eng = make_engine(f"sqlite:///{tmp_path / name}")
        create_all(eng)
        return eng

    used = []
    real = service._keys_writer
    monkeypatch.setattr(service, "_keys_writer", lambda *a: used.append(1) or real(*a))
    beside = runs(engine("beside.db"))
    assert used == [1, 1]
    monkeypatch.setattr(keys_writer, "PART", 3)  # several statements a run
    monkeypatch.setattr(keys_writer, "REBUILD_FROM", 1)  # and the indexes dropped and built again
    in_parts = runs(engine("parts.db"))
    monkeypatch.setattr(service, "_keys_writer", lambda *a: None)
    after = runs(engine("after.db"))
    assert beside == after and in_parts == after
    assert len(beside[1][1]) > len(RECORDS) and beside[0][1] != beside[1][1]  # keys written, renewed when changed


def test_forked_helpers_work_while_the_writer_writes(sqlite_engine: Engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    add(sqlite_engine, *RECORDS)
    service.resolve(sqlite_engine, full=True)
    alone = stored(sqlite_engine)
    monkeypatch.setattr(parallel, "MIN_ITEMS", 1)  # scoring and explanations forked, the writer running
    monkeypatch.setattr(parallel, "workers", lambda: 2)
    forks: list[str] = []
    forked = threading.Event()
    real_fork, real_write, real_start = parallel.os.fork, keys_writer.write, keys_writer.KeysWriter.start

    def fork_beside_the_writer() -> int:
        pid = real_fork()
        if pid:  # (the parent) the writer may go on now: it was waiting, mid-run, while the helper forked
            forks.append("beside the writer")
            forked.set()
        return pid

    def start(self, keys, hashes):  # type: ignore[no-untyped-def]
        monkeypatch.setattr(parallel.os, "fork", fork_beside_the_writer)
        real_start(self, keys, hashes)

    def write_after_the_fork(*args):  # type: ignore[no-untyped-def]
        assert forked.wait(10)
        return real_write(*args)

    monkeypatch.setattr(keys_writer.KeysWriter, "start", start)
    monkeypatch.setattr(keys_writer, "write", write_after_the_fork)
    service.resolve(sqlite_engine, full=True)
    assert forks  # the explanations' helper was forked while the writer's thread was running
    assert stored(sqlite_engine) == alone


def test_a_writer_failing_halfway_fails_the_run_and_leaves_nothing(sqlite_engine: Engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    add(sqlite_engine, *RECORDS)
    monkeypatch.setattr(keys_writer, "PART", 3)
    monkeypatch.setattr(keys_writer, "REBUILD_FROM", 1)  # the indexes dropped before the first part
    real = keys_writer.key_rows

    def failing_after_one_part(*args):  # type: ignore[no-untyped-def]
        stale, total, parts = real(*args)

        def first_then_fail():  # type: ignore[no-untyped-def]
            yield next(parts)
            raise OSError("disk full")

        return stale, total, first_then_fail()

    monkeypatch.setattr(keys_writer, "key_rows", failing_after_one_part)
    with pytest.raises(OSError, match="disk full"):
        service.resolve(sqlite_engine, full=True)
    with sqlite_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(RecordLink)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(ResolutionRun)).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM match_keys")).scalar_one() == 0
        indexes = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE tbl_name = 'match_keys'"))}
    assert {"ix_match_keys_hash", "ix_match_keys_link"} <= indexes  # the drop rolled back too


def test_the_resolvers_error_is_the_one_raised(sqlite_engine: Engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    add(sqlite_engine, *RECORDS)
    monkeypatch.setattr(keys_writer, "write", lambda *_: (_ for _ in ()).throw(OSError("disk full")))

    def clustering_fails(*_a, **_k):  # type: ignore[no-untyped-def]
        raise RuntimeError("clustering failed")

    monkeypatch.setattr("matching.resolver.cluster", clustering_fails)  # after the writer has started
    with pytest.raises(RuntimeError, match="clustering failed"):
        service.resolve(sqlite_engine, full=True)
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM match_keys")).scalar_one() == 0


def test_key_rows_give_link_ids_as_the_links_writing_does(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    a, b, c = ("d", "t", "1"), ("d", "t", "2"), ("d", "t", "3")
    hashes = [(5,), (6, 7), (8,)]
    stale, total, parts = keys_writer.key_rows([a, b, c], hashes, {b: (40, 1, 9)}, {a, b, c}, 41)
    assert stale == [40] and total == 4 and list(parts) == [[(41, (5,)), (40, (6, 7)), (42, (8,))]]
    stale, total, parts = keys_writer.key_rows([a, b, c], hashes, {b: (40, 1, 9)}, {c}, 41)
    assert (stale, total, list(parts)) == ([], 1, [[(42, (8,))]])
    monkeypatch.setattr(keys_writer, "PART", 2)
    _, _, parts = keys_writer.key_rows([a, b, c], hashes, {}, {a, b, c}, 1)
    assert list(parts) == [[(1, (5,)), (2, (6, 7))], [(3, (8,))]]  # a record's keys stay in one part
