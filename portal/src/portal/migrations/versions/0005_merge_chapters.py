"""merge the chapters' branches: activation (0004a), collective uploads (0004c), documents and exports (0004d)

The three were written side by side on top of 0003 and touch different tables; this joins them into
one head again.

Revision ID: 0005
Revises: 0004a, 0004c, 0004d
Create Date: 2026-11-27 12:30:00
"""

revision = '0005'
down_revision = ('0004a', '0004c', '0004d')
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
