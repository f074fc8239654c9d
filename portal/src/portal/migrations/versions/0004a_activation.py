"""activation: accounts created by User Management, verification codes, the mail outbox, revoked tokens

Revision ID: 0004a
Revises: 0003
Create Date: 2026-11-28 09:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0004a'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('pending_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('employer_id', sa.Integer(), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=False),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('activated_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_pending_account_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['employer_id'], ['employer.id'], name=op.f('fk_pending_account_employer_id_employer')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_pending_account_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_account')),
    sa.UniqueConstraint('user_id', name=op.f('uq_pending_account_user_id'))
    )
    with op.batch_alter_table('pending_account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_account_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_pending_account_employer_id'), ['employer_id'], unique=False)

    op.create_table('verification_code',
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('pending_account_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('verified_at', sa.DateTime(), nullable=True),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['pending_account_id'], ['pending_account.id'], name=op.f('fk_verification_code_pending_account_id_pending_account'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_verification_code_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('request_hash', name=op.f('pk_verification_code'))
    )
    with op.batch_alter_table('verification_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_verification_code_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_verification_code_pending_account_id'), ['pending_account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_verification_code_user_id'), ['user_id'], unique=False)

    op.create_table('outbox_mail',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('recipient', sa.String(length=200), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_mail'))
    )
    with op.batch_alter_table('outbox_mail', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_mail_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_mail_recipient'), ['recipient'], unique=False)

    op.create_table('revoked_token',
    sa.Column('jti', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('jti', name=op.f('pk_revoked_token'))
    )
    with op.batch_alter_table('revoked_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_revoked_token_expires_at'), ['expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('revoked_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_revoked_token_expires_at'))
    op.drop_table('revoked_token')
    with op.batch_alter_table('outbox_mail', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_mail_recipient'))
        batch_op.drop_index(batch_op.f('ix_outbox_mail_created_at'))
    op.drop_table('outbox_mail')
    with op.batch_alter_table('verification_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_verification_code_user_id'))
        batch_op.drop_index(batch_op.f('ix_verification_code_pending_account_id'))
        batch_op.drop_index(batch_op.f('ix_verification_code_created_at'))
    op.drop_table('verification_code')
    with op.batch_alter_table('pending_account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_account_employer_id'))
        batch_op.drop_index(batch_op.f('ix_pending_account_email'))
    op.drop_table('pending_account')
