"""Marshmallow schemas of the JSON API (flask-smorest builds /api/openapi.json from them)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

Raw = fields.Raw(allow_none=True)


class SearchArgs(Schema):
    q = fields.String(required=True, validate=validate.Length(min=1, max=200),
                      metadata={"description": "名称片段或任一代码 / a name fragment or any code"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10000))


class HitSchema(Schema):
    enterprise_id = fields.Integer(required=True)
    name = fields.String(allow_none=True)
    uscc = fields.String(allow_none=True)
    status = fields.String(allow_none=True)
    badges = fields.List(fields.String())
    matched = fields.String(allow_none=True)


class SearchResultSchema(Schema):
    query = fields.String()
    kind = fields.String()
    total = fields.Integer()
    page = fields.Integer()
    pages = fields.Integer()
    capped = fields.Boolean()
    hits = fields.List(fields.Nested(HitSchema))


class ProfileArgs(Schema):
    date = fields.Date(load_default=None, metadata={"description": "view date YYYY-MM-DD (default today)"})
    grant = fields.Integer(load_default=None, validate=validate.Range(min=1, max=2**31 - 1),
                           metadata={"description": "an authorised querier's grant id"})


class PublicitySchema(Schema):
    published = fields.Boolean()
    start = fields.Date(allow_none=True)
    last_day = fields.Date(allow_none=True)


class RecordSchema(Schema):
    department = fields.String()
    department_zh = fields.String()
    record_type = fields.String()
    record_type_zh = fields.String()
    record_id = fields.String()
    openness = fields.String()
    record_date = fields.Date(allow_none=True)
    public = fields.Boolean()
    marks = fields.List(fields.String())
    fields_ = fields.Dict(keys=fields.String(), values=Raw, data_key="fields", attribute="fields")
    publicity = fields.Nested(PublicitySchema)


class IdentitySchema(Schema):
    name = fields.String(allow_none=True)
    former_names = fields.List(fields.String())
    uscc = fields.String(allow_none=True)
    reg_no = fields.String(allow_none=True)
    org_code = fields.String(allow_none=True)
    taxpayer_id = fields.String(allow_none=True)
    legal_rep = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    status = fields.String(allow_none=True)


class LineSchema(Schema):
    kind = fields.String()
    label = fields.String()
    points = fields.Integer()
    department = fields.String()
    record_type = fields.String()
    record_id = fields.String()
    record_date = fields.Date(allow_none=True)


class RatingSchema(Schema):
    grade = fields.String()
    score = fields.Integer()
    lines = fields.List(fields.Nested(LineSchema))


class ProfileSchema(Schema):
    requested_id = fields.Integer()
    enterprise_id = fields.Integer()
    viewer = fields.String()
    as_of = fields.Date()
    identity = fields.Nested(IdentitySchema)
    records = fields.List(fields.Nested(RecordSchema))
    rating = fields.Nested(RatingSchema)


class ListArgs(Schema):
    date = fields.Date(load_default=None)
    region = fields.String(load_default="", validate=validate.Length(max=20))
    department = fields.String(load_default="", validate=validate.Length(max=32))
    reason = fields.String(load_default="", validate=validate.Length(max=100))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10000))


class ReasonSchema(Schema):
    text = fields.String()
    department = fields.String()
    record_type = fields.String()
    record_id = fields.String()
    since = fields.Date(allow_none=True)
    until = fields.Date(allow_none=True)
    marks = fields.List(fields.String())


class ListEntrySchema(Schema):
    enterprise_id = fields.Integer()
    name = fields.String(allow_none=True)
    uscc = fields.String(allow_none=True)
    reasons = fields.List(fields.Nested(ReasonSchema))


class ListPageSchema(Schema):
    kind = fields.String()
    title = fields.String()
    at = fields.Date()
    total = fields.Integer()
    page = fields.Integer()
    pages = fields.Integer()
    entries = fields.List(fields.Nested(ListEntrySchema))


class CatalogueColumnSchema(Schema):
    key = fields.String()
    zh = fields.String()
    type = fields.String()
    required = fields.Boolean()
    personal = fields.Boolean()
    identifier = fields.Boolean()


class CatalogueTypeSchema(Schema):
    department = fields.String()
    department_zh = fields.String()
    record_type = fields.String()
    zh = fields.String()
    openness = fields.String()
    openness_by = fields.Dict(keys=fields.String(), values=fields.String())
    openness_field = fields.String(allow_none=True)
    publicity = fields.String()
    publicity_zh = fields.String()
    publicity_en = fields.String()
    columns = fields.List(fields.Nested(CatalogueColumnSchema))


class ObjectionIn(Schema):
    record = fields.String(required=True, validate=validate.Length(min=1, max=300),
                           metadata={"description": "department/type/record_id"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class ObjectionSchema(Schema):
    id = fields.Integer()
    department = fields.String()
    record_type = fields.String()
    record_id = fields.String()
    reason = fields.String()
    status = fields.String()
    filed_on = fields.Date()
    due_on = fields.Date()
    decided_on = fields.Date(allow_none=True)
    decision_reason = fields.String(allow_none=True)


class GrantIn(Schema):
    enterprise_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))
    legal_basis = fields.String(load_default=None, validate=validate.Length(max=500))
    consent_ref = fields.String(load_default=None, validate=validate.Length(max=200))
    days = fields.Integer(load_default=None, validate=validate.Range(min=1, max=30))


class GrantSchema(Schema):
    id = fields.Integer()
    querier = fields.String()
    enterprise_id = fields.Integer()
    legal_basis = fields.String(allow_none=True)
    consent_ref = fields.String(allow_none=True)
    valid_from = fields.Date()
    valid_until = fields.Date()


class JointCheckArgs(Schema):
    purpose = fields.String(required=True, validate=validate.Length(min=1, max=200))
    date = fields.Date(load_default=None)


class JointCheckSchema(Schema):
    enterprise_id = fields.Integer()
    as_of = fields.Date()
    purpose = fields.String()
    verdict = fields.String()
    identity = fields.Nested(IdentitySchema)
    black = fields.List(fields.Nested(ReasonSchema))
    red = fields.List(fields.Nested(ReasonSchema))
    rating = fields.Nested(RatingSchema)
    shared = fields.List(fields.Nested(RecordSchema))
    records = fields.List(fields.Nested(RecordSchema))
