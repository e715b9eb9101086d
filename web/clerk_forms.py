"""The clerks' forms (Flask-WTF) and the parsing of an upheld objection's corrected values."""

from __future__ import annotations

import math
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from credit.kernel.catalog import RecordType
from credit.kernel.errors import InvalidInput
from web.forms import _say


class UploadForm(FlaskForm):
    class Meta:
        csrf = False  # the upload view checks the token itself, after raising the size limit of its route

    type = StringField(validators=[DataRequired(message=_say("请选择记录类型", "Choose the record type"))])
    files = MultipleFileField()


class AnswerForm(FlaskForm):
    decision = StringField(validators=[DataRequired(message=_say("请选择决定", "Choose a decision"))])
    reason = TextAreaField(validators=[
        DataRequired(message=_say("请写明理由，企业将看到它", "Give the reason; the enterprise will read it")),
        Length(max=2000)])
    corrections = TextAreaField(validators=[Length(max=4000)])


def upload_limit_message(limit: int) -> str:
    mb = limit >> 20
    return (f"文件过大：每次上传不超过 {mb} MB，请拆分后分批上传 / "
            f"the upload is larger than the limit of {mb} MB; split the file and send the parts")


_TRUE, _FALSE = ("是", "yes", "true", "1"), ("否", "no", "false", "0")


def _value(rt: RecordType, key: str, text: str) -> Any:
    col = rt.column(key)
    if text == "":
        return None
    try:
        if col.type.startswith("amount"):
            amount = float(text.replace(",", "").replace("，", ""))
            if not math.isfinite(amount):
                raise ValueError(text)
            return amount
        if col.type in ("int", "year"):
            return int(text)
    except ValueError:
        raise InvalidInput(f"“{col.zh}”应为数字：{text} / {key} must be a number: {text}") from None
    if col.type == "enum" and col.values and text not in col.values:
        raise InvalidInput(f"“{col.zh}”应为 {'、'.join(col.values)} 之一 / {key} must be one of {', '.join(col.values)}")
    if col.type in ("enum_list", "list"):
        return [v.strip() for v in text.replace(";", "；").split("；") if v.strip()]
    if col.type == "bool_zh":
        if text.lower() not in _TRUE + _FALSE:
            raise InvalidInput(f"“{col.zh}”应为 是 或 否 / {key} must be 是 or 否")
        return text.lower() in _TRUE
    return text


def corrections_of(rt: RecordType, text: str) -> dict[str, Any] | None:
    """``列名=正确值`` lines (the Chinese header or the English key) -> corrected values; None if none."""
    names = {c.zh: c.key for c in rt.columns} | {c.key: c.key for c in rt.columns}
    out: dict[str, Any] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, value = line.replace("＝", "=").partition("=")
        key = names.get(name.strip())
        if not sep or key is None or key in ("record_id", "op"):
            raise InvalidInput(f"更正第 {number} 行应为“列名=正确值”，列名取自{rt.zh}的列：{name.strip()} / "
                               f"correction line {number} must read column=value with a column of {rt.name}")
        out[key] = _value(rt, key, value.strip())
    return out or None
