"""The forms (Flask-WTF: every one carries its CSRF token); messages in the page's language."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import IntegerField, PasswordField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, NumberRange, Optional

from web.i18n import both


def errors_of(form: FlaskForm) -> dict[str, str]:
    """Field id -> its first message, for the error summary and the message beside the field."""
    return {name: str(messages[0]) for name, messages in form.errors.items() if messages}


class _Say:
    """A message written both ways, chosen when shown (forms are defined before any request)."""

    def __init__(self, zh: str, en: str) -> None:
        self.zh, self.en = zh, en

    def __str__(self) -> str:
        return both(self.zh, self.en)

    def __mod__(self, values: object) -> str:  # validators format their message with %
        return str(self)

    def __html__(self) -> str:
        from markupsafe import escape

        return str(escape(str(self)))


def _say(zh: str, en: str) -> str:
    return _Say(zh, en)  # type: ignore[return-value]


def _reference(zh: str, en: str) -> list[object]:
    return [DataRequired(message=_say(zh, en)), Length(max=40)]


class LoginForm(FlaskForm):
    login = StringField(validators=[DataRequired(message=_say("请输入登录名", "Enter your login"))])
    password = PasswordField(validators=[DataRequired(message=_say("请输入密码", "Enter your password"))])


class ObjectionForm(FlaskForm):
    record = StringField(validators=[DataRequired(message=_say("请选择要提出异议的记录", "Choose the record you object to"))])
    reason = TextAreaField(validators=[
        DataRequired(message=_say("请写明异议理由，例如“该处罚已于复议中撤销”",
                                  "Say why, for example: the penalty was annulled on review")),
        Length(max=2000)])


class RepairForm(FlaskForm):
    record = StringField(validators=[DataRequired(message=_say("请选择要修复的记录", "Choose the record to repair"))])
    proof = TextAreaField(validators=[
        DataRequired(message=_say("请说明已纠正失信行为的情况，例如“罚款已于 2026-03-01 缴清”",
                                  "Say how the conduct was corrected, e.g. the fine was paid on 2026-03-01")),
        Length(max=2000)])
    files = MultipleFileField()


class GrantForm(FlaskForm):
    enterprise_id = StringField(validators=_reference("请输入企业编号或统一社会信用代码，例如 12 或 91430100MA4L…",
                                                      "Enter the enterprise id or its USCC, e.g. 12 or 91430100MA4L…"))
    basis_kind = StringField(default="basis", validators=[AnyOf(["basis", "consent"], message=_say(
        "请选择查询依据：法定依据或企业书面同意", "Choose the basis: a legal basis or the enterprise's consent"))])
    basis = StringField(validators=[
        DataRequired(message=_say("请写明法定依据或企业书面同意的编号，例如“《商业银行法》第35条 贷款审查”",
                                  "Give the legal basis or the consent reference")),
        Length(max=500)])
    days = IntegerField(validators=[Optional(), NumberRange(min=1, max=30, message=_say(
        "授权期限为 1 至 30 天", "A grant lasts 1 to 30 days"))])


class JointCheckForm(FlaskForm):
    class Meta:
        csrf = False  # a GET lookup

    enterprise = StringField(validators=_reference("请输入企业编号或统一社会信用代码", "Enter the enterprise id or its USCC"))
    purpose = StringField(validators=[DataRequired(message=_say(
        "请写明联合奖惩事项，例如“2026年科技项目补贴”", "Say what the check is for, e.g. a 2026 subsidy"))])
