"""The batch API: POST /api/v1/batches answers 202 with the batch id at once; GET /api/v1/batches/<id>
follows it to done with the counts the CLI prints. 401 without a token, 403 for another department's
clerk or a non-clerk, 404 for an unknown id, 422 for bad input."""

from __future__ import annotations

import io

import pytest
from sqlalchemy.orm import Session

from credit.domain.batches import batch_counts
from credit.kernel.models import Batch
from tests.web.clerk_support import add_tax_clerk, folders, penalty_csv, run_worker, uploads  # noqa: F401

COUNTS = ("read", "loaded", "new_records", "new_versions", "unchanged", "duplicates", "rejected")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def post(client, token: str | None, body: bytes = b"", name: str = "处罚.csv", department: str = "commerce",
         rtype: str = "penalty", file: bool = True):
    data: dict = {"department": department, "type": rtype}
    if file:
        data["file"] = (io.BytesIO(body or penalty_csv()), name)
    return client.post("/api/v1/batches", data=data, content_type="multipart/form-data",
                       headers=bearer(token) if token else {})


def test_upload_answers_202_then_polling_follows_it_to_done_with_the_cli_counts(engine, client, tokens):
    answer = post(client, tokens["clerk"])
    assert answer.status_code == 202 and answer.is_json
    batch = answer.get_json()
    assert isinstance(batch["id"], int) and batch["status"] == "queued" and not batch["already_ingested"]
    queued = client.get(f"/api/v1/batches/{batch['id']}", headers=bearer(tokens["clerk"])).get_json()
    assert queued["status"] == "queued" and "read" not in queued
    assert queued["created_at"].endswith("+00:00")  # stored in UTC, answered as such
    run_worker(engine)
    done = client.get(f"/api/v1/batches/{batch['id']}", headers=bearer(tokens["clerk"]))
    assert done.status_code == 200
    body = done.get_json()
    assert body["status"] == "done" and body["batch_id"]
    assert {k: body[k] for k in COUNTS} == {"read": 30, "loaded": 27, "new_records": 27, "new_versions": 0,
                                            "unchanged": 0, "duplicates": 0, "rejected": 3}
    with Session(engine) as s:
        stored = s.get(Batch, body["batch_id"])
        assert stored is not None
        cli = batch_counts(stored)
    assert {k: body[k] for k in COUNTS} == {k: cli[k] for k in COUNTS}


def test_a_resent_file_is_answered_as_such(engine, client, tokens):
    first = post(client, tokens["clerk"]).get_json()
    run_worker(engine)
    again = post(client, tokens["clerk"], name="again.csv")
    assert again.status_code == 202
    body = again.get_json()
    assert body["already_ingested"] and body["resent_of"] and body["status"] == "done" and body["id"] != first["id"]
    assert "already ingested" in body["message"]
    view = client.get(f"/api/v1/batches/{body['id']}", headers=bearer(tokens["clerk"])).get_json()
    assert view["status"] == "done" and view["already_ingested"] and view["read"] == 30
    assert run_worker(engine) == 0


def test_without_a_token_401(client, tokens):
    assert post(client, None).status_code == 401
    assert client.get("/api/v1/batches/1").status_code == 401
    assert post(client, "lz_not-a-token").status_code == 401


@pytest.mark.parametrize("login", ["firm", "bank", "reviewer", "regulator"])
def test_only_clerks_and_administrators_upload(engine, client, tokens, login):
    assert post(client, tokens[login]).status_code == 403
    assert uploads(engine) == 0


def test_a_clerk_of_another_department_gets_403_on_write_and_read(engine, client, tokens):
    tax = add_tax_clerk(engine)
    refused = post(client, tax)
    assert refused.status_code == 403 and refused.is_json and uploads(engine) == 0
    batch = post(client, tokens["clerk"]).get_json()
    assert client.get(f"/api/v1/batches/{batch['id']}", headers=bearer(tax)).status_code == 403
    assert client.get(f"/api/v1/batches/{batch['id']}", headers=bearer(tokens["regulator"])).status_code == 200
    assert client.get(f"/api/v1/batches/{batch['id']}", headers=bearer(tokens["firm"])).status_code == 403
    assert post(client, tokens["admin"], penalty_csv(4, 0), department="commerce").status_code == 202


def test_unknown_id_404(client, tokens):
    answer = client.get("/api/v1/batches/4242", headers=bearer(tokens["clerk"]))
    assert answer.status_code == 404 and answer.is_json


def test_bad_input_is_422_with_a_message(engine, client, tokens):
    no_file = post(client, tokens["clerk"], file=False)
    assert no_file.status_code == 422 and "file" in str(no_file.get_json()["errors"])
    text_not_file = client.post("/api/v1/batches", data={"department": "commerce", "type": "penalty", "file": "x"},
                                content_type="multipart/form-data", headers=bearer(tokens["clerk"]))
    assert text_not_file.status_code == 422
    assert post(client, tokens["clerk"], rtype="nothing").status_code == 422
    wrong = post(client, tokens["clerk"], b"%PDF-1.4", name="a.pdf")
    assert wrong.status_code == 422 and "不支持的文件类型" in wrong.get_json()["message"]
    english = client.post("/api/v1/batches?lang=en", data={"department": "commerce", "type": "penalty",
                                                           "file": (io.BytesIO(b"x"), "a.pdf")},
                          content_type="multipart/form-data", headers=bearer(tokens["clerk"]))
    assert english.status_code == 422 and "unsupported file type" in english.get_json()["message"]
    empty = client.post("/api/v1/batches", data={"department": "commerce", "type": "penalty",
                                                 "file": (io.BytesIO(b""), "a.csv")},
                        content_type="multipart/form-data", headers=bearer(tokens["clerk"]))
    assert empty.status_code == 422 and "文件为空" in empty.get_json()["message"]
    missing_type = client.post("/api/v1/batches", data={"department": "commerce",
                                                        "file": (io.BytesIO(penalty_csv()), "a.csv")},
                               content_type="multipart/form-data", headers=bearer(tokens["clerk"]))
    assert missing_type.status_code == 422


def test_a_failed_batch_answers_failed(engine, client, tokens):
    bad = post(client, tokens["clerk"], "记录编号,别的列\n1,2\n".encode(), name="bad.csv").get_json()
    run_worker(engine)
    view = client.get(f"/api/v1/batches/{bad['id']}", headers=bearer(tokens["clerk"])).get_json()
    assert view["status"] == "failed" and view["error"] and "read" not in view


def test_the_openapi_document_holds_both_routes_with_a_multipart_body(client):
    spec = client.get("/api/openapi.json").get_json()
    assert {"/api/v1/batches", "/api/v1/batches/{batch_id}"} <= set(spec["paths"])
    body = spec["paths"]["/api/v1/batches"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    ref = body["$ref"].rsplit("/", 1)[-1]
    props = spec["components"]["schemas"][ref]["properties"]
    assert set(props) == {"department", "type", "file"} and props["file"]["format"] == "binary"
    assert "202" in spec["paths"]["/api/v1/batches"]["post"]["responses"]


def test_schemathesis_over_the_batch_routes_with_a_clerk_s_token(tmp_path, monkeypatch):
    """Generated uploads and ids with a clerk's token: no 5xx, every answer matches its schema."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error, response_schema_conformance

    from credit.domain.schema import create_all
    from credit.kernel.db import make_engine
    from tests.web.conftest import make_app
    from tests.web.world import build

    monkeypatch.setenv("CREDIT_PROOF_DIR", str(tmp_path / "proofs"))
    engine = make_engine(f"sqlite:///{tmp_path / 'api.db'}")
    create_all(engine)
    tokens = build(engine)
    app = make_app(engine)
    post(app.test_client(), tokens["clerk"])  # batch 1 exists
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    statuses: list[int] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if not operation.path.startswith("/api/v1/batches"):
            continue

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case):  # type: ignore[no-untyped-def]
            response = case.call(headers=bearer(tokens["clerk"]))
            statuses.append(response.status_code)
            case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])

        check()
    engine.dispose()
    assert len(statuses) >= 25 and 422 in statuses


def test_an_upload_may_exceed_the_app_s_request_limit_up_to_the_upload_limit(engine, tokens, monkeypatch):
    from tests.web.conftest import make_app

    client = make_app(engine, MAX_CONTENT_LENGTH=1 << 20).test_client()  # every other route: 1 MB
    big = penalty_csv(20000, 0)
    assert len(big) > 1 << 20
    assert post(client, tokens["clerk"], big).status_code == 202
    monkeypatch.setenv("CREDIT_MAX_UPLOAD_BYTES", str(1 << 20))
    over_file_limit = post(client, tokens["clerk"], penalty_csv(20000, 0, start=50000))
    assert over_file_limit.status_code == 422 and "上传上限" in over_file_limit.get_json()["message"]
    too_big = post(client, tokens["clerk"], b"a" * (3 << 20), name="big.csv")
    assert too_big.status_code == 413 and too_big.is_json
    assert client.post("/api/v1/objections", data=b"x" * (2 << 20), headers={**bearer(tokens["firm"]),
                       "Content-Type": "application/json"}).status_code == 413  # other routes keep theirs


def test_an_upload_lands_in_the_upload_folder_once_and_a_refused_one_leaves_nothing(engine, client, tokens, folders,  # noqa: F811
                                                                                   monkeypatch):
    from credit.domain import batch_files

    adopted = []
    adopt = batch_files.SpooledUpload.adopt
    monkeypatch.setattr(batch_files.SpooledUpload, "adopt",
                        lambda self, name, limit: adopted.append(name) or adopt(self, name, limit))
    body = penalty_csv()
    assert post(client, tokens["clerk"], body).status_code == 202
    stored = list((folders / "uploads").iterdir())
    assert adopted == ["处罚.csv"]  # written by the request parser into the folder, not copied there
    assert len(stored) == 1 and stored[0].read_bytes() == body and not stored[0].name.startswith(".")
    binary = post(client, tokens["clerk"], b"\x00\x01\x02" * 100, name="renamed.csv")
    assert binary.status_code == 422 and "不是文本文件" in binary.get_json()["message"]
    run_worker(engine)
    again = post(client, tokens["clerk"], body, name="again.csv")  # recognised: its copy is not kept
    assert again.status_code == 202 and again.get_json()["resent_of"]
    monkeypatch.setenv("CREDIT_MAX_UPLOAD_BYTES", str(len(body) - 1))
    assert post(client, tokens["clerk"], body, name="big.csv").status_code == 422
    assert [p for p in (folders / "uploads").iterdir() if p.is_file()] == stored


def test_a_spool_a_killed_process_left_is_deleted_after_a_day(client, tokens, folders):  # noqa: F811
    import os
    import time

    uploads = folders / "uploads"
    uploads.mkdir(exist_ok=True)
    old, fresh = uploads / ".a1.csv.part", uploads / ".b2.csv.part"
    for path in (old, fresh):
        path.write_bytes(b"half an upload")
    os.utime(old, (time.time() - 2 * 86400,) * 2)
    assert post(client, tokens["clerk"]).status_code == 202
    assert not old.exists() and fresh.exists()
