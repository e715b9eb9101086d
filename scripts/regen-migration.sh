#!/usr/bin/env bash
# Development helper: rebuild the initial migration from the models while no database in the field
# depends on it yet. Once a release is deployed, add new revisions with `alembic revision --autogenerate`.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -f /tmp/lz-migration.db credit/domain/migrations/versions/0001_initial_schema.py
CREDIT_DATABASE_URL=sqlite:////tmp/lz-migration.db .venv/bin/python - <<'PY'
from alembic import command
from credit.kernel.db import database_url
from credit.domain.migrate import alembic_config
command.revision(alembic_config(database_url()), message="initial schema", autogenerate=True, rev_id="0001")
PY
rm -f /tmp/lz-migration.db
