"""A whole data set: every record type in every requested form, with truth.csv, entities.csv,
bad_rows.csv and manifest.json (``generate``).
"""

from __future__ import annotations

import csv
import itertools
import json
import logging
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from credit.demodata.mess import MessConfig
from credit.demodata.rows import Row, TypeStream, plan_counts
from credit.demodata.vocab import ENCODINGS, FORMS
from credit.demodata.world import World, WorldConfig, make_world
from credit.demodata.writers import WRITERS, FileSpec, _quarter_title, file_name, first_data_row
from credit.kernel.catalog import RecordType, load_catalog

log = logging.getLogger("credit.demodata.datagen")  # one logger for the whole generator


@dataclass
class FileEntry:
    """One written file."""

    path: str
    department: str
    type: str
    form: str
    encoding: str
    rows: int
    keys: str = "zh"
    title_rows: int = 0


@dataclass
class BadRow:
    """One deliberately unreadable row, which ingest must report."""

    file: str
    row_number: int  # CSV line / XLSX sheet row / NDJSON line / record ordinal in JSON, XML
    record_index: int  # 1-based ordinal of the row among the file's records
    column: str
    reason: str  # missing_required | bad_date | unknown_enum
    record_id: str


@dataclass
class Manifest:
    """What generate() wrote."""

    out_dir: str
    seed: int
    enterprises: int
    files: list[FileEntry]
    truth: str
    entities: str
    bad_rows_path: str
    bad_rows: list[BadRow]
    records: int
    kinds: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        """Plain data for manifest.json."""
        return asdict(self)

    def save(self, path: Path | None = None) -> Path:
        """Write manifest.json next to the files."""
        path = path or Path(self.out_dir) / "manifest.json"
        path.write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=1), encoding="utf-8")
        return path


class _FilePlanner:
    """Chooses form, encoding, key style and title rows for each file, cycling for coverage."""

    def __init__(self, forms: Sequence[str], encodings: Sequence[str], seed: int) -> None:
        self.forms, self.encodings = list(forms), list(encodings)
        self.rng = random.Random(f"files:{seed}")
        self.n_csv = self.n_json = self.n_xlsx = 0

    def spec(self, form: str, rt: RecordType) -> FileSpec:
        """The spec of the next file in this form."""
        spec = FileSpec(form)
        if form == "csv":
            spec.encoding = self.encodings[self.n_csv % len(self.encodings)]
            self.n_csv += 1
        elif form in ("json", "ndjson"):
            spec.keys = ("zh", "en")[self.n_json % 2]
            self.n_json += 1
        elif form == "xlsx":
            spec.title_rows = (1, 2, 0)[self.n_xlsx % 3]
            spec.trailing_blank = self.rng.choice((0, 2, 3))
            spec.codes_as_numbers = self.n_xlsx % 2 == 0
            spec.title = _quarter_title(rt, self.rng)
            self.n_xlsx += 1
        return spec


def _chunks(stream: Iterator[Row], size: int, n: int) -> Iterator[Iterator[Row]]:
    """Split a row stream into n consecutive chunks of `size` (the last takes the rest)."""
    for i in range(n):
        yield itertools.islice(stream, size) if i < n - 1 else stream


class _Recorder:
    """Collects truth and bad rows while a chunk of rows is written."""

    def __init__(self, truth_writer: Any, stream: TypeStream) -> None:
        self.truth_writer, self.stream = truth_writer, stream
        self.bad: list[BadRow] = []
        self.records = 0

    def watch(self, rows: Iterator[Row], fname: str, spec: FileSpec) -> Iterator[dict[str, Any]]:
        """Pass rows' values to a writer, noting truth lines and bad rows on the way."""
        base = first_data_row(spec)
        for i, row in enumerate(rows):
            if row.bad:
                self.bad.append(BadRow(fname, base + i, i + 1, row.bad[0], row.bad[1],
                                       row.values.get("record_id") or ""))
            elif row.truth:
                line = self.stream.truth[row.values["record_id"]]
                line.file = fname
                self.records += 1
            yield row.values

    def flush(self) -> None:
        """Write this type's truth lines (tags complete only after the stream ends)."""
        for line in self.stream.truth.values():
            self.truth_writer.writerow([line.department, line.type, line.record_id, line.entity_id,
                                        line.kind, line.versions, line.revoked, line.mess, line.file])
        self.stream.truth.clear()


TRUTH_HEADER = ("department", "type", "record_id", "entity_id", "kind", "versions", "revoked", "mess", "file")
ENTITY_HEADER = ("entity_id", "kind", "name", "former_names", "uscc", "org_code", "reg_no",
                 "taxpayer_id", "loan_card_no", "division", "city", "legal_rep", "address", "related")


def write_entities(world: World, path: Path) -> None:
    """entities.csv: the true enterprises with their true codes and names."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(ENTITY_HEADER)
        for e in world.enterprises:
            w.writerow([e.eid, e.kind, e.name, "；".join(e.former_names), e.uscc, e.org_code, e.reg_no,
                        e.taxpayer_id, e.loan_card_no, e.division, e.city, e.legal_rep, e.address,
                        e.related])


def write_bad_rows(bad: list[BadRow], path: Path) -> None:
    """bad_rows.csv: file,row_number,record_index,column,reason,record_id."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(("file", "row_number", "record_index", "column", "reason", "record_id"))
        for b in bad:
            w.writerow((b.file, b.row_number, b.record_index, b.column, b.reason, b.record_id))


def generate(out_dir: str | Path, *, enterprises: int = 1000, seed: int = 1,
             forms: Sequence[str] = FORMS, encodings: Sequence[str] = ENCODINGS,
             mess: float | MessConfig = 0.3, bad_rows: float = 0.0,
             records_per_enterprise: float = 3.0, world_config: WorldConfig | None = None,
             types: Sequence[tuple[str, str]] | None = None) -> Manifest:
    """Generate a world, its records in every requested form, and the truth; write manifest.json."""
    for form in forms:
        if form not in WRITERS:
            raise ValueError(f"unknown form {form}; known: {', '.join(FORMS)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    mess_cfg = mess if isinstance(mess, MessConfig) else MessConfig.from_level(mess)
    world = make_world(enterprises, seed, world_config)
    counts = plan_counts(world, seed, records_per_enterprise)
    catalog = load_catalog()
    planner = _FilePlanner(forms, encodings, seed)
    files: list[FileEntry] = []
    bad: list[BadRow] = []
    records = 0
    form_cycle = 0
    truth_path = out / "truth.csv"
    with open(truth_path, "w", encoding="utf-8", newline="") as tfh:
        tw = csv.writer(tfh)
        tw.writerow(TRUTH_HEADER)
        for rt in catalog:
            if types is not None and rt.key not in types:
                continue
            stream = TypeStream(world, rt, counts[rt.key], seed, mess_cfg, bad_rows)
            rec = _Recorder(tw, stream)
            n_files = max(1, min(len(forms), stream.expected()))
            size = math.ceil(stream.expected() / n_files)
            for i, chunk in enumerate(_chunks(stream.rows(), size, n_files)):
                form = forms[(form_cycle + i) % len(forms)]
                spec = planner.spec(form, rt)
                fname = file_name(rt.department, rt.name, i + 1, form)
                n = WRITERS[form](out / fname, rt, rec.watch(chunk, fname, spec), spec)
                files.append(FileEntry(fname, rt.department, rt.name, form,
                                       spec.encoding if form == "csv" else "utf-8", n, spec.keys,
                                       spec.title_rows))
            form_cycle += 1
            rec.flush()
            bad.extend(rec.bad)
            records += rec.records
    write_entities(world, out / "entities.csv")
    write_bad_rows(bad, out / "bad_rows.csv")
    kinds: dict[str, int] = {}
    for e in world.enterprises:
        for k in e.kinds or {"normal"}:
            kinds[k] = kinds.get(k, 0) + 1
    manifest = Manifest(str(out), seed, len(world), files, str(truth_path), str(out / "entities.csv"),
                        str(out / "bad_rows.csv"), bad, records, kinds)
    manifest.save()
    log.info("generated %d records in %d files under %s", records, len(files), out)
    return manifest


def read_truth(path: str | Path) -> list[dict[str, str]]:
    """truth.csv as a list of dicts."""
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))
