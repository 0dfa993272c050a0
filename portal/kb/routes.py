"""Knowledge-base pages: list and search, an article, staff editing, and ticket-form suggestions."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from portal.extensions import db
from portal.forms import EmptyForm
from portal.htmx import hx_redirect, render_page_or_partial, wants_partial
from portal.kb import bp
from portal.kb.forms import ArticleForm
from portal.models import CATEGORIES, CATEGORY_CHOICES, Article
from portal.services import kb as kb_service
from portal.services import queue as queue_service

PER_PAGE = 10


def _require_staff() -> None:
    if not current_user.is_staff:
        abort(403)


def _get_article(article_id: int) -> Article:
    article = kb_service.get_article_for(current_user, article_id)
    if article is None:
        abort(404)
    return article


def _done(url: str):
    return hx_redirect(url) if wants_partial() else redirect(url, 303)


@bp.get("/")
def article_list():
    q = (request.args.get("q") or "").strip()[:200]
    category = request.args.get("category") or ""
    if category not in CATEGORIES:
        category = ""
    page = queue_service.page_number(request.args.get("page", 1, type=int))
    pagination = db.paginate(
        kb_service.search_query(
            q, include_unpublished=current_user.is_staff, category=category or None
        ),
        page=page,
        per_page=PER_PAGE,
        error_out=False,
    )
    return render_page_or_partial(
        "kb/list.html",
        "kb/partials/_results.html",
        pagination=pagination,
        q=q,
        category=category,
        categories=CATEGORY_CHOICES,
        excerpt=kb_service.excerpt,
    )


@bp.get("/suggest")
def article_suggest():
    """Active search from the new-ticket title: a fragment of matching articles."""
    text = (request.args.get("title") or request.args.get("q") or "").strip()[:200]
    if not wants_partial():
        return redirect(url_for("kb.article_list", q=text or None))
    return render_page_or_partial(
        "kb/partials/_suggestions.html",
        "kb/partials/_suggestions.html",
        articles=kb_service.suggest(text),
        excerpt=kb_service.excerpt,
    )


@bp.get("/<int:article_id>/")
def article_detail(article_id: int):
    """Reading changes nothing: the view is counted by a POST the page sends once loaded."""
    article = _get_article(article_id)
    return render_page_or_partial(
        "kb/detail.html",
        "kb/partials/_article.html",
        article=article,
        html=kb_service.render_markdown(article.body),
        action_form=EmptyForm(),
        already_solved=kb_service.has_solved(article, current_user),
        count_view=not current_user.is_staff and article.published,
    )


@bp.post("/<int:article_id>/viewed")
def article_viewed(article_id: int):
    """The article page's beacon (htmx, on load): one view per person, staff not counted."""
    article = _get_article(article_id)
    if not current_user.is_staff and article.published:
        kb_service.record_view(article, current_user)
    return "", 204


@bp.post("/<int:article_id>/solved")
def article_solved(article_id: int):
    """ "This solved my problem": counted once per person, creates no ticket."""
    article = _get_article(article_id)
    if not article.published:
        abort(404)
    kb_service.mark_solved(article, current_user)
    flash("Glad that helped! No ticket was created.", "success")
    return _done(url_for("kb.article_detail", article_id=article.id))


def _form_page(template: str, form: ArticleForm, status: int, article: Article | None = None):
    return render_page_or_partial(
        template, "kb/partials/_article_form.html", status=status, form=form, article=article
    )


def _save(form: ArticleForm, article: Article | None):
    try:
        values = {
            "title": form.title.data,
            "body": form.body.data,
            "category": form.category.data or None,
            "published": form.published.data,
        }
        if article is None:
            article = kb_service.create_article(current_user, **values)
        else:
            kb_service.update_article(article, current_user, **values)
    except kb_service.ArticleError as e:
        getattr(form, e.field or "title").errors.append(e.message)
        return None
    return article


@bp.route("/new", methods=["GET", "POST"])
def article_create():
    _require_staff()
    form = ArticleForm()
    if form.validate_on_submit():
        article = _save(form, None)
        if article is not None:
            flash("Article saved.", "success")
            return _done(url_for("kb.article_detail", article_id=article.id))
    status = 422 if form.errors else 200
    return _form_page("kb/edit.html", form, status)


@bp.route("/<int:article_id>/edit", methods=["GET", "POST"])
def article_edit(article_id: int):
    _require_staff()
    article = _get_article(article_id)
    form = ArticleForm(obj=article) if request.method == "GET" else ArticleForm()
    if request.method == "GET":
        form.category.data = article.category or ""
    elif form.validate_on_submit() and _save(form, article) is not None:
        flash("Article saved.", "success")
        return _done(url_for("kb.article_detail", article_id=article.id))
    status = 422 if form.errors else 200
    return _form_page("kb/edit.html", form, status, article)


def _publish(article_id: int, published: bool, message: str):
    _require_staff()
    article = _get_article(article_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    kb_service.set_published(article, current_user, published)
    flash(message, "success")
    return _done(url_for("kb.article_detail", article_id=article.id))


@bp.post("/<int:article_id>/unpublish")
def article_unpublish(article_id: int):
    return _publish(article_id, False, "Article unpublished: users no longer see it.")


@bp.post("/<int:article_id>/publish")
def article_publish(article_id: int):
    return _publish(article_id, True, "Article published.")
