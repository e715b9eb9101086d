"""A clerk's uploads as jobs: queued at once, ingested by a worker, counts and rejects as the CLI."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from credit.domain.batches import batch_history, batch_status, download_rejects, rejected_rows, submit_uploads
from credit.domain.jobs import retrying
from credit.domain.work_models import Job
from credit.domain.workflow_models import AuditEntry
from credit.kernel.db import transaction
from credit.kernel.errors import InvalidInput, NotAllowed
from credit.kernel.models import SourceRecord
from ingest.loader import ingest_file
from tests.jobs.conftest import penalty_rows, run_worker, write_csv


def submit(engine, actor, path, department="commerce", record_type="penalty", name=None):
    with open(path, "rb") as fh:
        return submit_uploads(engine, actor, department, record_type, [(fh, name or path.name)])[0]


def status(engine, actor, upload_id):
    return retrying(engine, lambda s: batch_status(s, actor, upload_id))


def test_upload_is_queued_at_once_then_ingested_with_the_cli_counts(engine, commerce_clerk, tmp_path):
    path = write_csv(tmp_path / "处罚.csv", penalty_rows(30, bad_every=10))
    receipt = submit(engine, commerce_clerk, path)
    assert receipt.status == "queued" and receipt.job_id
    before = status(engine, commerce_clerk, receipt.upload_id)
    assert before.status == "queued" and not before.counts
    assert run_worker(engine) == 2  # the ingest and the incremental resolve after it
    after = status(engine, commerce_clerk, receipt.upload_id)
    assert after.status == "done"
    assert {k: after.counts[k] for k in ("read", "loaded", "new_versions", "unchanged", "duplicates", "rejected")} == \
        {"read": 30, "loaded": 27, "new_versions": 0, "unchanged": 0, "duplicates": 0, "rejected": 3}
    assert after.resolve is not None and after.resolve.status == "done"
    rejects = list(retrying(engine, lambda s: list(rejected_rows(s, commerce_clerk, receipt.upload_id))))
    assert [r.row for r in rejects] == [11, 21, 31]
    assert all("处罚决定日期" in r.column for r in rejects)


def test_the_stored_file_has_a_generated_name_never_the_uploaded_one(engine, commerce_clerk, tmp_path, folders):
    path = write_csv(tmp_path / "x.csv", penalty_rows(3))
    submit(engine, commerce_clerk, path, name="../../etc/passwd.csv")
    stored = [p.name for p in (folders / "uploads").iterdir() if p.is_file()]
    assert len(stored) == 1 and stored[0] != "passwd.csv" and stored[0].endswith(".csv") and len(stored[0]) == 36


def test_a_resent_file_is_recognised(engine, commerce_clerk, tmp_path):
    path = write_csv(tmp_path / "a.csv", penalty_rows(5))
    first = submit(engine, commerce_clerk, path)
    again_while_queued = submit(engine, commerce_clerk, path, name="copy.csv")
    assert again_while_queued.upload_id == first.upload_id and "already submitted" in again_while_queued.message
    run_worker(engine)
    later = submit(engine, commerce_clerk, path, name="again.csv")
    batch = status(engine, commerce_clerk, first.upload_id).batch_id
    assert later.resent_of == batch and later.job_id is None and "already ingested" in later.message
    view = status(engine, commerce_clerk, later.upload_id)
    assert view.status == "done" and view.counts["already_ingested"] and view.counts["read"] == 5


def test_a_file_ingested_by_the_cli_is_recognised_on_upload(engine, commerce_clerk, tmp_path):
    path = write_csv(tmp_path / "cli.csv", penalty_rows(4))
    ingest_file(engine, path, "commerce", "penalty")
    assert submit(engine, commerce_clerk, path).resent_of is not None


def test_a_tax_clerk_can_neither_upload_nor_read_for_commerce(engine, tax_clerk, commerce_clerk, tmp_path):
    path = write_csv(tmp_path / "p.csv", penalty_rows(3))
    with pytest.raises(NotAllowed):
        submit(engine, tax_clerk, path)
    receipt = submit(engine, commerce_clerk, path)
    with pytest.raises(NotAllowed):
        status(engine, tax_clerk, receipt.upload_id)
    with pytest.raises(NotAllowed):
        retrying(engine, lambda s: batch_history(s, tax_clerk, "commerce"))
    with transaction(engine) as s:
        assert s.scalar(select(Job.id).where(Job.kind == "ingest")) == receipt.job_id  # only the clerk's job


@pytest.mark.parametrize("name, body, says", [
    ("a.exe", b"MZ", "unsupported file type"),
    ("a.xlsx", b"not a zip", "not a valid .xlsx"),
    ("a.csv", b"PK\x03\x04zip", "not a text file"),
    ("a.csv", b"", "empty"),
])
def test_a_wrong_type_is_refused_with_a_clear_message(sqlite_engine, commerce_clerk, name, body, says):
    with pytest.raises(InvalidInput, match=says):
        submit_uploads(sqlite_engine, commerce_clerk, "commerce", "penalty", [(io.BytesIO(body), name)])


def test_an_upload_over_the_size_limit_is_refused_and_not_kept(sqlite_engine, commerce_clerk, monkeypatch, folders):
    monkeypatch.setenv("CREDIT_MAX_UPLOAD_BYTES", "100")
    with pytest.raises(InvalidInput, match="upload limit"):
        submit_uploads(sqlite_engine, commerce_clerk, "commerce", "penalty", [(io.BytesIO(b"a,b\n" * 100), "big.csv")])
    assert not [p for p in (folders / "uploads").iterdir() if p.is_file()]


def test_rejects_download_as_csv_and_xlsx_with_personal_values_masked(engine, commerce_clerk, tmp_path):
    rows = penalty_rows(4, bad_every=2)
    rows[1][7] = "=HYPERLINK(\"http://x\")"  # a formula in a rejected row
    path = write_csv(tmp_path / "r.csv", rows)
    receipt = submit(engine, commerce_clerk, path)
    run_worker(engine)
    out_csv, out_xlsx = tmp_path / "rej.csv", tmp_path / "rej.xlsx"
    assert retrying(engine, lambda s: download_rejects(s, commerce_clerk, receipt.upload_id, "csv", out_csv)) >= 2
    retrying(engine, lambda s: download_rejects(s, commerce_clerk, receipt.upload_id, "xlsx", out_xlsx))
    text = out_csv.read_text(encoding="utf-8-sig")
    assert "430104198001011234" not in text and "430***********1234" in text
    cells = [c.value for row in load_workbook(out_xlsx).active.iter_rows() for c in row]
    assert "430104198001011234" not in " ".join(str(c) for c in cells)
    assert not [c for c in cells if isinstance(c, str) and c.startswith("=")]
    with transaction(engine) as s:
        actions = [a for (a,) in s.execute(select(AuditEntry.action))]
    assert actions.count("batch.rejects_download") == 2


def test_history_lists_the_department_s_uploads_newest_first(engine, commerce_clerk, tmp_path):
    ids = [submit(engine, commerce_clerk, write_csv(tmp_path / f"{i}.csv", penalty_rows(2, start=10 * i))).upload_id
           for i in range(1, 4)]
    run_worker(engine)
    history = retrying(engine, lambda s: batch_history(s, commerce_clerk, "commerce"))
    assert [h.id for h in history] == ids[::-1] and all(h.status == "done" for h in history)
    with transaction(engine) as s:
        assert s.scalar(select(SourceRecord.id).order_by(SourceRecord.id.desc()).limit(1)) is not None


def test_every_write_is_scoped_to_the_actor_s_department_or_role(engine, commerce_clerk, tax_clerk, tmp_path):
    from credit.domain.batches import request_resolve
    from credit.domain.workflows import ROLE_ENTERPRISE, Actor

    receipt = submit(engine, commerce_clerk, write_csv(tmp_path / "s.csv", penalty_rows(4, bad_every=2)))
    run_worker(engine)
    with pytest.raises(NotAllowed):
        retrying(engine, lambda s: download_rejects(s, tax_clerk, receipt.upload_id, "csv", tmp_path / "x.csv"))
    with pytest.raises(NotAllowed):
        retrying(engine, lambda s: list(rejected_rows(s, tax_clerk, receipt.upload_id)))
    with pytest.raises(NotAllowed):
        retrying(engine, lambda s: request_resolve(s, Actor("企业", ROLE_ENTERPRISE, enterprise_id=1), full=True))
    with pytest.raises(NotAllowed):
        submit_uploads(engine, Actor("企业", ROLE_ENTERPRISE, enterprise_id=1), "commerce", "penalty",
                       [(io.BytesIO(b"x"), "a.csv")])
