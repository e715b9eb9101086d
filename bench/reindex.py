"""Search index benchmark: re-index enterprises of an existing database and roll back.

    python -m bench.reindex --db sqlite:////tmp/lz-contract-100000/credit.db [--enterprises N]

Times ``search_index.reindex`` (names, codes, bigrams and the search cards of every enterprise
asked for: what each refresh after a resolve or upload does) over the first N linked enterprises,
prints wall and CPU seconds and a digest of the index rows written, then rolls back (the database
is left as it was). Run it on two versions of the code against the same database: equal digests
mean the same index. The database's key directory must be in ``CREDIT_KEY_DIR`` (or
``CREDIT_KEY_FILE``) as for any command.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import time

from sqlalchemy import select

from credit.domain import search_index
from credit.domain.web_models import SearchCard, SearchCode, SearchEntry, SearchGram
from credit.kernel.db import make_engine, make_session_factory
from matching.models import RecordLink


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--db", required=True, help="database URL")
    p.add_argument("--enterprises", type=int, default=0, help="how many (0: every linked enterprise)")
    args = p.parse_args()
    engine = make_engine(args.db)
    with make_session_factory(engine)() as s:
        ids = sorted(set(s.scalars(select(RecordLink.enterprise_id))))
        if args.enterprises:
            ids = ids[:args.enterprises]
        load = os.getloadavg()[0]
        t, c = time.perf_counter(), time.process_time()
        search_index.reindex(s, ids)
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        digest = hashlib.sha256()
        for cols, order in (((SearchCard.enterprise_id, SearchCard.valid_until, SearchCard.card), (SearchCard.enterprise_id,)),
                            ((SearchEntry.enterprise_id, SearchEntry.name, SearchEntry.norm, SearchEntry.core,
                              SearchEntry.former), (SearchEntry.enterprise_id, SearchEntry.name)),
                            ((SearchGram.gram, SearchGram.enterprise_id), (SearchGram.enterprise_id, SearchGram.gram)),
                            ((SearchCode.code, SearchCode.enterprise_id), (SearchCode.enterprise_id, SearchCode.code))):
            rows = s.execute(select(*cols).where(cols[0].table.c.enterprise_id.in_(ids)).order_by(*order)).all()
            digest.update(repr(rows).encode())
        s.rollback()
    print(f"{len(ids):,} enterprises re-indexed: wall {wall:.1f} s, CPU {cpu:.1f} s "
          f"(load {load:.1f} → {os.getloadavg()[0]:.1f}); index digest {digest.hexdigest()[:16]}")


if __name__ == "__main__":
    main()
