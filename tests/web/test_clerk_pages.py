"""The clerk's pages: upload, batch progress and report, rejects downloads, history; every route × role,
the department scope on every write and read, a re-sent file recognised, size and type checks."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from credit.domain.batches import submit_uploads
from credit.domain.workflows import ROLE_CLERK, ROLES, Actor
from tests.web.clerk_support import TAX_CLERK, add_tax_clerk, folders, penalty_csv, run_worker, uploads  # noqa: F401
from tests.web.conftest import make_app
from tests.web.world import PASSWORD

COMMERCE = Actor("clerk", ROLE_CLERK, department="commerce")


def upload(client, body: bytes, name: str = "处罚.csv", rtype: str = "commerce/penalty", **kw):
    return client.post("/clerk/upload", data={"type": rtype, "files": [(io.BytesIO(body), name)], **kw},
                       content_type="multipart/form-data")


def login(client, who: str):
    response = client.post("/login", data={"login": who, "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.fixture
def sent(engine, tokens) -> int:
    """A commerce upload, loaded by the worker: its id."""
    receipt = submit_uploads(engine, COMMERCE, "commerce", "penalty", [(io.BytesIO(penalty_csv()), "a.csv")])[0]
    run_worker(engine)
    return receipt.upload_id


@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_clerk_page_for_every_role(auth, sent, role):
    client = auth.login(role)
    pages = [("/clerk/", {"clerk", "admin"}, 302), ("/clerk/upload", {"clerk", "admin"}, 200),
             ("/clerk/batches", {"clerk", "admin"}, 200), (f"/clerk/batches/{sent}", {"clerk", "admin"}, 200),
             (f"/clerk/batches/{sent}/rejects.csv", {"clerk", "admin"}, 200),
             (f"/clerk/batches/{sent}/rejects.xlsx", {"clerk", "admin"}, 200), ("/clerk/inbox", {"clerk"}, 200)]
    for path, allowed, ok in pages:
        response = client.get(path)
        if role in allowed:
            assert response.status_code == ok, (path, role, response.status_code)
        elif role == "public":
            assert response.status_code == 302 and "/login" in response.headers["Location"], (path, role)
        else:
            assert response.status_code == 403, (path, role, response.status_code)
    for path in ("/clerk/upload", "/clerk/inbox/objections/1", "/clerk/inbox/repairs/1"):
        response = client.post(path, data={})
        if role == "public":
            assert response.status_code == 302 and "/login" in response.headers["Location"]
        elif role not in ({"clerk", "admin"} if path == "/clerk/upload" else {"clerk"}):
            assert response.status_code == 403, (path, role)


def test_upload_answers_at_once_then_the_batch_page_follows_it_to_its_report(engine, auth):
    client = auth.login("clerk")
    form = client.get("/clerk/upload").get_data(as_text=True)
    assert 'value="commerce/penalty"' in form and 'value="tax/' not in form  # only the clerk's own department
    response = upload(client, penalty_csv())
    assert response.status_code == 302
    page_url = response.headers["Location"]
    assert re.fullmatch(r"/clerk/batches/\d+", page_url)
    queued = client.get(page_url)
    assert queued.status_code == 200 and queued.headers["Refresh"] == "2"  # refreshes itself, no script
    assert 'data-status="queued"' in queued.get_data(as_text=True)
    assert run_worker(engine) == 2  # the ingest and the resolve after it
    done = client.get(page_url)
    text = done.get_data(as_text=True)
    assert "Refresh" not in done.headers and 'data-status="done"' in text
    counts = dict(re.findall(r'data-count="(\w+)">(\d+)<', text))
    assert {k: counts[k] for k in ("read", "loaded", "new_versions", "unchanged", "duplicates", "rejected")} == \
        {"read": "30", "loaded": "27", "new_versions": "0", "unchanged": "0", "duplicates": "0", "rejected": "3"}
    assert "<td data-label=\"行号\">11</td>" in text and "处罚决定日期" in text  # row, column, reason
    assert "430104198001011234" not in text
    history = client.get("/clerk/batches").get_data(as_text=True)
    assert f'href="{page_url}"' in history and "处罚.csv" in history


def test_rejects_download_as_csv_with_bom_and_xlsx_formula_safe(engine, auth, sent):
    client = auth.login("clerk")
    csv_answer = client.get(f"/clerk/batches/{sent}/rejects.csv")
    assert csv_answer.status_code == 200 and csv_answer.mimetype == "text/csv"
    assert "attachment" in csv_answer.headers["Content-Disposition"]
    body = csv_answer.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    lines = body.decode("utf-8-sig").splitlines()
    assert len(lines) == 4 and lines[0].startswith("行号 row")
    assert lines[1].split(",")[0] == "11" and "'=HYPERLINK" in lines[1]  # neutralised, not a formula
    assert "430104198001011234" not in body.decode("utf-8-sig")
    xlsx = client.get(f"/clerk/batches/{sent}/rejects.xlsx")
    assert xlsx.status_code == 200
    cells = [c.value for row in load_workbook(io.BytesIO(xlsx.get_data())).active.iter_rows() for c in row]
    assert "11" in cells and not [c for c in cells if isinstance(c, str) and c.startswith("=")]
    assert client.get(f"/clerk/batches/{sent}/rejects.pdf").status_code == 404


def test_a_resent_file_is_answered_as_such(engine, auth, sent):
    client = auth.login("clerk")
    response = upload(client, penalty_csv(), name="again.csv")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="resent"' in page and "同一文件已" in page and "未做任何改动" in page
    assert 'data-status="done"' in page and 'data-count="read">30<' in page
    assert run_worker(engine) == 0  # nothing queued for it
    assert "重复文件" in client.get("/clerk/batches").get_data(as_text=True)


def test_a_file_resent_while_queued_is_recognised_too(engine, auth):
    client = auth.login("clerk")
    first = upload(client, penalty_csv(5, 0)).headers["Location"]
    again = upload(client, penalty_csv(5, 0), name="copy.csv")
    assert again.headers["Location"] == first
    assert "已提交" in client.get(first).get_data(as_text=True)


def test_a_tax_clerk_can_neither_upload_nor_see_commerce_batches(engine, client, sent):
    add_tax_clerk(engine)
    login(client, TAX_CLERK)
    before = uploads(engine)
    form = client.get("/clerk/upload").get_data(as_text=True)
    assert 'value="tax/credit_rating"' in form and "commerce/" not in form
    refused = upload(client, penalty_csv(), rtype="commerce/penalty")
    assert refused.status_code == 403 and "无权访问" in refused.get_data(as_text=True)
    assert uploads(engine) == before and run_worker(engine) == 0
    for path in (f"/clerk/batches/{sent}", f"/clerk/batches/{sent}/rejects.csv", f"/clerk/batches/{sent}/rejects.xlsx",
                 "/clerk/batches?department=commerce"):
        assert client.get(path).status_code == 403, path
    assert "a.csv" not in client.get("/clerk/batches").get_data(as_text=True)  # its own history: tax only


def test_an_administrator_uploads_for_and_sees_any_department(engine, auth, sent):
    client = auth.login("admin")
    assert 'value="tax/credit_rating"' in client.get("/clerk/upload").get_data(as_text=True)
    assert "a.csv" in client.get("/clerk/batches?department=commerce").get_data(as_text=True)
    assert upload(client, penalty_csv(3, 0, start=500)).status_code == 302


def test_several_files_at_once_go_to_the_history(engine, auth):
    client = auth.login("clerk")
    files = [(io.BytesIO(penalty_csv(3, 0, start=100 * i)), f"f{i}.csv") for i in (1, 2, 3)]
    response = client.post("/clerk/upload", data={"type": "commerce/penalty", "files": files},
                           content_type="multipart/form-data")
    assert response.status_code == 302 and response.headers["Location"].startswith("/clerk/batches?")
    history = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已提交 3 个文件" in history and all(f"f{i}.csv" in history for i in (1, 2, 3))
    assert run_worker(engine) >= 3


def test_wrong_type_empty_and_unknown_record_type_are_clear_messages(engine, auth):
    client = auth.login("clerk")
    pdf = upload(client, b"%PDF-1.4 ...", name="处罚.pdf")
    assert pdf.status_code == 422 and "不支持的文件类型" in pdf.get_data(as_text=True)
    nothing = client.post("/clerk/upload", data={"type": "commerce/penalty"}, content_type="multipart/form-data")
    assert nothing.status_code == 422 and "请选择要上传的文件" in nothing.get_data(as_text=True)
    unknown = upload(client, penalty_csv(), rtype="commerce/nothing")
    assert unknown.status_code == 422 and "commerce/nothing" in unknown.get_data(as_text=True)
    english = client.post("/clerk/upload?lang=en", data={"type": "commerce/penalty",
                                                         "files": [(io.BytesIO(b"x"), "a.exe")]},
                          content_type="multipart/form-data")
    assert english.status_code == 422 and "unsupported file type" in english.get_data(as_text=True)
    assert uploads(engine) == 0


def test_a_file_over_the_limit_is_refused_with_the_limit_named(engine, auth, monkeypatch):
    client = auth.login("clerk")
    monkeypatch.setenv("CREDIT_MAX_UPLOAD_BYTES", str(100))
    over_domain = upload(client, penalty_csv())  # within the request limit, over the file limit
    assert over_domain.status_code == 422 and "文件超过上传上限" in over_domain.get_data(as_text=True)
    monkeypatch.setenv("CREDIT_MAX_UPLOAD_BYTES", str(1 << 20))
    huge = upload(client, b"a" * (3 << 20), name="big.csv")
    text = huge.get_data(as_text=True)
    assert huge.status_code == 413 and "文件过大" in text and "1 MB" in text
    assert uploads(engine) == 0


def csrf_login(app, who: str = "clerk"):
    client = app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").get_data(as_text=True))
    assert token
    assert client.post("/login", data={"login": who, "password": PASSWORD, "csrf_token": token.group(1)}).status_code == 302
    return client


def form_token(client, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert found
    return found.group(1)


def test_the_upload_limit_is_the_domain_s_not_the_app_s_smaller_one(engine, tokens):
    app = make_app(engine, MAX_CONTENT_LENGTH=1 << 20, WTF_CSRF_ENABLED=True)  # pages and other forms: 1 MB
    client = csrf_login(app)
    big = penalty_csv(20000, 0)
    assert len(big) > 1 << 20
    assert upload(client, big, csrf_token=form_token(client, "/clerk/upload")).status_code == 302
    assert uploads(engine) == 1


def test_csrf_is_enforced_on_the_upload_form(engine, tokens):
    client = csrf_login(make_app(engine, WTF_CSRF_ENABLED=True))
    refused = upload(client, penalty_csv())
    assert refused.status_code == 400 and "表单已过期" in refused.get_data(as_text=True) and uploads(engine) == 0
    assert upload(client, penalty_csv(), csrf_token="forged").status_code == 400 and uploads(engine) == 0
    accepted = upload(client, penalty_csv(), csrf_token=form_token(client, "/clerk/upload"))
    assert accepted.status_code == 302 and uploads(engine) == 1


def test_many_re_sent_files_are_named_a_few_then_counted(engine, auth):
    client = auth.login("clerk")
    bodies = [penalty_csv(2, 0, start=1000 * i) for i in range(1, 6)]
    send = lambda: client.post("/clerk/upload", data={  # noqa: E731
        "type": "commerce/penalty", "files": [(io.BytesIO(b), f"g{i}.csv") for i, b in enumerate(bodies)]},
        content_type="multipart/form-data")
    assert send().status_code == 302
    run_worker(engine)
    again = send()
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert page.count("同一文件已") == 3 and "另有 2 个文件此前已提交或已入库" in page
