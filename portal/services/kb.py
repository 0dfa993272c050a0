"""Knowledge base: articles in markdown, rendered then sanitised, and a forgiving search.

Search scores each article by how many of the query's words (crudely stemmed) appear in the
title (2 points) and the body (1 point), so "cannot log in after password reset" still finds
"Resetting your password". The same SQL runs on SQLite and PostgreSQL, so both give the same
answers; the knowledge base is small enough that a scan is fine.
"""

from __future__ import annotations

import re

import markdown
import nh3
import sqlalchemy as sa
from markupsafe import Markup

from portal.extensions import db
from portal.models import CATEGORIES, Article, ArticleReader, User
from portal.models.base import MAX_ID, utcnow
from portal.services.errors import PermissionDenied

TITLE_MIN = 3
TITLE_MAX = 200
BODY_MAX = 50_000
MAX_TERMS = 8

STOPWORDS = frozenset(
    """a an and are as at be by can cannot can't do does doesn't don't for from get getting had has
    have how i i'm in is isn't it its it's me my no not of on or our please so the their there this
    to too was we what when where which who why will with won't you your""".split()
)

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre",
    "s", "span", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "abbr": {"title"},
    "th": {"align"},
    "td": {"align"},
}


class ArticleError(ValueError):
    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# ---------------------------------------------------------------------------- rendering


def render_markdown(text: str) -> Markup:
    """Markdown → HTML → nh3 (an allow-list). Only the sanitised result is marked safe."""
    html = markdown.markdown(text or "", extensions=["fenced_code", "tables", "sane_lists"])
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)  # noqa: S704  (sanitised by nh3 just above)


def excerpt(text: str, n: int = 180) -> str:
    """Plain-text start of an article's markdown, for lists (escaped by Jinja as usual)."""
    plain = re.sub(r"[`*_#>\[\]()!|-]+", " ", text or "")
    plain = re.sub(r"\s+", " ", plain).strip()
    return plain if len(plain) <= n else plain[: n - 1].rstrip() + "…"


# ---------------------------------------------------------------------------- search


def search_terms(q: str | None) -> list[str]:
    words = re.findall(r"[\w']+", (q or "").lower())
    terms: list[str] = []
    for w in words:
        w = w.strip("'")
        if len(w) < 3 or w in STOPWORDS:
            continue
        stem = w if len(w) <= 5 else w[: max(5, len(w) - 3)]
        if stem not in terms:
            terms.append(stem)
    return terms[:MAX_TERMS]


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_query(
    q: str | None = None, *, include_unpublished: bool = False, category: str | None = None
) -> sa.Select:
    """Articles matching any word of `q`, best first; without `q`, the most useful first."""
    stmt = sa.select(Article)
    if not include_unpublished:
        stmt = stmt.where(Article.published.is_(True))
    if category:
        stmt = stmt.where(Article.category == category)
    terms = search_terms(q)
    if not terms:
        if q and q.strip():
            return stmt.where(sa.false())  # only stop words or 1–2 letters: nothing to match
        return stmt.order_by(Article.solved_count.desc(), Article.views.desc(), Article.id.desc())
    score = sa.literal(0)
    for term in terms:
        pattern = _like(term)
        score = (
            score
            + sa.case((Article.title.ilike(pattern, escape="\\"), 2), else_=0)
            + sa.case((Article.body.ilike(pattern, escape="\\"), 1), else_=0)
        )
    return stmt.where(score > 0).order_by(
        score.desc(), Article.solved_count.desc(), Article.id.desc()
    )


def suggest(title: str | None, *, limit: int = 5) -> list[Article]:
    """Published articles that may answer a ticket title the user is still typing."""
    if not search_terms(title):
        return []
    return list(db.session.scalars(search_query(title).limit(limit)))


# ---------------------------------------------------------------------------- reading


def article_titles(viewer: User | None, ids: list[int]) -> dict[int, str]:
    """{id: title} of the articles among `ids` that `viewer` may read."""
    wanted = {i for i in ids if isinstance(i, int) and not isinstance(i, bool) and 0 < i <= MAX_ID}
    if not wanted:
        return {}
    stmt = sa.select(Article.id, Article.title).where(Article.id.in_(wanted))
    if not (viewer is not None and viewer.is_staff):
        stmt = stmt.where(Article.published.is_(True))
    return dict(db.session.execute(stmt).all())


def get_article_for(viewer: User | None, article_id: int) -> Article | None:
    """None when missing, or unpublished and the viewer is not staff."""
    if not 0 < article_id <= MAX_ID:
        return None  # SQLite and PostgreSQL integers both stop here
    article = db.session.get(Article, article_id)
    if article is None:
        return None
    if not article.published and not (viewer is not None and viewer.is_staff):
        return None
    return article


def _reader(article: Article, user: User) -> ArticleReader:
    row = db.session.scalar(
        sa.select(ArticleReader).where(
            ArticleReader.article_id == article.id, ArticleReader.user_id == user.id
        )
    )
    if row is None:
        row = ArticleReader(article_id=article.id, user_id=user.id)
        db.session.add(row)
        try:
            db.session.flush()
        except sa.exc.IntegrityError:  # the same person's other tab got there first
            db.session.rollback()
            return _reader(article, user)
    return row


def _first(row: ArticleReader, column) -> bool:
    """Stamp `column` on the reader's row unless it is set: True for the first time only
    (a conditional UPDATE, so two tabs at once still count once)."""
    done = db.session.execute(
        sa.update(ArticleReader)
        .where(ArticleReader.id == row.id, column.is_(None))
        .values({column.key: utcnow()})
    )
    if done.rowcount == 1:
        return True
    db.session.commit()
    return False


def record_view(article: Article, user: User) -> bool:
    """A person read the article: counted once per person. True when it was counted now."""
    if not _first(_reader(article, user), ArticleReader.viewed_at):
        return False
    db.session.execute(
        sa.update(Article).where(Article.id == article.id).values(views=Article.views + 1)
    )
    db.session.commit()
    return True


def mark_solved(article: Article, user: User) -> bool:
    """A "this solved my problem" click: counted once per person, atomically in the database.
    True when it was counted now."""
    if not _first(_reader(article, user), ArticleReader.solved_at):
        return False
    db.session.execute(
        sa.update(Article)
        .where(Article.id == article.id)
        .values(solved_count=Article.solved_count + 1)
    )
    db.session.commit()
    return True


def has_solved(article: Article, user: User) -> bool:
    return (
        db.session.scalar(
            sa.select(ArticleReader.solved_at).where(
                ArticleReader.article_id == article.id, ArticleReader.user_id == user.id
            )
        )
        is not None
    )


# ---------------------------------------------------------------------------- writing


def _clean(
    title: str | None, body: str | None, category: str | None
) -> tuple[str, str, str | None]:
    title = (title or "").replace("\x00", "").strip()
    body = (body or "").replace("\x00", "").strip()
    if len(title) < TITLE_MIN:
        raise ArticleError(f"Title needs at least {TITLE_MIN} characters.", field="title")
    if len(title) > TITLE_MAX:
        raise ArticleError(f"Title must be at most {TITLE_MAX} characters.", field="title")
    if not body:
        raise ArticleError("Write the article first.", field="body")
    if len(body) > BODY_MAX:
        raise ArticleError(f"Article must be at most {BODY_MAX:,} characters.", field="body")
    category = category or None
    if category is not None and category not in CATEGORIES:
        raise ArticleError("Choose a category from the list.", field="category")
    return title, body, category


def _require_staff(user: User | None) -> None:
    if user is None or not user.is_staff:
        raise PermissionDenied("Only staff can write articles.")


def create_article(
    author: User,
    *,
    title: str,
    body: str,
    category: str | None = None,
    published: bool = True,
) -> Article:
    _require_staff(author)
    title, body, category = _clean(title, body, category)
    article = Article(
        title=title,
        body=body,
        category=category,
        published=bool(published),
        author_id=author.id,
    )
    db.session.add(article)
    db.session.commit()
    return article


def update_article(
    article: Article,
    editor: User,
    *,
    title: str,
    body: str,
    category: str | None = None,
    published: bool | None = None,
) -> Article:
    _require_staff(editor)
    title, body, category = _clean(title, body, category)
    article.title, article.body, article.category = title, body, category
    if published is not None:
        article.published = bool(published)
    article.updated_at = utcnow()
    db.session.commit()
    return article


def set_published(article: Article, editor: User, published: bool) -> Article:
    _require_staff(editor)
    if article.published != published:
        article.published = published
        article.updated_at = utcnow()
        db.session.commit()
    return article
