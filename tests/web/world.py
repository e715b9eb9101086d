"""A small world for web tests: enterprises with every kind of record, accounts of every role."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from credit.domain import search_index
from credit.domain.accounts import SYSTEM, create_account, create_token
from credit.domain.workflows import ROLES
from matching.models import Enterprise
from tests.credit.builders import add_record, ensure_enterprise, penalty, rating, registration

PASSWORD = "password-123"
USCC1 = "91430100MA4L0XXX1X"
USCC2 = "91440300708461136T"
TODAY = date.today()


def ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


# values that only government users (or nobody) may see: never on a public page or answer
SECRETS = ("HT-SECRET-7731", "CASE-SECRET-1", "430102198001011234", "非法集资", "涉密备注")
ACCOUNTS = {  # login -> (role, department, uscc)
    "admin": ("admin", None, None), "clerk": ("clerk", "commerce", None), "reviewer": ("reviewer", None, None),
    "regulator": ("regulator", None, None), "bank": ("authorised", "某某银行长沙分行", None),
    "firm": ("enterprise", None, USCC1), "other": ("enterprise", None, USCC2),
}
ROLE_LOGIN = {"enterprise": "firm", "authorised": "bank", "clerk": "clerk", "reviewer": "reviewer",
              "regulator": "regulator", "admin": "admin"}
assert set(ROLE_LOGIN) | {"public"} == set(ROLES)


def build(engine: Engine) -> dict[str, str]:
    """Records for enterprises 1 and 2, id 3 merged into 1, every account; returns each account's API token."""
    with Session(engine, expire_on_commit=False) as s:
        registration(s, "REG-1", name="长沙华盛网络科技有限公司", uscc=USCC1, reg_no="430100000123456",
                     former_names=["长沙华盛电子有限公司"], legal_rep="张三", approval_date=ago(900))
        penalty(s, "CF-1", ago(30), kinds=["罚款"], fine=5.0, serious=True, subject_name="长沙华盛网络科技有限公司",
                uscc=USCC1, legal_rep_id_number="430102198001011234", authority="长沙市市场监督管理局")
        penalty(s, "CF-OLD", ago(2000), kinds=["罚款"], fine=2.0, subject_name="长沙华盛网络科技有限公司",
                violation_facts="涉密备注 expired", uscc=USCC1)
        add_record(s, "commerce", "abnormal_list", "AB-1", 1, name="长沙华盛网络科技有限公司", uscc=USCC1,
                   listed_reason="通过登记的住所无法联系", listed_date=ago(60))
        add_record(s, "finance", "loan_default", "LD-1", 1, borrower_name="长沙华盛网络科技有限公司", uscc=USCC1,
                   contract_no="HT-SECRET-7731", lender="某某银行", report_date=ago(40), classification="次级")
        add_record(s, "public_security", "case", "PS-1", 1, party_name="长沙华盛网络科技有限公司", uscc=USCC1,
                   legal_rep_id_number="430102198001011234", case_category="非法集资", filed_date=ago(50),
                   case_status="立案侦查", handling_unit="CASE-SECRET-1")
        rating(s, "TAX-1", TODAY.year - 2, "B")
        registration(s, "REG-2", enterprise_id=2, name="深圳华为技术有限公司", uscc=USCC2, approval_date=ago(800))
        add_record(s, "tax", "credit_rating", "TAX-2", 2, taxpayer_name="深圳华为技术有限公司", taxpayer_id=USCC2,
                   year=TODAY.year - 2, grade="A")
        add_record(s, "finance", "loan_default", "LD-9", 2, borrower_name="深圳影子借款有限公司", uscc=USCC2,
                   contract_no="HT-SECRET-7731", report_date=ago(10))
        ensure_enterprise(s, 3)
        ent3 = s.get(Enterprise, 3)
        assert ent3 is not None
        ent3.status, ent3.successor_id = "merged", 1
        search_index.rebuild(s)
        for login, (role, dept, uscc) in ACCOUNTS.items():
            create_account(s, SYSTEM, login, role, password=PASSWORD, department=dept, uscc=uscc)
        tokens = {login: create_token(s, SYSTEM, login) for login in ACCOUNTS}
        s.commit()
    return tokens
