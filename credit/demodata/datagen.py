"""Deterministic generator of messy department files, with ground truth.

One seed gives one world of enterprises (with the hard cases matching has to get right), the
records the five departments hold about them, and files in every form of
``shared/exchange-formats.md`` carrying the mess real files carry. Beside the files it writes the
truth: which enterprise every record is about (``truth.csv``), the enterprises themselves
(``entities.csv``), and every deliberately unreadable row (``bad_rows.csv``).

Used by the tests (small files), the demo, the ingest benchmark (``write_csv_rows`` /
``write_xlsx_rows``: one big file, streamed) and the matching benchmark (labelled records).

    python -m credit.demodata.datagen --out /tmp/gen --enterprises 1000 --forms csv,xlsx,json,ndjson,xml
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from credit.demodata.bulk import (
    POOL_SIZE,
    iter_bench_rows,
    write_csv_rows,
    write_xlsx_rows,
)
from credit.demodata.codes import _address as _address
from credit.demodata.codes import _division as _division
from credit.demodata.codes import _id_number as _id_number
from credit.demodata.codes import _person_name as _person_name
from credit.demodata.codes import _rand_date as _rand_date
from credit.demodata.codes import _trade as _trade
from credit.demodata.codes import _weighted as _weighted
from credit.demodata.codes import (
    make_org_code,
    make_reg_no,
    make_uscc,
)
from credit.demodata.dataset import (
    ENTITY_HEADER,
    TRUTH_HEADER,
    BadRow,
    FileEntry,
    Manifest,
    generate,
    read_truth,
    write_bad_rows,
    write_entities,
)
from credit.demodata.mess import (
    MessConfig,
    mess_amount,
    mess_code,
    mess_date,
    mess_name,
    mess_record,
)
from credit.demodata.records import (
    GENERATORS,
    RecordFn,
    records_for,
)
from credit.demodata.rows import (
    Row,
    TruthLine,
    TypeStream,
    plan_counts,
)
from credit.demodata.vocab import (
    ABNORMAL_REASONS,
    BAD_ENUM_VALUES,
    BANKS,
    CASE_CATEGORIES,
    CASE_NATURES,
    CASE_STATUSES,
    CODE_TYPES,
    DATE_MAX,
    DATE_MIN,
    DIVISIONS,
    EMPTY_MARKERS,
    ENCODINGS,
    ENTERPRISE_TYPES,
    EXCEL_EPOCH,
    FIRE_VIOLATIONS,
    FORM_EXT,
    FORM_VARIANTS,
    FORMS,
    GENERIC_SHOP_SURNAMES,
    GENERIC_SHOPS,
    GIVEN_CHARS,
    GRADES,
    HUNAN_SHARE,
    INDUSTRIES,
    LEGAL_FORMS,
    PENALTY_KINDS,
    PRODUCTS,
    PROVINCES,
    RECORD_PREFIX,
    REG_STATUSES,
    ROADS,
    SCOPES,
    SURNAMES,
    TAX_KINDS,
    TRADE_CHARS,
    TYPE_WEIGHTS,
    VIOLATIONS,
)
from credit.demodata.world import (
    Enterprise,
    NameParts,
    World,
    WorldConfig,
    make_world,
)
from credit.demodata.writers import (
    WRITERS,
    ExcelDate,
    FileSpec,
    file_name,
    first_data_row,
    parse_file_name,
    render_cell,
    render_json,
    render_text,
    write_csv,
    write_json,
    write_ndjson,
    write_xlsx,
    write_xml,
)

# The private helpers imported above as `_x as _x` are for credit.demodata.individuals, which reaches
# them through this module (``individuals._g()``); everything else this module ever defined is below.
__all__ = [
    "ABNORMAL_REASONS",
    "BAD_ENUM_VALUES",
    "BANKS",
    "BadRow",
    "CASE_CATEGORIES",
    "CASE_NATURES",
    "CASE_STATUSES",
    "CODE_TYPES",
    "DATE_MAX",
    "DATE_MIN",
    "DIVISIONS",
    "EMPTY_MARKERS",
    "ENCODINGS",
    "ENTERPRISE_TYPES",
    "ENTITY_HEADER",
    "EXCEL_EPOCH",
    "Enterprise",
    "ExcelDate",
    "FIRE_VIOLATIONS",
    "FORMS",
    "FORM_EXT",
    "FORM_VARIANTS",
    "FileEntry",
    "FileSpec",
    "GENERATORS",
    "GENERIC_SHOPS",
    "GENERIC_SHOP_SURNAMES",
    "GIVEN_CHARS",
    "GRADES",
    "HUNAN_SHARE",
    "INDUSTRIES",
    "LEGAL_FORMS",
    "Manifest",
    "MessConfig",
    "NameParts",
    "PENALTY_KINDS",
    "POOL_SIZE",
    "PRODUCTS",
    "PROVINCES",
    "RECORD_PREFIX",
    "REG_STATUSES",
    "ROADS",
    "RecordFn",
    "Row",
    "SCOPES",
    "SURNAMES",
    "TAX_KINDS",
    "TRADE_CHARS",
    "TRUTH_HEADER",
    "TYPE_WEIGHTS",
    "TruthLine",
    "TypeStream",
    "VIOLATIONS",
    "WRITERS",
    "World",
    "WorldConfig",
    "file_name",
    "first_data_row",
    "generate",
    "iter_bench_rows",
    "make_org_code",
    "make_reg_no",
    "make_uscc",
    "make_world",
    "mess_amount",
    "mess_code",
    "mess_date",
    "mess_name",
    "mess_record",
    "parse_file_name",
    "plan_counts",
    "read_truth",
    "records_for",
    "render_cell",
    "render_json",
    "render_text",
    "write_bad_rows",
    "write_csv",
    "write_csv_rows",
    "write_entities",
    "write_json",
    "write_ndjson",
    "write_xlsx",
    "write_xlsx_rows",
    "write_xml",
]

# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------


def _summary(m: Manifest) -> str:
    """A human summary of a manifest."""
    by_type: dict[str, int] = {}
    by_form: dict[str, int] = {}
    for f in m.files:
        by_type[f"{f.department}/{f.type}"] = by_type.get(f"{f.department}/{f.type}", 0) + f.rows
        by_form[f.form] = by_form.get(f.form, 0) + 1
    lines = [f"{m.enterprises} enterprises, {m.records} records, {len(m.files)} files in {m.out_dir}",
             "files by form: " + ", ".join(f"{k}={v}" for k, v in sorted(by_form.items())),
             "hard cases: " + ", ".join(f"{k}={v}" for k, v in sorted(m.kinds.items())),
             f"bad rows: {len(m.bad_rows)}", "rows by type:"]
    lines += [f"  {k}: {v}" for k, v in sorted(by_type.items())]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """python -m credit.demodata.datagen --out DIR --enterprises N [...]"""
    p = argparse.ArgumentParser(prog="python -m credit.demodata.datagen", description=__doc__.split("\n")[0])
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--enterprises", type=int, default=1000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--forms", default=",".join(FORMS), help="comma-separated: " + ",".join(FORMS))
    p.add_argument("--encodings", default=",".join(ENCODINGS), help="CSV encodings to cycle through")
    p.add_argument("--mess", type=float, default=0.3)
    p.add_argument("--bad-rows", type=float, default=0.0)
    p.add_argument("--records-per-enterprise", type=float, default=3.0)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    t0 = time.perf_counter()
    m = generate(args.out, enterprises=args.enterprises, seed=args.seed,
                 forms=[f.strip() for f in args.forms.split(",") if f.strip()],
                 encodings=[e.strip() for e in args.encodings.split(",") if e.strip()],
                 mess=args.mess, bad_rows=args.bad_rows,
                 records_per_enterprise=args.records_per_enterprise)
    print(_summary(m))
    print(f"manifest: {Path(args.out) / 'manifest.json'} ({time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
