"""Individual businesses (个体工商户) as the departments really write them.

By the naming rules an individual business is named county-level division + trade name + industry
+ form (``长沙市岳麓区刘记副食店``), unique within its registration authority for its industry;
one registered without a trade name is known by its operator's name (``长沙市岳麓区张伟副食店``, or
just ``张伟``). Departments write the name with its division, with the district only, or without
any division. Tax files carry the business under its 20-character taxpayer id (the operator's
18-digit ID number + two digits) more often than under its USCC. The operator's ID number was
issued where the person's household was registered, often not where the shop is. One person may
run two businesses (trailing digits 01, 02); two operators in one district may share a name.

Hard-case tags: ``individual`` on every one, ``operator_name`` (named by its operator),
``same_operator`` (a second business of one person), ``namesake_operator`` (an operator with the
name of another operator in the same district).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from credit.demodata.datagen import Enterprise, NameParts

GENERIC_TRADES = "刘王李张陈"  # 刘记, 王记 ...: the same trade name in every town
SHOPS = ("米粉店", "粉面馆", "副食店", "五金店", "烧烤店", "理发店", "便利店", "水果店", "小吃店", "维修部",
         "服装店", "茶馆")
STYLES = (("trade", 0.6), ("operator", 0.25), ("bare", 0.15))
SECOND_BUSINESS = 0.12  # an operator who runs a second business
NAMESAKE = 0.1  # an operator named like another operator of the same district
ID_ELSEWHERE = 0.5  # the operator's ID number issued in another division
TAX_UNDER_ID = 0.55  # a tax record of a business with a USCC carries the 20-character id instead
NAME_STYLE = {  # how a department writes the name: with division, district only, without division
    "tax": ((0, 0.75), (1, 0.1), (2, 0.15)),
    "other": ((0, 0.45), (1, 0.15), (2, 0.4)),
}


@dataclass(frozen=True)
class Operator:
    """The person running an individual business."""

    name: str
    id_number: str


class IndividualMaker:
    """Makes individual businesses for a world builder (its random stream, codes and helpers)."""

    def __init__(self, rng: random.Random, org_code: Callable[[bool], str]) -> None:
        self.rng = rng
        self.org_code = org_code
        self.names: set[tuple[str, str]] = set()  # (division, registered core): unique per authority
        self.operators: list[tuple[str, Operator]] = []  # (division, operator) of every business so far

    def make(self) -> list[Enterprise]:
        """One individual business, sometimes with its operator's second business."""
        rng, g = self.rng, _g()
        divisions = [d[0] for d in g.DIVISIONS if d[2]]
        namesake = None
        if self.operators and rng.random() < NAMESAKE:
            division, namesake = self.operators[rng.randrange(len(self.operators))]
        else:
            division = rng.choice(divisions)
        name = namesake.name if namesake else g._person_name(rng)
        home = division if rng.random() >= ID_ELSEWHERE else rng.choice(g.DIVISIONS)[0]
        op = Operator(name, g._id_number(rng, home))
        first = self._business(op, division, "01")
        if namesake:
            first.kinds.add("namesake_operator")
            first.related = f"@{namesake.id_number}"  # resolved to an entity id by the world
        out = [first]
        if rng.random() < SECOND_BUSINESS:
            other = division if rng.random() < 0.6 else rng.choice(divisions)
            second = self._business(op, other, "02", avoid=first.parts.industry, second=True)
            second.kinds.add("same_operator")
            second.related = f"@{op.id_number}"
            out.append(second)
        return out


    def _business(self, op: Operator, division: str, suffix: str, avoid: str = "", second: bool = False
                  ) -> Enterprise:
        rng, g = self.rng, _g()
        _, city, district = g._division(division)
        style = g._weighted(rng, STYLES[:2] if second else STYLES)  # two unnamed shops would be one name
        parts: NameParts
        for _attempt in range(50):
            shop = rng.choice([s for s in SHOPS if s != avoid])
            if style == "bare":
                parts = g.NameParts("", op.name, "", "")
                break
            trade = op.name if style == "operator" else (
                rng.choice(GENERIC_TRADES) + "记" if rng.random() < 0.5 else g._trade(rng))
            if (division, trade + shop) not in self.names:
                self.names.add((division, trade + shop))
                parts = g.NameParts(city + district, trade, shop, "")
                break
        else:
            style = "bare"
            parts = g.NameParts("", op.name, "", "")
        org = self.org_code(True)
        has_uscc = rng.random() < 0.65
        uscc = g.make_uscc("9", "2", division, org) if has_uscc else ""
        e: Enterprise = g.Enterprise(
            eid="", division=division, uscc=uscc, org_code=org if has_uscc else "",
            reg_no="" if has_uscc else g.make_reg_no(rng, division),
            taxpayer_id=uscc if has_uscc else op.id_number + suffix,
            loan_card_no=f"{division[:4]}{rng.randrange(10**11, 10**12)}",
            parts=parts, former=[], rename_date=None, legal_rep=op.name,
            legal_rep_id=op.id_number, address=g._address(rng, division),
            established=g._rand_date(rng, dt.date(2010, 1, 1), dt.date(2025, 6, 30)),
            status=g._weighted(rng, g.REG_STATUSES), enterprise_type="个体工商户", kinds={"individual"},
        )
        e.taxpayer20 = op.id_number + suffix
        if style != "trade":
            e.kinds.add("operator_name")
        self.operators.append((division, op))
        return e


def record_parts(e: Enterprise, rng: random.Random, department: str, parts: NameParts) -> NameParts:
    """The name one department writes for an individual business: with its division, with the
    district only, or without division (a name that is only the operator's stays as it is)."""
    if not parts.prefix:
        return parts
    style = _pick(rng, NAME_STYLE["tax" if department == "tax" else "other"])
    if style == 0:
        return parts
    g = _g()
    _, city, district = g._division(e.division)
    prefix = parts.prefix[len(city):] if style == 1 and parts.prefix.startswith(city) and district else ""
    return g.NameParts(prefix, parts.trade, parts.industry, parts.form, parts.suffix, parts.city_short)


def record_taxpayer_id(e: Enterprise, rng: random.Random) -> str:
    """The taxpayer id a tax record carries: the 20-character one, or the USCC where there is one."""
    if not e.taxpayer20 or (e.uscc and rng.random() >= TAX_UNDER_ID):
        return e.taxpayer_id
    return e.taxpayer20


def _g():  # type: ignore[no-untyped-def]
    """The generator module (imported late: it imports this one)."""
    from credit.demodata import datagen

    return datagen


def _pick(rng: random.Random, items: tuple[tuple[int, float], ...]) -> int:
    return rng.choices([i[0] for i in items], [i[1] for i in items])[0]
