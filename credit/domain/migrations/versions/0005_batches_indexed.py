"""batches.indexed, source_floor: whether the search index has read a batch (commit order, not id order)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 09:00:00

A batch already covered by the index's old watermark (every record version of it at or below
``search_state.source_id``) counts as read; any other is read by the next refresh. A batch's
``source_floor`` (below its first record version's id) is unknown for batches made before.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # in place (no table copy; SQLite adds and drops columns itself): source_records refers to batches
    op.add_column('batches', sa.Column('indexed', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('batches', sa.Column('source_floor', sa.Integer(), nullable=True))
    op.execute(
        "UPDATE batches SET indexed = TRUE WHERE NOT EXISTS (SELECT 1 FROM source_records s "
        "WHERE s.batch_id = batches.id AND s.id > COALESCE((SELECT source_id FROM search_state WHERE id = 1), 0))")
    op.create_index('ix_batches_unindexed', 'batches', ['id'], unique=False,
                    sqlite_where=sa.text('indexed = 0'), postgresql_where=sa.text('NOT indexed'))


def downgrade() -> None:
    op.drop_index('ix_batches_unindexed', table_name='batches',
                  sqlite_where=sa.text('indexed = 0'), postgresql_where=sa.text('NOT indexed'))
    op.drop_column('batches', 'source_floor')
    op.drop_column('batches', 'indexed')
