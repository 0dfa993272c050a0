from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from portal.extensions import db
from portal.models.base import utcnow
from portal.models.user import User


class Article(db.Model):
    """A knowledge-base article, written in markdown by staff and admins."""

    __tablename__ = "kb_articles"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    body: so.Mapped[str] = so.mapped_column(sa.Text)  # markdown source
    category: so.Mapped[str | None] = so.mapped_column(sa.String(20), index=True)
    published: so.Mapped[bool] = so.mapped_column(default=True, index=True)
    author_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    views: so.Mapped[int] = so.mapped_column(default=0)
    # "This solved my problem" clicks: a ticket that was never needed.
    solved_count: so.Mapped[int] = so.mapped_column(default=0)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, onupdate=utcnow)

    author: so.Mapped[User | None] = so.relationship()


class ArticleReader(db.Model):
    """One person's view of and "this solved my problem" on one article: each counts once."""

    __tablename__ = "kb_article_readers"
    __table_args__ = (
        sa.UniqueConstraint("article_id", "user_id", name="uq_kb_article_readers_article_user"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    article_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("kb_articles.id", ondelete="CASCADE")
    )
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    viewed_at: so.Mapped[datetime | None] = so.mapped_column()
    solved_at: so.Mapped[datetime | None] = so.mapped_column()
