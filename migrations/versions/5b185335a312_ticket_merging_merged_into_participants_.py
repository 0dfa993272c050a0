"""ticket merging: merged_into, participants, reply origin

Revision ID: 5b185335a312
Revises: dca3c4306322
Create Date: 2026-12-04

Staff merge duplicate tickets: the merged ticket points at the one it went into, the replies
it brought remember where they came from, and its requester follows the target as a
participant. The created_at index serves surge grouping (tickets of the last hour) and the
queue's "newest first" sort.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b185335a312'
down_revision = 'dca3c4306322'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ticket_participants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('via_ticket_id', sa.Integer(), nullable=True),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_ticket_participants_added_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_participants_ticket_id_tickets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_ticket_participants_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['via_ticket_id'], ['tickets.id'], name=op.f('fk_ticket_participants_via_ticket_id_tickets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_participants')),
    sa.UniqueConstraint('ticket_id', 'user_id', name='uq_ticket_participants_ticket_user')
    )
    with op.batch_alter_table('ticket_participants', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_participants_user', ['user_id'], unique=False)

    with op.batch_alter_table('ticket_responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('merged_from_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_ticket_responses_merged_from_id_tickets'), 'tickets', ['merged_from_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_tickets_created', ['created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_merged_into_id'), ['merged_into_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_tickets_merged_into_id_tickets'), 'tickets', ['merged_into_id'], ['id'], ondelete='SET NULL')



def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_tickets_merged_into_id_tickets'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_tickets_merged_into_id'))
        batch_op.drop_index('ix_tickets_created')
        batch_op.drop_column('merged_into_id')

    with op.batch_alter_table('ticket_responses', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_ticket_responses_merged_from_id_tickets'), type_='foreignkey')
        batch_op.drop_column('merged_from_id')

    with op.batch_alter_table('ticket_participants', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_participants_user')

    op.drop_table('ticket_participants')
