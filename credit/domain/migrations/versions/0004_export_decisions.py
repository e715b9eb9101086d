"""export decisions: the gate's date-independent decision per record version, with its CSV cells

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 14:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('export_decisions',
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('basis', sa.String(length=32), nullable=False),
    sa.Column('shown', sa.Boolean(), nullable=False),
    sa.Column('dated', sa.Date(), nullable=True),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('start', sa.Date(), nullable=True),
    sa.Column('last_day', sa.Date(), nullable=True),
    sa.Column('window_cells', sa.LargeBinary(), nullable=False),
    sa.Column('value_cells', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('source_id')
    )
    op.create_table('export_decision_marks',
    sa.Column('basis', sa.String(length=32), nullable=False),
    sa.Column('department', sa.String(length=32), nullable=False),
    sa.Column('record_type', sa.String(length=32), nullable=False),
    sa.Column('through', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('basis', 'department', 'record_type')
    )


def downgrade() -> None:
    op.drop_table('export_decision_marks')
    op.drop_table('export_decisions')
