"""Reviewers (and administrators): the uncertain pairs, side by side, decided same / different / skip.

The queue shows each pair's evidence line by line and both records (identity as a government
user sees it, source file and row), filtered by department and score; each pair carries its
decision form (CSRF). ``same`` and ``different`` are judgements the next resolve honours
(``credit.domain.review.decide_review``); ``skip`` puts the pair at the end of this reviewer's queue.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from credit.domain.review import REVIEWERS, VERDICTS, decide_review, review_pair, review_queue
from credit.kernel.catalog import load_catalog
from credit.kernel.errors import InvalidInput
from web.auth import current_actor, roles_required
from web.db import engine, run
from web.forms import _say, errors_of

bp = Blueprint("review", __name__, url_prefix="/review")
PAGE = 20
SIDE_LABELS = {"name": ("名称", "Name"), "former_names": ("曾用名", "Former names"),
               "uscc": ("统一社会信用代码", "USCC"), "reg_no": ("注册号", "Registration no."),
               "org_code": ("组织机构代码", "Organization code"), "taxpayer_id": ("纳税人识别号", "Taxpayer id"),
               "legal_rep": ("法定代表人", "Legal representative"), "address": ("住所", "Address")}
VERDICT_NAMES = {"same": ("是同一企业", "Same enterprise"), "different": ("不是同一企业", "Different enterprises"),
                 "skip": ("跳过", "Skip")}


class DecisionForm(FlaskForm):
    verdict = StringField(validators=[DataRequired(message=_say("请选择决定", "Choose a decision")),
                                      AnyOf(list(VERDICTS), message=_say("决定应为同一、不同或跳过",
                                                                         "Choose same, different or skip"))])
    note = StringField(validators=[Optional(), Length(max=500)])


def _score(name: str) -> float | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise InvalidInput(f"分数应为 0 到 1 之间的数 / a score is a number from 0 to 1: {value[:20]}") from None


def _page() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


@bp.get("/")
@roles_required(*REVIEWERS)
def queue() -> Any:
    department = request.args.get("department", "").strip() or None
    low, high, page = _score("min"), _score("max"), _page()
    pairs = run(lambda s: review_queue(s, current_actor(), department=department, min_score=low, max_score=high,
                                       limit=PAGE + 1, offset=(page - 1) * PAGE))
    return render_template("review/queue.html", pairs=pairs[:PAGE], more=len(pairs) > PAGE, page=page,
                           department=department or "", low=low, high=high, form=DecisionForm(),
                           departments=load_catalog().departments, labels=SIDE_LABELS, verdicts=VERDICT_NAMES,
                           decided=request.args.get("decided"), verdict=request.args.get("verdict"))


@bp.get("/<int(max=2147483647):item_id>")
@roles_required(*REVIEWERS)
def pair(item_id: int) -> Any:
    found = run(lambda s: review_pair(s, current_actor(), item_id))
    return render_template("review/pair.html", pair=found, form=DecisionForm(), labels=SIDE_LABELS,
                           verdicts=VERDICT_NAMES, errors={})


@bp.post("/<int(max=2147483647):item_id>")
@roles_required(*REVIEWERS)
def decide(item_id: int) -> Any:
    form = DecisionForm()
    if not form.validate_on_submit():
        found = run(lambda s: review_pair(s, current_actor(), item_id))
        return render_template("review/pair.html", pair=found, form=form, labels=SIDE_LABELS, verdicts=VERDICT_NAMES,
                               errors=errors_of(form)), 422
    decision = decide_review(engine(), current_actor(), item_id, form.verdict.data or "", form.note.data or None)
    back: dict[str, Any] = {k: v for k, v in request.args.items() if k in ("department", "min", "max")}
    return redirect(url_for("review.queue", decided=decision.item_id, verdict=decision.verdict, **back), 303)

