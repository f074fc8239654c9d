"""search indexes: name words (vocabulary and postings) for name-fragment search, (employer, BSN), (employer, name)

Issue 7: over 100,000 participants a `LIKE '%fragment%'` over every row took tens of milliseconds per search.
The fragment is now looked for in the employer's distinct name words, which lead to the participants.
Existing participants are indexed here; new ones by the ORM (`portal.participants.models.index_names`).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 18:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

CHUNK = 5000


def upgrade() -> None:
    op.create_table('name_word',
    sa.Column('employer_id', sa.Integer(), nullable=False),
    sa.Column('word', sa.String(length=100), nullable=False),
    sa.Column('participants', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['employer_id'], ['employer.id'], name=op.f('fk_name_word_employer_id_employer')),
    sa.PrimaryKeyConstraint('employer_id', 'word', name=op.f('pk_name_word'))
    )
    op.create_table('participant_word',
    sa.Column('employer_id', sa.Integer(), nullable=False),
    sa.Column('word', sa.String(length=100), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['employer_id'], ['employer.id'], name=op.f('fk_participant_word_employer_id_employer')),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_participant_word_participant_id_participant')),
    sa.PrimaryKeyConstraint('employer_id', 'word', 'participant_id', name=op.f('pk_participant_word'))
    )
    with op.batch_alter_table('participant_word', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participant_word_participant_id'), ['participant_id'], unique=False)
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.create_index('ix_participant_employer_bsn', ['employer_id', 'bsn'], unique=False)
        batch_op.create_index('ix_participant_employer_sort', ['employer_id', 'sort_name', 'number'], unique=False)
    _index_existing_participants()


def _index_existing_participants() -> None:
    from portal.participants.models import index_names

    connection = op.get_bind()
    rows = connection.execute(sa.text('SELECT employer_id, id, search_text FROM participant ORDER BY id')).all()
    for start in range(0, len(rows), CHUNK):
        index_names(connection, [tuple(row) for row in rows[start:start + CHUNK]])


def downgrade() -> None:
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.drop_index('ix_participant_employer_sort')
        batch_op.drop_index('ix_participant_employer_bsn')
    with op.batch_alter_table('participant_word', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participant_word_participant_id'))
    op.drop_table('participant_word')
    op.drop_table('name_word')
