"""channels: web TOTP enrolment, service-desk take-over, Teams account links

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 11:40:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_enrolled_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('handoff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assigned_to_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('taken_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('returned_at', sa.DateTime(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_handoff_assigned_to_id_user_account'), 'user_account', ['assigned_to_id'], ['id'])
    op.create_table('teams_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('aad_object_id', sa.String(length=64), nullable=False),
    sa.Column('conversation_id', sa.String(length=64), nullable=True),
    sa.Column('conversation_reference', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_teams_link_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_teams_link')),
    sa.UniqueConstraint('tenant_id', 'aad_object_id', name='uq_teams_link_identity')
    )
    with op.batch_alter_table('teams_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_teams_link_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('teams_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_teams_link_user_id'))
    op.drop_table('teams_link')
    with op.batch_alter_table('handoff', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_handoff_assigned_to_id_user_account'), type_='foreignkey')
        batch_op.drop_column('returned_at')
        batch_op.drop_column('taken_at')
        batch_op.drop_column('assigned_to_id')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('totp_enrolled_at')
