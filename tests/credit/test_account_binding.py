"""An enterprise account is bound to the enterprise its USCC registers, never to one that merely
carries the code on a record (a head office's code on its branch's penalty)."""

from credit.domain import search_index
from credit.domain.accounts import enterprise_of
from tests.credit.builders import penalty, registration

HEAD = "91430100MA4L0XXX1X"


def test_bound_by_the_registration_not_by_a_branch_record_carrying_the_code(session):
    penalty(session, "P-BRANCH", "2026-01-10", enterprise_id=5, fine=5.0, uscc=HEAD,
            subject_name="长沙华盛网络科技有限公司岳麓分公司")
    registration(session, "REG-HEAD", enterprise_id=1, name="长沙华盛网络科技有限公司", uscc=HEAD)
    search_index.rebuild(session)
    assert enterprise_of(session, HEAD) == 1


def test_a_code_leading_to_two_enterprises_binds_to_neither(session):
    penalty(session, "P1", "2026-01-10", enterprise_id=5, fine=5.0, uscc=HEAD)
    penalty(session, "P2", "2026-01-11", enterprise_id=6, fine=5.0, uscc=HEAD)
    search_index.rebuild(session)
    assert enterprise_of(session, HEAD) is None


def test_a_code_on_one_enterprise_only_binds_without_a_registration(session):
    penalty(session, "P1", "2026-01-10", enterprise_id=5, fine=5.0, uscc=HEAD)
    search_index.rebuild(session)
    assert enterprise_of(session, HEAD) == 5
