"""reply edited_at; kb article readers (views and "solved" once per person)

Revision ID: c4e8a1f7b2d9
Revises: 5b185335a312
Create Date: 2026-12-05

An edited reply says so to everyone (ticket_responses.edited_at). A help article's views and
"this solved my problem" clicks count once per person: one kb_article_readers row per
(article, user), written on POST only.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e8a1f7b2d9'
down_revision = 'a7d3c1e9f420'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ticket_responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('edited_at', sa.DateTime(), nullable=True))

    op.create_table('kb_article_readers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('viewed_at', sa.DateTime(), nullable=True),
    sa.Column('solved_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['article_id'], ['kb_articles.id'], name=op.f('fk_kb_article_readers_article_id_kb_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_kb_article_readers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_article_readers')),
    sa.UniqueConstraint('article_id', 'user_id', name='uq_kb_article_readers_article_user')
    )
    with op.batch_alter_table('kb_article_readers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kb_article_readers_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('kb_article_readers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kb_article_readers_user_id'))

    op.drop_table('kb_article_readers')
    with op.batch_alter_table('ticket_responses', schema=None) as batch_op:
        batch_op.drop_column('edited_at')
