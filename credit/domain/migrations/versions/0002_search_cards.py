"""search cards: each enterprise's search hit as the gate showed it, with the days it holds for

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 04:30:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('search_cards',
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('rules', sa.String(length=32), nullable=False),
    sa.Column('card', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('enterprise_id')
    )


def downgrade() -> None:
    op.drop_table('search_cards')
