"""documents and exports: the schemes' PDFs with their shared unread mark, the participant file's export history

Revision ID: 0004d
Revises: 0003
Create Date: 2026-11-27 14:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0004d'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('employer_id', sa.Integer(), nullable=False),
    sa.Column('scheme_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.Enum('financial', 'legal', name='documentcategory', native_enum=False, length=20), nullable=False),
    sa.Column('kind', sa.Enum('invoice', 'booking_overview', 'reminder', 'regulations', 'agreement', 'addendum', name='documentkind', native_enum=False, length=30), nullable=False),
    sa.Column('title_nl', sa.String(length=200), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=False),
    sa.Column('document_date', sa.Date(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=True),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['employer_id'], ['employer.id'], name=op.f('fk_document_employer_id_employer')),
    sa.ForeignKeyConstraint(['opened_by_id'], ['user_account.id'], name=op.f('fk_document_opened_by_id_user_account')),
    sa.ForeignKeyConstraint(['scheme_id'], ['scheme.id'], name=op.f('fk_document_scheme_id_scheme')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document'))
    )
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_employer_id'), ['employer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_scheme_id'), ['scheme_id'], unique=False)

    op.create_table('participant_export',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('employer_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('scheme_number', sa.Integer(), nullable=True),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('row_count', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['employer_id'], ['employer.id'], name=op.f('fk_participant_export_employer_id_employer')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user_account.id'], name=op.f('fk_participant_export_requested_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participant_export'))
    )
    with op.batch_alter_table('participant_export', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participant_export_employer_id'), ['employer_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('participant_export', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participant_export_employer_id'))
    op.drop_table('participant_export')
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_scheme_id'))
        batch_op.drop_index(batch_op.f('ix_document_employer_id'))
    op.drop_table('document')
