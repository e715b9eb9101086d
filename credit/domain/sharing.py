"""Government sharing (政务共享): government users see the shared records of every department.

``joint_check`` is what a department runs before a decision (联合奖惩: a subsidy, a tender, a
licence): the enterprise's list memberships with their reasons (from the public view, as the
lists themselves), its composite grade explained line by line, and every record the government
view holds, 政务共享 ones included, personal data unmasked only where policy allows. Each check
is an audit entry naming the purpose.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from credit.domain import audit
from credit.domain.gate import Disclosed, Viewer
from credit.domain.lists import Reason, black_reasons, red_reasons
from credit.domain.profile import Identity, build_profile
from credit.domain.rating import Rating, grade_of, score_records
from credit.domain.workflows import GOVERNMENT_ROLES, Actor, require_role, require_text
from credit.kernel.catalog import OPENNESS_GOVERNMENT

log = logging.getLogger(__name__)

PURPOSES = {"subsidy": "财政补贴", "tender": "招标投标", "licence": "行政许可", "procurement": "政府采购",
            "honour": "评优评先", "other": "其他"}


@dataclass(frozen=True)
class JointCheck:
    """One enterprise checked by a department before a decision."""

    enterprise_id: int
    requested_id: int
    as_of: date
    purpose: str
    identity: Identity
    black: list[Reason]
    red: list[Reason]
    rating: Rating
    shared: list[Disclosed]  # 政务共享 records
    records: list[Disclosed]  # everything the government view holds

    @property
    def verdict(self) -> str:
        """One line a clerk reads first."""
        if self.black:
            return "列入严重失信主体名单：依法实施联合惩戒 / on the black list: joint punishment applies"
        if self.red:
            return "列入守信激励名单：可依法给予激励 / on the red list: incentives may apply"
        return "未列入红黑名单 / on neither list"


def joint_check(session: Session, actor: Actor, enterprise_id: int, *, purpose: str,
                at: date | None = None) -> JointCheck:
    """List memberships, grade and shared records of one enterprise for a department's decision."""
    require_role(actor, *GOVERNMENT_ROLES)
    purpose = require_text(purpose, "联合奖惩事项 / the purpose of the check")
    at = at or date.today()
    public = build_profile(session, enterprise_id, Viewer.public(), at)
    gov = build_profile(session, enterprise_id, Viewer.government(actor.user), at)
    score, lines = score_records(gov.records, at)
    rating = Rating(gov.enterprise_id, at, gov.viewer, score - sum(ln.points for ln in lines), score, grade_of(score), lines)
    black = black_reasons(public.records, at)
    red = red_reasons(public.records, at)
    shared = [d for d in gov.records if d.openness == OPENNESS_GOVERNMENT]
    audit.record(session, actor=str(actor), action="sharing.joint_check", subject=f"enterprise:{gov.enterprise_id}",
                 reason=purpose, details={"as_of": at, "black": len(black), "red": len(red),
                                          "shared": len(shared), "records": len(gov.records)})
    return JointCheck(gov.enterprise_id, enterprise_id, at, purpose, gov.identity, black, red, rating, shared,
                      gov.records)
