"""SLA policies and the ticket's SLA clock

Revision ID: a7c3e5f1d2b4
Revises: 5b185335a312
Create Date: 2026-12-05

First-response and resolution targets per priority (optionally per category) in business
hours, seeded with defaults so a fresh install has SLAs; each ticket's due times, first
response, pause (waiting on the requester) and the warn/escalate marks of the periodic sweep.
Existing tickets get no due times (they were opened under no promise).

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e5f1d2b4'
down_revision = '5b185335a312'
branch_labels = None
depends_on = None

DEFAULTS = [
    ('urgent', 1.0, 8.0),
    ('high', 4.0, 24.0),
    ('medium', 8.0, 40.0),
    ('low', 16.0, 80.0),
]


def upgrade():
    policies = op.create_table('sla_policies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('priority', sa.String(length=20), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=True),
    sa.Column('first_response_hours', sa.Float(), nullable=True),
    sa.Column('resolution_hours', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_policies')),
    sa.UniqueConstraint('priority', 'category', name='uq_sla_policies_priority_category')
    )
    op.bulk_insert(policies, [
        {'priority': p, 'category': None, 'first_response_hours': fr, 'resolution_hours': res}
        for p, fr, res in DEFAULTS
    ])

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_response_due', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('resolution_due', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('first_response_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('sla_next_due', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('sla_paused_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('sla_paused_seconds', sa.Float(), server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('sla_warned_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('sla_escalated_at', sa.DateTime(), nullable=True))
        batch_op.create_index('ix_tickets_sla_next_due', ['sla_next_due', 'id'], unique=False)
        batch_op.create_index('ix_tickets_first_response_due', ['first_response_due'], unique=False)
        batch_op.create_index('ix_tickets_resolution_due', ['resolution_due'], unique=False)


def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_resolution_due')
        batch_op.drop_index('ix_tickets_first_response_due')
        batch_op.drop_index('ix_tickets_sla_next_due')
        batch_op.drop_column('sla_escalated_at')
        batch_op.drop_column('sla_warned_at')
        batch_op.drop_column('sla_paused_seconds')
        batch_op.drop_column('sla_paused_at')
        batch_op.drop_column('sla_next_due')
        batch_op.drop_column('first_response_at')
        batch_op.drop_column('resolution_due')
        batch_op.drop_column('first_response_due')

    op.drop_table('sla_policies')
