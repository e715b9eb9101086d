from sqlalchemy import inspect


def test_schema_has_core_tables(engine):
    names = set(inspect(engine).get_table_names())
    assert {"batches", "source_records", "enterprises", "record_links"} <= names
