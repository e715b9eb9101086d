"""bench/resolve_steps.py resolves a copy (the original untouched) and prints equal digests for equal output."""

from __future__ import annotations

import subprocess
import sys

from credit.domain.schema import create_all
from credit.kernel.db import make_engine
from tests.matching.conftest import add, rec, uscc


def test_it_resolves_a_copy_and_prints_its_digests(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "ingested.db"
    engine = make_engine(f"sqlite:///{db}")
    create_all(engine)
    add(engine, rec("commerce/registration/1", name="长沙华盛科技有限公司", uscc=uscc(1)),
        rec("tax/credit_rating/1", name="长沙华盛科技有限公司", taxpayer_id=uscc(1)))
    engine.dispose()
    before = db.read_bytes()
    outs = [subprocess.run([sys.executable, "-m", "bench.resolve_steps", "--db", str(db), "--copy",
                            str(tmp_path / f"copy{n}.db")], capture_output=True, text=True, check=True).stdout
            for n in (1, 2)]
    assert db.read_bytes() == before
    assert all("full resolve" in o and "digests links" in o for o in outs)
    assert outs[0].split("digests")[1] == outs[1].split("digests")[1]
