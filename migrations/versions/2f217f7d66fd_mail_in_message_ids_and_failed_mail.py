"""mail in: message ids and failed mail

Revision ID: 2f217f7d66fd
Revises: 5b185335a312
Create Date: 2026-12-05 03:49:24.941247

Tickets by e-mail: mail_messages maps every Message-ID we took in or sent to its ticket (and
reply), so replies thread and the same mail twice changes nothing (unique message_id);
failed_mails keeps the raw bytes of a message that could not become a ticket, for an admin to
retry (unique digest: a re-delivery updates the same row). Read and checked by hand.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '2f217f7d66fd'
down_revision = '88961aa4e3d9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('failed_mails',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('raw', sa.LargeBinary(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.String(length=255), nullable=False),
    sa.Column('sender', sa.String(length=254), nullable=True),
    sa.Column('subject', sa.String(length=200), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_tried_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_failed_mails')),
    sa.UniqueConstraint('digest', name=op.f('uq_failed_mails_digest'))
    )
    op.create_table('mail_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(length=255), nullable=False),
    sa.Column('direction', sa.String(length=3), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('response_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['ticket_responses.id'], name=op.f('fk_mail_messages_response_id_ticket_responses'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_mail_messages_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_messages')),
    sa.UniqueConstraint('message_id', name=op.f('uq_mail_messages_message_id'))
    )
    with op.batch_alter_table('mail_messages', schema=None) as batch_op:
        batch_op.create_index('ix_mail_messages_ticket', ['ticket_id', 'id'], unique=False)



def downgrade():
    with op.batch_alter_table('mail_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_mail_messages_ticket')

    op.drop_table('mail_messages')
    op.drop_table('failed_mails')
