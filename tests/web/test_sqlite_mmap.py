"""The app's SQLite connections read through a memory map, the first one (the migration's, which the
pool hands to requests) included; ``CREDIT_SQLITE_MMAP=0`` turns it off."""

import pytest

from web import create_app
from web.db import engine


def _app(tmp_path, size):
    config = {"CREDIT_DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}", "TESTING": True, "SECRET_KEY": "k",
              "RATELIMIT_ENABLED": False, "RATELIMIT_STORAGE_URI": "memory://", "CREDIT_SQLITE_MMAP": size}
    return create_app(config)


@pytest.mark.parametrize("size", [1 << 30, 0])
def test_every_pooled_connection_of_the_app_has_the_map(tmp_path, size):
    app = _app(tmp_path, size)
    with app.app_context():
        connections = [engine().raw_connection() for _ in range(2)]  # the migration's, and a new one
        try:
            for connection in connections:
                cursor = connection.cursor()
                cursor.execute("PRAGMA mmap_size")
                assert cursor.fetchone()[0] == size
                cursor.close()
        finally:
            for connection in connections:
                connection.close()
        engine().dispose()
