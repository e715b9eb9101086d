"""The bigram index answers a name search's candidates by itself: each bigram row carries what the ranking
reads of its entry, written by the index refresh, and the candidates' statement reads no other table."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from credit.domain import search, search_index
from tests.web.test_crawler import generate

ROWS = ("SELECT g.enterprise_id, g.norm, g.core, g.former, g.name, e.enterprise_id, e.norm, e.core, e.former, e.name "
        "FROM search_grams g JOIN search_entries e ON e.id = g.entry_id")


def test_every_bigram_row_carries_its_entry(engine, tokens):
    """After a refresh (the small world and the crawler's data, former names among them): the norm,
    core and former flag of each row's entry, its name for a former name only; one row per bigram of
    the entry's core, and no row without an entry."""
    with Session(engine, expire_on_commit=False) as s:
        generate(s)
        search_index.refresh(s)
        s.commit()
        rows = s.execute(text(ROWS)).all()
        grams = s.execute(text("SELECT count(*) FROM search_grams")).scalar()
        entries = s.execute(text("SELECT id, core FROM search_entries")).all()
    assert len(rows) == grams == sum(len(search_index.bigrams(core)) for _, core in entries) > 0
    assert any(r[8] for r in rows), "the data holds former names"
    for eid, norm, core, former, name, e_eid, e_norm, e_core, e_former, e_name in rows:
        assert (eid, norm, core, bool(former)) == (e_eid, e_norm, e_core, bool(e_former))
        assert name == (e_name if e_former else None)


def test_the_candidates_are_one_range_read_of_the_bigram_key(sqlite_engine):
    """SQLite's plan for the candidates: the primary key of search_grams, no lookup into search_entries."""
    compiled = search.ENTRIES.compile(dialect=sqlite_engine.dialect)
    params = tuple({**compiled.params, "gram": 1}[name] for name in compiled.positiontup or ())
    with sqlite_engine.connect() as conn:
        plan = [row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", params)]
    assert plan == ["SEARCH search_grams USING PRIMARY KEY (gram=?)"], plan
