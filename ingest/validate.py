"""Row validation derived from the catalog.

``RowValidator`` is compiled once per (department, type): it maps the file's headers to catalog
keys and turns each raw row into normalised fields, warning flags and the identity view, or into
a list of rejections naming the column and reason. The same converters back a marshmallow schema
(``schema_for``) used at the API edge; a full marshmallow ``load`` per row would cap ingest near
10k rows/s (machine-limits.md), so the bulk path calls the converters directly.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from marshmallow import Schema, ValidationError
from marshmallow import fields as mm_fields

from credit.kernel import identifiers as ids
from credit.kernel.catalog import IDENTITY_ROLES, Column, RecordType
from ingest import normalize as nz
from ingest.rowplan import Converter, PlanStep, compile_plan

log = logging.getLogger(__name__)

CODE_LENGTHS = {"uscc": 18, "reg_no": 15, "org_code": 9, "loan_card_no": 16, "taxpayer_id": None}
# 操作类型 as the file states it: empty and 新增 add or update, 修改 updates a record that must exist,
# 撤销 revokes one that must exist. Stored, an update is an upsert (``stored_op``).
OP_VALUES = {"新增": "upsert", "修改": "update", "撤销": "revoke", None: "upsert"}
MUST_EXIST_OPS = frozenset({"update", "revoke"})
# a code given as a number (an XLSX number cell, a JSON number) with this many digits or more went
# through a double or Excel, which keep 15 significant digits: its last digits are gone
LOST_DIGITS_FROM = 10**15
LOST_DIGITS = "以数字形式存储，末几位已丢失 / stored as a number; the last digits were lost"
_NUMERIC_CODE_TYPES = frozenset({"uscc", "reg_no", "org_code", "taxpayer_id", "loan_card_no", "id_number"})


def stored_op(op: str) -> str:
    """The op a version is stored and hashed with: upsert or revoke."""
    return "upsert" if op == "update" else op


class HeaderError(ValueError):
    """The file's header lacks a column every row needs."""


def normalize_header(header: str) -> str:
    """Header text compared loosely: half-width, no spaces, lower case."""
    return "".join(ids.to_halfwidth(str(header)).split()).lower().lstrip("\ufeff")


def _enum(col: Column, value: Any) -> str | None:
    text = nz.to_text(value)
    if text is None:
        return None
    if text in col.values or col.open:
        return text
    upper = text.upper()
    if upper in col.values:
        return upper
    raise ValueError(f"取值不在允许范围 / not one of {'、'.join(col.values)}: {value}")


def _enum_list(col: Column, value: Any) -> tuple[str, ...] | None:
    items = nz.to_list(value)
    if items is None:
        return None
    unknown = [i for i in items if i not in col.values]
    if unknown and not col.open:
        raise ValueError(f"取值不在允许范围 / not one of {'、'.join(col.values)}: {'；'.join(unknown)}")
    return tuple(items)


_UNCACHED_TYPES = frozenset({"text"})
_SMALL_DOMAIN_TYPES = frozenset({"date", "year", "bool_zh", "enum", "enum_list"})  # few distinct values


def converter_for(col: Column) -> Converter:
    """The normalising function for one catalog column."""
    return _converter(col)


def _cacheable(col: Column) -> bool:
    """Values of this column repeat within a file (dates, authorities, enums, codes): memoise them."""
    return col.type not in _UNCACHED_TYPES and col.key != "record_id"


def _converter(col: Column) -> Converter:
    t = col.type
    simple: dict[str, Converter] = {
        "str": nz.to_text, "text": nz.to_free_text, "date": nz.to_date, "int": nz.to_int,
        "year": nz.to_year, "bool_zh": nz.to_bool_zh, "list": nz.to_list,
        "amount_wan": partial(nz.to_amount, unit="wan"),
        "amount_yuan": partial(nz.to_amount, unit="yuan"),
        "id_number": nz.to_code,
    }
    if col.identity == "name":
        return nz.to_name
    if t in simple:
        return simple[t]
    if t in CODE_LENGTHS:
        return partial(nz.to_code, length=CODE_LENGTHS[t])
    if t == "enum":
        return partial(_enum, col)
    if t == "enum_list":
        return partial(_enum_list, col)
    raise ValueError(f"column {col.key}: unknown type {t}")


class RowResult:
    """A validated row: normalised fields and identity, or the reasons it was rejected."""

    __slots__ = ("record_id", "op", "fields", "identity_row", "flags", "errors")

    def __init__(self) -> None:
        self.record_id: str | None = None
        self.op = "upsert"
        self.fields: dict[str, Any] = {}
        self.identity_row: tuple[str | None, ...] = ()  # the identity view in IDENTITY_ROLES order
        self.flags: dict[str, str] = {}
        self.errors: list[tuple[str, str]] = []  # (column label, reason)

    @property
    def identity(self) -> dict[str, str | None]:
        """The identity view, role -> value (empty for a rejected row)."""
        return dict(zip(IDENTITY_ROLES, self.identity_row))


class RowValidator:
    """Validates rows of one record type whose header has been mapped to catalog keys."""

    def __init__(self, rtype: RecordType, headers: list[str], *, per_record_keys: bool = False,
                 text_only: bool = False):
        """``per_record_keys``: JSON/XML, where each record names its own keys (no header to check).
        ``text_only``: every raw value is text (CSV, XML), so no code can arrive as a number."""
        self.rtype = rtype
        self.headers = list(headers)
        self._lookup = _header_lookup(rtype)
        self.per_record_keys = per_record_keys
        self.mapping: dict[str, Column] = {}
        self.unknown_headers: list[str] = []
        self._seen_keys: dict[str, str | None] = {}
        if per_record_keys:
            self.mapping = {c.zh: c for c in rtype.columns}
        else:
            self._map_headers(headers)
        present = {c.key for c in self.mapping.values()}
        self._plan: list[PlanStep] = [(h, c.key, c.label, converter_for(c), {} if _cacheable(c) else None)
                                      for h, c in self.mapping.items()]
        absent = [c.key for c in rtype.columns if c.key not in present]
        small = frozenset(c.key for c in self.mapping.values() if c.type in _SMALL_DOMAIN_TYPES)
        self._fill = compile_plan(self._plan, absent, small_domain=small)
        # a table row with exactly the header's cells is read by position (``validate_cells``),
        # sharing the memos of ``_fill``
        self.width = None if per_record_keys else len(headers)
        self._fill_cells = None if per_record_keys else compile_plan(
            self._plan, absent, [headers.index(h) for h, *_ in self._plan], text_only, small)
        self._required = [(c.key, c.label) for c in rtype.columns if c.required and c.key != "record_id"]
        self._record_id_label = rtype.column("record_id").label
        self._identity = _IdentityPlan(rtype.identity_columns)
        self._numeric_codes = [] if text_only else [
            (h, c.key) for h, c in self.mapping.items() if c.type in _NUMERIC_CODE_TYPES]
        self._numeric_cells = [(headers.index(h), key) for h, key in self._numeric_codes] if not per_record_keys else []

    def _map_headers(self, headers: list[str]) -> None:
        for header in headers:
            col = self._lookup.get(normalize_header(header))
            if col is None:
                if not header.startswith("_") and header.strip():
                    self.unknown_headers.append(header)
            elif col.key not in {c.key for c in self.mapping.values()}:
                self.mapping[header] = col
        present = {c.key for c in self.mapping.values()}
        missing = [c for c in self.rtype.columns if c.required and c.key not in present]
        if missing:
            names = "、".join(c.label for c in missing)
            raise HeaderError(f"缺少必需列 / missing required column: {names}")

    def _rekey(self, values: dict[str, Any]) -> dict[str, Any]:
        """A JSON/XML record's keys (Chinese headers or English keys) onto the Chinese headers."""
        out: dict[str, Any] = {}
        for key, value in values.items():
            if key not in self._seen_keys:
                col = self._lookup.get(normalize_header(key))
                self._seen_keys[key] = col.zh if col else None
                if col is None and not key.startswith("_"):
                    self.unknown_headers.append(key)
            target = self._seen_keys[key]
            if target is not None and (target not in out or out[target] is None):
                out[target] = value
            elif target is None and key.startswith("_"):
                out[key] = value
        return out

    def validate(self, values: dict[str, Any]) -> RowResult:
        """Normalise one raw row; errors name the column, flags carry warnings."""
        result = RowResult()
        if "__invalid__" in values:
            result.errors.append(("(row)", f"无法解析的记录 / unreadable record: {values['__invalid__']}"))
            return result
        if self.per_record_keys:
            values = self._rekey(values)
        result.record_id, op, result.fields = self._fill(values, result.errors)
        extras = "_extra_1" in values and [k for k in values if k.startswith("_extra_") and not nz.is_empty(values[k])]
        if extras:
            result.errors.append(("(row)", f"单元格多于表头 / more cells than header columns: {len(extras)}"))
        self._finish(result, op)
        if not result.errors:
            lost = self._numeric_codes and lost_digit_codes(values, self._numeric_codes)
            if lost:
                self._drop_lost_codes(result, lost)
        return result

    def validate_cells(self, cells: list[Any]) -> RowResult:
        """``validate`` of a table row given as its cells, exactly one per header (``width``)."""
        result = RowResult()
        result.record_id, op, result.fields = self._fill_cells(cells, result.errors)  # type: ignore[misc]
        self._finish(result, op)
        if not result.errors and self._numeric_cells:
            lost = [key for i, key in self._numeric_cells
                    if cells[i].__class__ in (int, float) and abs(cells[i]) >= LOST_DIGITS_FROM]
            if lost:
                self._drop_lost_codes(result, lost)
        return result

    def _finish(self, result: RowResult, op: Any) -> None:
        result.op = OP_VALUES.get(op, "upsert")
        if result.record_id is None:
            result.errors.append((self._record_id_label, "必填项为空 / required value is empty"))
        if result.op != "revoke":
            out = result.fields
            for key, label in self._required:
                if out.get(key) is None and not any(label == e[0] for e in result.errors):
                    result.errors.append((label, "必填项为空 / required value is empty"))
        if not result.errors:
            result.identity_row, flags = self._identity.row(result.fields)
            if flags:
                result.flags = dict(flags)

    def _drop_lost_codes(self, result: RowResult, lost: list[str]) -> None:
        """Codes whose digits were lost: flagged, and left out of the identity view (they would
        otherwise be strong evidence for whichever enterprise holds the damaged code)."""
        damaged = dict(result.fields)
        for key in lost:
            damaged[key] = None
        result.identity_row, flags = self._identity.row(damaged)
        result.flags = {**dict(flags), **dict.fromkeys(lost, LOST_DIGITS)}


def lost_digit_codes(values: dict[str, Any], columns: list[tuple[str, str]]) -> list[str]:
    """Keys of the code columns whose raw value is a number too long to have kept its digits."""
    lost = []
    for header, key in columns:
        raw = values.get(header)
        if raw.__class__ in (int, float) and abs(raw) >= LOST_DIGITS_FROM:
            lost.append(key)
    return lost


def _header_lookup(rtype: RecordType) -> dict[str, Column]:
    lookup: dict[str, Column] = {}
    for col in rtype.columns:
        for name in (col.zh, col.key, *col.aliases):
            lookup.setdefault(normalize_header(name), col)
    return lookup


_CODE_ROLES = ("uscc", "reg_no", "org_code", "taxpayer_id")
_PLACED_ROLES = (*_CODE_ROLES, "loan_card_no")  # the roles a code may be placed in by its shape
_PLAIN = object()  # a placed role left to its own column
_KIND_ROLE = {"uscc": "uscc", "reg_no": "reg_no", "org_code": "org_code",
              "taxpayer15": "taxpayer_id", "taxpayer20": "taxpayer_id", "loan_card_no": "loan_card_no"}
_STATUS_ZH = {ids.BAD_CHECK: "校验位不符 / check character does not match",
              ids.BAD_FORMAT: "格式不符 / malformed", ids.PLACEHOLDER: "占位值 / placeholder"}




def identity_view(fields: dict[str, Any], roles: dict[str, str]) -> tuple[dict[str, str | None], dict[str, str]]:
    """The identity columns of a record, with codes placed by their shape, and warning flags."""
    return _IdentityPlan(roles).view(fields)


class _IdentityPlan:
    """``identity_view`` for one record type's identity roles, with the role lookups done once.

    ``row`` gives the view as a tuple in ``IDENTITY_ROLES`` order (what is stored), from one
    generated function: ingest's hot path."""

    __slots__ = ("codes", "memo", "row")

    def __init__(self, roles: dict[str, str]) -> None:
        self.codes = [(role, roles[role]) for role in _CODE_ROLES if role in roles]
        self.memo: dict[tuple[Any, ...], tuple[Any, Any]] = {}  # code values -> placed codes, flags
        env: dict[str, Any] = {"memo": self.memo, "placed_of": self._placed, "_PLAIN": _PLAIN}
        parts = []
        for role in IDENTITY_ROLES:
            key = roles.get(role)
            plain = "None" if key is None or role in _CODE_ROLES else f"get({key!r})"
            if role == "former_names" and key is not None:
                env["join"] = "；".join
                plain = f"(join(get({key!r})) if get({key!r}) else None)"
            if role in _CODE_ROLES:  # only ever placed by shape
                parts.append(f"p[{_PLACED_ROLES.index(role)}]")
            elif role in _PLACED_ROLES:  # placed by shape, or else its own column
                n = _PLACED_ROLES.index(role)
                parts.append(f"({plain} if p[{n}] is _PLAIN else p[{n}])")
            else:
                parts.append(plain)
        values = ", ".join(f"get({key!r})" for _, key in self.codes)
        lines = ["def row(fields):",
                 "    get = fields.get",
                 f"    values = ({values}{',' if len(self.codes) == 1 else ''})",
                 "    found = memo.get(values)",
                 "    if found is None:",
                 "        found = placed_of(values)",
                 "    p, flags = found",
                 f"    return ({', '.join(parts)}), flags"]
        exec(compile("\n".join(lines), "<identity view>", "exec"), env)  # noqa: S102 - our own generated code
        self.row: Any = env["row"]

    def _placed(self, values: tuple[Any, ...]) -> tuple[tuple[Any, ...], tuple[tuple[str, str], ...]]:
        """The placed codes (``_PLACED_ROLES`` order; ``_PLAIN``: the plain field) and flags of one
        combination of code values, memoised."""
        placed, flags = _codes_view(tuple((role, key, v) for (role, key), v in zip(self.codes, values)))
        where = dict(placed)
        found = (tuple(where.get(role, None if role in _CODE_ROLES else _PLAIN) for role in _PLACED_ROLES), flags)
        if len(self.memo) >= 1 << 14:
            self.memo.clear()
        self.memo[values] = found
        return found

    def view(self, fields: dict[str, Any]) -> tuple[dict[str, str | None], dict[str, str]]:
        identity, flags = self.row(fields)
        return dict(zip(IDENTITY_ROLES, identity)), dict(flags) if flags else {}


def _codes_view(codes: tuple[tuple[str, str, str | None], ...]) -> tuple[tuple[tuple[str, str | None], ...],
                                                                          tuple[tuple[str, str], ...]]:
    """Codes placed by shape and their flags (memoised per record type by ``_IdentityPlan``)."""
    identity: dict[str, str | None] = {}
    flags: dict[str, str] = {}
    for role, key, value in codes:
        if value:
            _place_code(role, key, value, identity, flags)
    if identity.get("uscc") and not identity.get("org_code"):
        identity["org_code"] = ids.org_code_of(identity["uscc"])  # type: ignore[arg-type]
    taxpayer = identity.get("taxpayer_id")
    if not identity.get("org_code") and taxpayer and len(taxpayer) == 15:
        identity["org_code"] = ids.org_code_of(taxpayer)
    return tuple(identity.items()), tuple(flags.items())


def _place_code(role: str, key: str, value: str, identity: dict[str, str | None], flags: dict[str, str]) -> None:
    code = ids.classify(value)
    if code is None:
        return
    if role == "taxpayer_id" and code.kind == "reg_no" and ids.org_code_status(code.value[6:]) == ids.VALID:
        code = ids.Code(code.value, "taxpayer15", ids.VALID)
    if code.status == ids.PLACEHOLDER:
        flags[key] = _STATUS_ZH[ids.PLACEHOLDER]
        return
    target = _KIND_ROLE.get(code.kind, role)
    expected = {"taxpayer_id": ("uscc", "taxpayer_id")}.get(role, (role,))
    if target not in expected:
        flags[key] = f"列中是{code.kind}而非{role} / column holds a {code.kind}, not a {role}"
    elif code.status != ids.VALID:
        flags[key] = _STATUS_ZH[code.status]
    if role == "taxpayer_id" and code.kind == "uscc":
        identity["taxpayer_id"] = identity.get("taxpayer_id") or code.value
    if target not in expected and code.status == ids.BAD_FORMAT:
        target = role
    if not identity.get(target):
        identity[target] = code.value


class _Converted(mm_fields.Field):
    """A marshmallow field that runs one catalog converter."""

    def __init__(self, convert: Converter, **kwargs: Any):
        super().__init__(**kwargs)
        self._convert = convert

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        try:
            return self._convert(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


def schema_for(rtype: RecordType) -> Schema:
    """A marshmallow schema of one record type (English keys; Chinese headers as data_key aliases)."""
    attrs: dict[str, Any] = {
        c.key: _Converted(converter_for(c), required=c.required, allow_none=not c.required)
        for c in rtype.columns
    }
    cls = Schema.from_dict(attrs, name=f"{rtype.department}_{rtype.name}_schema")
    return cls()
