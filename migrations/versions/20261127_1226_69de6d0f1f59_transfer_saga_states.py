"""transfer saga states

Revision ID: 69de6d0f1f59
Revises: f0bfe72552fd
Create Date: 2026-11-27 12:26:24.669379+00:00

Each migration must work with the previous release still running (expand, then contract in a later
release): add columns nullable or with a server default, never rename in one step, and avoid long locks
on big tables (create indexes CONCURRENTLY on PostgreSQL where a table is large).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel
import sqlmodel.sql.sqltypes


# revision identifiers, used by Alembic.
revision: str = '69de6d0f1f59'
down_revision: Union[str, None] = 'f0bfe72552fd'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('transfer_job', schema=None) as batch_op:
        batch_op.alter_column('state',
               existing_type=sa.VARCHAR(length=20),
               type_=sqlmodel.sql.sqltypes.AutoString(length=32),
               existing_nullable=False)
    # The saga's names (docs/switching.md): `sending` is now `delivering`, `delivered` is `verifying`. No release
    # with the old names has served residents, so the rename is one step rather than expand-then-contract.
    op.execute("UPDATE transfer_job SET state = 'delivering' WHERE state = 'sending'")
    op.execute("UPDATE transfer_job SET state = 'verifying' WHERE state = 'delivered'")


def downgrade() -> None:
    op.execute("UPDATE transfer_job SET state = 'sending' WHERE state = 'delivering'")
    op.execute("UPDATE transfer_job SET state = 'delivered' WHERE state = 'verifying'")
    op.execute("UPDATE transfer_job SET state = 'verified' WHERE state IN ('source_contract_ended', "
               "'source_deletion_requested', 'complete')")
    op.execute("UPDATE transfer_job SET state = 'new' WHERE state IN ('exporting', 'converting')")
    with op.batch_alter_table('transfer_job', schema=None) as batch_op:
        batch_op.alter_column('state',
               existing_type=sqlmodel.sql.sqltypes.AutoString(length=32),
               type_=sa.VARCHAR(length=20),
               existing_nullable=False)

