"""raw rows of table files as lists of cells: each batch's header stored once (batches.raw_headers)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 14:00:00

Rows stored before keep their raw row as an object; readers take both forms
(credit/kernel/rawrow.py), so no row is rewritten.
"""
from typing import Sequence, Union

import orjson
import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column('batches', sa.Column('raw_headers', sa.Text(), nullable=True))


def downgrade() -> None:
    # the list rows need their batch's header: turn them back into objects before dropping it
    bind = op.get_bind()

    batches = bind.execute(sa.text("SELECT id, raw_headers FROM batches WHERE raw_headers IS NOT NULL")).all()
    for batch_id, raw_headers in batches:
        headers = orjson.loads(raw_headers)
        rows = bind.execute(sa.text("SELECT id, raw FROM source_records WHERE batch_id = :b"), {"b": batch_id}).all()
        for row_id, raw in rows:
            value = orjson.loads(raw)
            if isinstance(value, list):
                obj = dict(zip(headers, value))
                bind.execute(sa.text("UPDATE source_records SET raw = :raw WHERE id = :id"),
                             {"raw": orjson.dumps(obj).decode(), "id": row_id})
    op.drop_column('batches', 'raw_headers')  # SQLite 3.35+ drops a column in place
