"""collective claims: the worker processing a change and its heartbeat (a lease instead of a requeue at start)

Issue 8: every portal worker put every `processing` change back to `received` at its start, so a worker
restarting while another was processing let the change be applied twice. A change is now claimed by one worker
with a conditional UPDATE, and taken over only when its claim's heartbeat is older than the lease.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A change left `processing` by an older portal has no heartbeat: it counts as a stale claim and is taken over.
    with op.batch_alter_table('collective_change', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('collective_change', schema=None) as batch_op:
        batch_op.drop_column('heartbeat_at')
        batch_op.drop_column('claimed_by')
