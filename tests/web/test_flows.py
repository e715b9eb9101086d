"""What an enterprise, a bank and a department do: objections, repair with proof, authorised query, joint check."""

from __future__ import annotations

import io
import os
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from credit.domain.objections import reject_objection
from credit.domain.web_models import ProofFile
from credit.domain.workflow_models import AuditEntry, QueryLog
from credit.domain.workflows import ROLE_CLERK, Actor

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_enterprise_sees_its_full_profile_the_public_does_not(auth, client):
    public = client.get("/enterprises/1").get_data(as_text=True)
    assert "HT-SECRET-7731" not in public and "CF-OLD" not in public and "430***********1234" in public
    own = auth.login("enterprise").get("/my/").get_data(as_text=True)
    assert "HT-SECRET-7731" in own and "CF-OLD" in own and "停止公示" in own
    assert "CASE-SECRET-1" not in own  # 政务共享 stays with government users
    assert "提出异议" in own


def test_objection_filed_on_the_page_then_followed_to_its_answer(auth, engine):
    client = auth.login("enterprise")
    form = client.get("/my/objections/new?record=commerce/penalty/CF-1").get_data(as_text=True)
    assert 'value="commerce/penalty/CF-1"' in form and "工商·行政处罚 CF-1" in form
    empty = client.post("/my/objections/new", data={"record": "commerce/penalty/CF-1", "reason": ""})
    text = empty.get_data(as_text=True)
    assert empty.status_code == 422 and "出现问题" in text and 'href="#reason"' in text and "请写明异议理由" in text
    response = client.post("/my/objections/new", data={"record": "commerce/penalty/CF-1", "reason": "罚款已撤销"})
    assert response.status_code == 302
    listing = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "异议已提交" in listing and "罚款已撤销" in listing and "处理中" in listing
    assert "异议处理中" in client.get("/enterprises/1").get_data(as_text=True)
    with Session(engine) as s:
        oid = s.scalars(select(AuditEntry.subject).where(AuditEntry.action == "objection.file")).first()
        reject_objection(s, Actor("王科员", ROLE_CLERK, "commerce"), int(oid.split(":")[1]), reason="处罚决定有效",
                         on=date.today())
        s.commit()
    assert "异议不成立" in client.get("/my/objections").get_data(as_text=True)


def test_enterprise_cannot_object_to_another_enterprises_record(auth):
    client = auth.login("enterprise")
    response = client.post("/my/objections/new", data={"record": "commerce/registration/REG-2", "reason": "不是我们"})
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and "本企业没有记录" in text
    assert "enterprise 2" not in text and "企业 2" not in text  # whose record it is stays unknown


def test_repair_with_proof_files_stored_under_their_hash(auth, engine, tmp_path):
    client = auth.login("enterprise")
    data = {"record": "commerce/penalty/CF-1", "proof": "罚款已于上月缴清",
            "files": [(io.BytesIO(PDF), "../../etc/passwd 缴款凭证.pdf")]}
    response = client.post("/my/repairs/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    page = client.get("/my/repairs").get_data(as_text=True)
    assert "passwd 缴款凭证.pdf" in page and "../" not in page
    with Session(engine) as s:
        proof = s.scalars(select(ProofFile)).one()
    stored = tmp_path / "proofs" / proof.sha256[:2] / proof.sha256
    assert stored.read_bytes() == PDF and proof.display_name == "passwd 缴款凭证.pdf"
    names = [n for _, _, files in os.walk(tmp_path) for n in files]
    assert not any("passwd" in n for n in names)


def test_repair_refuses_a_file_that_is_not_a_document(auth):
    client = auth.login("enterprise")
    data = {"record": "commerce/penalty/CF-1", "proof": "见附件", "files": [(io.BytesIO(b"MZ\x90\x00evil"), "a.pdf")]}
    response = client.post("/my/repairs/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 422 and "PDF、PNG 或 JPEG" in response.get_data(as_text=True)


def test_authorised_query_with_a_basis_logged_and_shown_to_the_enterprise(auth, app, engine):
    bank = auth.login("authorised")
    refused = bank.post("/authorised/grants/new", data={"enterprise_id": "1", "basis_kind": "basis", "basis": ""})
    assert refused.status_code == 422 and 'href="#basis"' in refused.get_data(as_text=True)
    response = bank.post("/authorised/grants/new", data={"enterprise_id": "1", "basis_kind": "basis",
                                                         "basis": "《商业银行法》第35条 贷款审查", "days": "7"})
    assert response.status_code == 302
    view = bank.get(response.headers["Location"]).get_data(as_text=True)
    assert "授权查询" in view and "HT-SECRET-7731" in view and "CASE-SECRET-1" not in view
    with Session(engine) as s:
        assert s.scalars(select(QueryLog)).one().legal_basis == "《商业银行法》第35条 贷款审查"
    firm = app.test_client()
    firm.post("/login", data={"login": "firm", "password": "password-123"})
    log = firm.get("/my/queries").get_data(as_text=True)
    assert "某某银行长沙分行" in log and "bank" in log and "第35条" in log


def test_grant_of_another_organisation_is_refused(auth, engine):
    from credit.domain.queries import grant_access
    from credit.domain.workflows import ROLE_AUTHORISED

    with Session(engine) as s:
        grant = grant_access(s, Actor("x", ROLE_AUTHORISED, "另一家银行"), 1, on=date.today(), legal_basis="审查")
        s.commit()
        gid = grant.id
    assert auth.login("authorised").get(f"/authorised/grants/{gid}").status_code == 403


def test_joint_check_lists_memberships_and_shared_records(auth, engine):
    client = auth.login("clerk")
    page = client.get("/gov/joint-check?enterprise=1&purpose=2026年科技项目补贴")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "列入严重失信主体名单" in text and "严重失信行政处罚" in text
    assert "CASE-SECRET-1" in text and "430102198001011234" in text  # police case: ID unmasked by policy
    with Session(engine) as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "sharing.joint_check")).one()
        assert entry.reason == "2026年科技项目补贴" and entry.actor.startswith("clerk")
    missing = client.get("/gov/joint-check?enterprise=1&purpose=")
    assert missing.status_code == 422 and "请写明联合奖惩事项" in missing.get_data(as_text=True)


def test_government_profile_view_is_audited(auth, engine):
    auth.login("regulator").get("/enterprises/1")
    with Session(engine) as s:
        assert s.scalars(select(AuditEntry.actor).where(AuditEntry.action == "profile.view")).all() == [
            "regulator (regulator)"]


def test_lists_filter_by_region_department_and_reason(client):
    page = client.get("/lists/black?region=长沙").get_data(as_text=True)
    assert "长沙华盛网络科技有限公司" in page
    assert "长沙华盛网络科技有限公司" not in client.get("/lists/black?region=4403").get_data(as_text=True)
    assert "长沙华盛网络科技有限公司" not in client.get("/lists/black?department=tax").get_data(as_text=True)
    assert "长沙华盛网络科技有限公司" in client.get("/lists/black?reason=行政处罚").get_data(as_text=True)
    assert client.get("/lists/black?region=火星").status_code == 422
    assert "深圳华为技术有限公司" not in client.get("/lists/red").get_data(as_text=True)  # one A year is not three


def test_catalogue_page_and_api_from_the_catalog(client):
    page = client.get("/catalogue").get_data(as_text=True)
    assert "信贷违约" in page and "授权查询" in page and "个人信息，公开时遮蔽" in page
    api = client.get("/api/v1/catalogue").get_json()
    rating = next(t for t in api if t["record_type"] == "credit_rating")
    assert rating["openness"] == "政务共享" and rating["openness_by"] == {"A": "公开", "D": "公开"}
    assert len(api) == 11


def test_a_bank_names_the_enterprise_by_its_uscc(auth, engine):
    bank = auth.login("authorised")
    response = bank.post("/authorised/grants/new", data={"enterprise_id": "91430100-ma4l0xxx-1x", "basis_kind": "consent",
                                                         "basis": "同意书 TY-2026-001"})
    assert response.status_code == 302
    assert "HT-SECRET-7731" in bank.get(response.headers["Location"]).get_data(as_text=True)
    unknown = bank.post("/authorised/grants/new", data={"enterprise_id": "91430100MA4QQQQQ1Q", "basis_kind": "basis",
                                                        "basis": "审查"})
    assert unknown.status_code == 422 and "找不到编号或代码为" in unknown.get_data(as_text=True)


def test_joint_check_by_code(auth):
    text = auth.login("regulator").get("/gov/joint-check?enterprise=430100000123456&purpose=招标").get_data(as_text=True)
    assert "长沙华盛网络科技有限公司" in text and "CASE-SECRET-1" in text


def test_a_list_reused_is_still_audited_and_follows_objections(auth, client, engine):
    from sqlalchemy import func

    assert "异议处理中" not in client.get("/lists/black").get_data(as_text=True)
    client.get("/lists/black")
    with Session(engine) as s:
        views = s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "list.view"))
    assert views == 2  # the second view reused the list and was recorded all the same
    firm = auth.login("enterprise")
    assert firm.post("/my/objections/new", data={"record": "commerce/penalty/CF-1", "reason": "已撤销"}).status_code == 302
    assert "异议处理中" in client.get("/lists/black").get_data(as_text=True)
