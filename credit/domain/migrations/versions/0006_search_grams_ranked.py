"""search_grams carry what the ranking reads of their entry (norm, core, former, a former name)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 19:00:00

A name search reads the candidates of one bigram; each used to be looked up in ``search_entries``
(one B-tree descent per candidate). The bigram rows now hold the entry's normalised name, core,
former flag and, for a former name only, the name, so the candidates are one range read of the
primary key (SQLite: a WITHOUT ROWID table, rows stored in key order). The table is rebuilt from
``search_entries`` on upgrade (a bigram row whose entry is gone is not carried over).
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _rename_pkey(table: str, old: str, new: str) -> None:
    """PostgreSQL keeps a renamed table's primary key name; give it the one a new table would have."""
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f'ALTER TABLE {table} RENAME CONSTRAINT {old} TO {new}')


def upgrade() -> None:
    op.rename_table('search_grams', 'search_grams_0005')
    _rename_pkey('search_grams_0005', 'search_grams_pkey', 'search_grams_0005_pkey')
    op.create_table('search_grams',
    sa.Column('gram', sa.BigInteger(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('norm', sa.String(length=300), nullable=False),
    sa.Column('core', sa.String(length=300), nullable=False),
    sa.Column('former', sa.Boolean(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=True),
    sa.PrimaryKeyConstraint('gram', 'entry_id'),
    sqlite_with_rowid=False
    )
    op.execute(
        'INSERT INTO search_grams (gram, entry_id, enterprise_id, norm, core, former, name) '
        'SELECT g.gram, g.entry_id, g.enterprise_id, e.norm, e.core, e.former, CASE WHEN e.former THEN e.name END '
        'FROM search_grams_0005 g JOIN search_entries e ON e.id = g.entry_id ORDER BY g.gram, g.entry_id')
    op.drop_table('search_grams_0005')


def downgrade() -> None:
    op.rename_table('search_grams', 'search_grams_0006')
    _rename_pkey('search_grams_0006', 'search_grams_pkey', 'search_grams_0006_pkey')
    op.create_table('search_grams',
    sa.Column('gram', sa.BigInteger(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('gram', 'entry_id')
    )
    op.execute('INSERT INTO search_grams (gram, entry_id, enterprise_id) '
               'SELECT gram, entry_id, enterprise_id FROM search_grams_0006')
    op.drop_table('search_grams_0006')
