"""canned replies: named replies with placeholders and optional field changes

Revision ID: 88961aa4e3d9
Revises: 5b185335a312
Create Date: 2026-12-05

Shared by the whole team (staff and admins); titles are unique. The author is kept as
created_by (SET NULL when the account goes); usage_count counts sent replies that used one.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '88961aa4e3d9'
down_revision = 'c4a7e2d19b03'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('canned_replies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('set_status', sa.String(length=20), nullable=True),
    sa.Column('set_priority', sa.String(length=20), nullable=True),
    sa.Column('set_category', sa.String(length=50), nullable=True),
    sa.Column('assign_to_me', sa.Boolean(), nullable=False),
    sa.Column('usage_count', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_canned_replies_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_canned_replies')),
    sa.UniqueConstraint('title', name=op.f('uq_canned_replies_title'))
    )


def downgrade():
    op.drop_table('canned_replies')
