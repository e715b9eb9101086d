"""What an incremental run loads: the enterprises a full run would pair the new records with,
not every business sharing a generic name; and the answer stays that of a full run."""

from __future__ import annotations

from sqlalchemy import Engine

from matching import regions
from matching.service import resolve
from tests.matching.conftest import add, rec, uscc
from tests.matching.test_service import links

CITIES = sorted(c for c in regions.CITIES if not regions.CITIES[c].endswith("市"))[:70]  # more than a block holds


def _shop(i: int, city: str) -> dict[str, object]:
    name = regions.CITIES[city]
    return rec(f"commerce/registration/{i}", name=f"{name}市城区刘记米粉店", uscc=uscc(i, city + "02", "92"),
               legal_rep=f"刘{'伟强军勇平'[i % 5]}{'明华国建'[i // 5 % 4]}", address=f"{name}市城区人民路{i}号")


def test_an_incremental_run_leaves_the_namesakes_of_other_cities_alone(engine: Engine) -> None:
    shops = [_shop(i, city) for i, city in enumerate(CITIES, 1)]
    changsha = next(s for s in shops if s["address"].startswith("长沙"))  # type: ignore[union-attr]
    add(engine, *shops)
    first = resolve(engine)
    assert len(first.new) == len(shops)
    add(engine, rec("tax/credit_rating/1", name=changsha["name"], address=changsha["address"]))
    inc = resolve(engine)
    assert inc.mode == "incremental" and inc.changed == 1
    assert inc.records < len(shops) // 2  # not all 70 刘记米粉店 of the province are re-resolved
    after = links(engine)
    key = "commerce/registration/" + str(changsha["record_id"])
    assert after["tax/credit_rating/1"] == after[key]
    full = resolve(engine, full=True)
    assert not full.merges and not full.splits and links(engine) == after
