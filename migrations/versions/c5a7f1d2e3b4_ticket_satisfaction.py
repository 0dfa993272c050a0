"""satisfaction (CSAT) ratings per resolution; an index for reports on resolved_at

Revision ID: c5a7f1d2e3b4
Revises: 5b185335a312
Create Date: 2026-12-05

A requester rates each resolution of a ticket 1-5 with an optional comment: one row per
(ticket, resolution), the agent who handled it kept for per-agent figures. Reports count
ratings by the day they were given and resolutions by the day they happened.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c5a7f1d2e3b4'
down_revision = 'a7c3e5f1d2b4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ticket_satisfaction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('resolution', sa.Integer(), nullable=False),
    sa.Column('rating', sa.SmallInteger(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['users.id'], name=op.f('fk_ticket_satisfaction_agent_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_satisfaction_ticket_id_tickets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_ticket_satisfaction_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_satisfaction')),
    sa.UniqueConstraint('ticket_id', 'resolution', name='uq_ticket_satisfaction_resolution')
    )
    with op.batch_alter_table('ticket_satisfaction', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_satisfaction_created', ['created_at'], unique=False)

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_resolved', ['resolved_at'], unique=False)


def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_resolved')

    with op.batch_alter_table('ticket_satisfaction', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_satisfaction_created')

    op.drop_table('ticket_satisfaction')
