"""accounts: session stamp (ends other sessions), invited_at (admin invitations)

Revision ID: a7d3c1e9f420
Revises: 5b185335a312
Create Date: 2026-12-05

A password reset or change rotates users.session_stamp, which is part of every session id and
"remember me" cookie, so the account's other sessions end. users.invited_at marks an account
an admin invited by a set-password link that has not set a password yet.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7d3c1e9f420'
down_revision = '2f217f7d66fd'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_stamp', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('invited_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('invited_at')
        batch_op.drop_column('session_stamp')
