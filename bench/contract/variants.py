"""How departments write one enterprise's name and codes: every variant section 6 of the contract lists."""

from __future__ import annotations

import random

from bench.contract import codes
from bench.contract.world import Entity

LEGAL_FORM_SWAPS = [("股份有限公司", "股份公司"), ("有限责任公司", "有限公司"), ("有限公司", "有限责任公司"),
                    ("合伙企业（有限合伙）", "合伙企业(有限合伙)")]


def division_of(e: Entity) -> str:
    c = e.county
    return c.city + c.name if c.name.endswith("区") else c.name


def company_variant(rng: random.Random, e: Entity, name: str, flags: set[str]) -> str:
    """A written form of a company (or branch) name."""
    c = e.county
    r = rng.random()
    if r < 0.62:
        out = name
    elif r < 0.72:
        out = name
        for a, b in LEGAL_FORM_SWAPS:
            if a in name:
                out = name.replace(a, b, 1)
                flags.add("legal_form_variant")
                break
    elif r < 0.80 and name.startswith(c.city):  # region moved: 某某科技（长沙）有限公司
        body = name[len(c.city):]
        form = next((f for f in ("集团有限公司", "股份有限公司", "有限责任公司", "有限公司") if f in body), "")
        if form and not body.endswith(form):  # a branch: keep the suffix after the form
            i = body.index(form)
            head, tail = body[:i], body[i:]
        else:
            head, tail = body[:len(body) - len(form)] if form else body, form
        br = "（%s）" if rng.random() < 0.7 else "(%s)"
        out = head + br % c.city_short + tail
        flags.add("region_moved")
    elif r < 0.86 and name.startswith(c.city):  # 长沙某某科技有限公司
        out = c.city_short + name[len(c.city):]
        flags.add("region_short")
    elif r < 0.90 and name.startswith(c.province_short):  # 湖南省 / 湖南（长沙）
        rest = name[len(c.province_short):]
        out = (c.province + rest) if rng.random() < 0.5 else f"{c.province_short}（{c.city_short}）{rest}"
        flags.add("region_variant")
    elif r < 0.93:  # region absent
        for p in (c.city, c.province_short, c.name):
            if name.startswith(p):
                out = name[len(p):]
                flags.add("region_absent")
                break
        else:
            out = name
    else:
        out = name
    return spacing(rng, out, flags)


def spacing(rng: random.Random, name: str, flags: set[str]) -> str:
    r = rng.random()
    if r < 0.05:
        flags.add("spaces")
        return name + " "
    if r < 0.07:
        flags.add("spaces")
        return " " + name
    if r < 0.09 and len(name) > 4:
        flags.add("spaces")
        return name[:2] + " " + name[2:]
    if r < 0.12 and "（" in name:
        flags.add("half_width_brackets")
        return name.replace("（", "(").replace("）", ")")
    return name


def individual_variant(rng: random.Random, e: Entity, name: str, flags: set[str],
                       with_division: float = 0.25, without: float = 0.15) -> str:
    """An individual business's name: as registered, with its division added, or without it."""
    if e.region_style == "operator":
        return spacing(rng, name, flags) if rng.random() < 0.3 else name
    div = division_of(e)
    bare = name[len(div):] if name.startswith(div) else name
    r = rng.random()
    if r < with_division:
        out = div + bare
        if name == bare:
            flags.add("division_added")
    elif r < with_division + without:
        out = bare
        if name != bare:
            flags.add("no_division")
        if rng.random() < 0.3 and div.startswith(e.county.city):  # only the district: 岳麓区刘记副食店
            out = e.county.name + bare
            flags.discard("no_division")
            flags.add("district_only_name")
    else:
        out = name
    if out == bare:
        flags.add("written_without_division")
    return spacing(rng, out, flags)


def name_for(rng: random.Random, e: Entity, year: int, flags: set[str]) -> str:
    name = e.name
    if e.former and year < e.renamed_year:
        name = e.former[0]
        flags.add("former_name")
    if e.kind == "individual":
        return individual_variant(rng, e, name, flags)
    if e.kind == "other":
        return spacing(rng, name, flags)
    return company_variant(rng, e, name, flags)


def code(rng: random.Random, value: str | None, flags: set[str], damage: float = 0.04) -> str | None:
    """A code as written: clean, in a harmless other form, or damaged (wrong check, transposed)."""
    if value is None:
        return None
    r = rng.random()
    if r < damage / 2:
        flags.add("code_wrong_check")
        return codes.wrong_check(value)
    if r < damage:
        flags.add("code_transposed")
        return codes.transpose(rng, value)
    if r < damage + 0.18:
        text, kind = codes.cosmetic(rng, value)
        flags.add("code_" + kind)
        return text
    return value


def uscc_cell(rng: random.Random, e: Entity, flags: set[str], year: int = 2025) -> str | None:
    """What a department puts under 统一社会信用代码."""
    r = rng.random()
    if e.uscc is None or year < 2016:
        if e.reg_no and r < 0.15:
            flags.add("reg_no_in_uscc_column")
            return e.reg_no
        return None
    if r < 0.01:
        flags.add("placeholder")
        return "000000000000000000"
    return code(rng, e.uscc, flags)


def id_cell(rng: random.Random, value: str, flags: set[str], mistype: float = 0.0) -> str:
    if rng.random() < mistype:
        flags.add("id_mistyped")
        return codes.mistype_digit(rng, value) if rng.random() < 0.6 else codes.transpose(rng, value)
    if rng.random() < 0.05:
        flags.add("id_lower_x") if value.endswith("X") else None
        return value.lower()
    return value
