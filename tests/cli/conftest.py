"""Fixtures of tests/cli (defined in fixtures.py, importable by other tests)."""

from tests.cli.fixtures import cli, database, db  # noqa: F401
