"""collective uploads: pending rows, progress, problems, result, idempotency; status 'received'

Revision ID: 0004c
Revises: 0003
Create Date: 2026-11-28 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0004c'
down_revision = '0003'
branch_labels = None
depends_on = None

OLD_STATUS = sa.Enum('processing', 'processed', 'failed', name='collectivestatus', native_enum=False, length=20)
NEW_STATUS = sa.Enum('received', 'processing', 'processed', 'failed', name='collectivestatus', native_enum=False, length=20)


def upgrade() -> None:
    with op.batch_alter_table('collective_change', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=OLD_STATUS, type_=NEW_STATUS, existing_nullable=False)
        batch_op.add_column(sa.Column('rows', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('progress', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('problems', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('result', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('started_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('finished_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('idempotency_key', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('request_fingerprint', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f('uq_collective_change_employer_id_idempotency_key'), ['employer_id', 'idempotency_key']
        )


def downgrade() -> None:
    with op.batch_alter_table('collective_change', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_collective_change_employer_id_idempotency_key'), type_='unique')
        batch_op.drop_column('request_fingerprint')
        batch_op.drop_column('idempotency_key')
        batch_op.drop_column('finished_at')
        batch_op.drop_column('started_at')
        batch_op.drop_column('result')
        batch_op.drop_column('problems')
        batch_op.drop_column('progress')
        batch_op.drop_column('rows')
        batch_op.alter_column('status', existing_type=NEW_STATUS, type_=OLD_STATUS, existing_nullable=False)
