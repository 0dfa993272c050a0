"""Knowledge base: rendering, search, paging, roles, staff editing, suggestions, "solved"."""

from __future__ import annotations

import sqlalchemy as sa

from portal.extensions import db
from portal.models import Article, Ticket
from portal.services import kb as kb_service
from tests.factories import PASSWORD, make_user


def make_article(author, **kw) -> Article:
    return kb_service.create_article(
        author,
        title=kw.pop("title", "Resetting your password"),
        body=kw.pop("body", "Go to **Account** and choose *Reset password*."),
        category=kw.pop("category", "technical"),
        published=kw.pop("published", True),
    )


# ---------------------------------------------------------------- rendering


def test_markdown_is_rendered_then_sanitised(staff):
    html = kb_service.render_markdown(
        "# Title\n\n**bold** [ok](https://example.test) [bad](javascript:alert(1))\n\n"
        '<script>alert(1)</script><img src=x onerror="alert(2)"><a href="#" hx-get="/x">y</a>'
    )
    assert "<h1>Title</h1>" in html and "<strong>bold</strong>" in html
    assert 'href="https://example.test"' in html
    assert "<script" not in html and "javascript:" not in html
    assert "onerror" not in html and "hx-get" not in html


def test_article_page_renders_markdown_and_counts_views(client, login_as, user, staff):
    article = make_article(staff, body="Steps:\n\n1. **Open** settings\n\n<script>x()</script>")
    login_as(user)
    page = client.get(f"/kb/{article.id}/")
    assert page.status_code == 200
    assert b"<strong>Open</strong>" in page.data
    assert b"<script>x()" not in page.data
    # Reading changes nothing; the page's on-load POST counts the view, once per person.
    assert f'hx-post="/kb/{article.id}/viewed"'.encode() in page.data
    client.get(f"/kb/{article.id}/")
    db.session.refresh(article)
    assert article.views == 0
    for _ in range(3):
        assert client.post(f"/kb/{article.id}/viewed").status_code == 204
    db.session.refresh(article)
    assert article.views == 1
    login_as(make_user("user"))
    client.post(f"/kb/{article.id}/viewed")
    login_as(staff)  # staff reading their own articles are not counted
    assert b"/viewed" not in client.get(f"/kb/{article.id}/").data
    client.post(f"/kb/{article.id}/viewed")
    db.session.refresh(article)
    assert article.views == 2


def test_title_is_escaped_everywhere(client, login_as, user, staff):
    make_article(staff, title="<img src=x onerror=alert(1)> password help")
    login_as(user)
    for path in ("/kb/", "/kb/1/"):
        assert b"<img src=x" not in client.get(path).data
    frag = client.get("/kb/suggest?title=password", headers={"HX-Request": "true"})
    assert b"<img src=x" not in frag.data and b"&lt;img src=x" in frag.data


# ---------------------------------------------------------------- list, search, paging


def test_empty_states(client, login_as, user, staff):
    login_as(user)
    assert b"No help articles yet" in client.get("/kb/").data
    make_article(staff)
    assert b"No articles match" in client.get("/kb/?q=zebra").data
    login_as(staff)
    assert b"Write the first one" not in client.get("/kb/").data


def test_search_is_forgiving_and_ranks_title_matches_first(client, login_as, user, staff):
    make_article(
        staff, title="Invoices with a VAT number", body="Billing page.", category="billing"
    )
    make_article(staff, title="Resetting your password", body="Use the reset link.")
    make_article(staff, title="Two-factor codes", body="After a password reset, sync the clock.")
    login_as(user)
    page = client.get("/kb/?q=cannot+log+in+after+password+reset").data.decode()
    assert "Resetting your password" in page and "Two-factor codes" in page
    assert page.index("Resetting your password") < page.index("Two-factor codes")
    assert "Invoices" not in page
    assert "Invoices" in client.get("/kb/?q=invoice").data.decode()
    assert "Invoices" in client.get("/kb/?category=billing").data.decode()
    assert "Resetting" not in client.get("/kb/?category=billing").data.decode()
    assert b"No articles match" in client.get("/kb/?q=the+a+of").data  # stop words only


def test_search_treats_wildcards_literally(client, login_as, user, staff):
    make_article(staff, title="Plain article", body="Nothing special")
    login_as(user)
    assert b"No articles match" in client.get("/kb/?q=%25%25%25").data
    assert b"No articles match" in client.get("/kb/?q=___").data


def test_paging(client, login_as, user, staff):
    for i in range(12):
        make_article(staff, title=f"Article number {i:02d}", body="Body")
    login_as(user)
    first = client.get("/kb/").data
    assert b"Page 1 of 2" in first and first.count(b'class="response"') == 10
    second = client.get("/kb/?page=2").data
    assert second.count(b'class="response"') == 2
    assert client.get("/kb/?page=99").status_code == 200


def test_unpublished_is_for_staff_only(client, login_as, user, staff):
    article = make_article(staff, title="Draft about billing", published=False)
    login_as(user)
    assert b"Draft about billing" not in client.get("/kb/").data
    assert client.get(f"/kb/{article.id}/").status_code == 404
    assert client.post(f"/kb/{article.id}/solved").status_code == 404
    login_as(staff)
    assert b"Draft about billing" in client.get("/kb/").data
    assert b"unpublished" in client.get(f"/kb/{article.id}/").data


def test_list_dual_mode(client, login_as, user, staff, hx):
    make_article(staff)
    login_as(user)
    full = client.get("/kb/?q=password")
    assert b"<html" in full.data
    fragment = client.get("/kb/?q=password", headers=hx)
    assert b"<html" not in fragment.data and b'id="kb-results"' in fragment.data
    assert "HX-Request" in fragment.headers["Vary"]
    assert b"<html" in client.get("/kb/", headers={**hx, "HX-Boosted": "true"}).data


# ---------------------------------------------------------------- staff editing


def test_staff_create_with_errors_beside_fields(client, login_as, staff, hx):
    login_as(staff)
    resp = client.post("/kb/new", data={"title": "ab", "body": "", "category": "nope"})
    assert resp.status_code == 422
    html = resp.data.decode()
    assert 'id="title-error"' in html and 'id="body-error"' in html
    assert 'id="category-error"' in html
    frag = client.post("/kb/new", data={"title": "", "body": "x"}, headers=hx)
    assert frag.status_code == 422 and b"<html" not in frag.data
    assert b'id="article-form"' in frag.data
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Article)) == 0


def test_staff_create_edit_unpublish_publish(client, login_as, staff, admin, hx):
    login_as(staff)
    resp = client.post(
        "/kb/new",
        data={"title": "Changing your name", "body": "Open *Profile*.", "category": "general",
              "published": "y"},
    )  # fmt: skip
    assert resp.status_code == 303
    article = db.session.scalar(sa.select(Article))
    assert resp.headers["Location"].endswith(f"/kb/{article.id}/")
    assert article.author_id == staff.id and article.published

    login_as(admin)
    form = client.get(f"/kb/{article.id}/edit").data.decode()
    assert "Changing your name" in form and 'selected value="general"' in form
    resp = client.post(
        f"/kb/{article.id}/edit",
        data={"title": "Changing your display name", "body": "Open **Profile**.", "category": ""},
        headers=hx,
    )
    assert resp.status_code == 204 and resp.headers["HX-Redirect"].endswith(f"/kb/{article.id}/")
    db.session.refresh(article)
    assert article.title == "Changing your display name" and article.category is None
    assert article.published is False  # an unticked box unpublishes

    client.post(f"/kb/{article.id}/publish")
    db.session.refresh(article)
    assert article.published
    resp = client.post(f"/kb/{article.id}/unpublish", follow_redirects=True)
    assert b"Article unpublished" in resp.data
    db.session.refresh(article)
    assert not article.published


def test_users_cannot_write(client, login_as, user, staff):
    article = make_article(staff)
    login_as(user)
    assert client.get("/kb/new").status_code == 403
    assert client.post("/kb/new", data={"title": "Mine", "body": "x"}).status_code == 403
    assert (
        client.post(f"/kb/{article.id}/edit", data={"title": "Hacked", "body": "x"}).status_code
        == 403
    )
    assert client.post(f"/kb/{article.id}/unpublish").status_code == 403
    db.session.refresh(article)
    assert article.title == "Resetting your password" and article.published


def test_csrf_is_enforced(app, client, login_as, user, staff):
    article = make_article(staff)
    login_as(user)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post(f"/kb/{article.id}/solved").status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    login_as(staff)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert (
            client.post("/kb/new", data={"title": "Forged article", "body": "b"}).status_code == 400
        )
        assert client.post(f"/kb/{article.id}/unpublish").status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    db.session.refresh(article)
    assert article.solved_count == 0 and article.published
    assert db.session.query(Article).filter_by(title="Forged article").count() == 0


# ---------------------------------------------------------------- suggestions and "solved"


def test_new_ticket_page_wires_active_search(client, login_as, user):
    login_as(user)
    page = client.get("/tickets/new").data.decode()
    assert 'hx-get="/kb/suggest"' in page and 'id="kb-suggestions"' in page


def test_suggestions_fragment(client, login_as, user, staff, hx):
    article = make_article(staff)
    make_article(staff, title="Hidden draft on passwords", published=False)
    login_as(user)
    resp = client.get("/kb/suggest?title=I+forgot+my+password", headers=hx)
    assert resp.status_code == 200 and b"<html" not in resp.data
    assert "HX-Request" in resp.headers["Vary"]
    html = resp.data.decode()
    assert "Resetting your password" in html and "Hidden draft" not in html
    assert f'formaction="/kb/{article.id}/solved"' in html
    assert f'hx-post="/kb/{article.id}/solved"' in html
    assert client.get("/kb/suggest?title=zz", headers=hx).data.strip() == b""
    plain = client.get("/kb/suggest?title=password")
    assert plain.status_code == 302 and "/kb/?q=password" in plain.headers["Location"]


def test_solved_counts_once_and_creates_no_ticket(app, client, login_as, user, staff, hx):
    article = make_article(staff)
    login_as(user)
    # The button sits inside the new-ticket form, so the ticket's fields come along.
    form = {"title": "Forgot my password", "description": "Help", "client_token": "abc"}
    resp = client.post(f"/kb/{article.id}/solved", data=form)
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/kb/{article.id}/")
    page = client.get(resp.headers["Location"]).data
    assert b"No ticket was created" in page
    resp = client.post(f"/kb/{article.id}/solved", data=form, headers=hx)
    assert resp.status_code == 204 and resp.headers["HX-Redirect"].endswith(f"/kb/{article.id}/")
    db.session.refresh(article)
    assert article.solved_count == 1  # once per person
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0

    # The same person in another browser (a replayed form, a new session): still once.
    same_person = app.test_client()
    same_person.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    same_person.post(f"/kb/{article.id}/solved")
    assert b"Glad this helped" in same_person.get(f"/kb/{article.id}/").data
    db.session.refresh(article)
    assert article.solved_count == 1

    another_person = app.test_client()
    another_person.post("/auth/login", data={"email": staff.email, "password": PASSWORD})
    another_person.post(f"/kb/{article.id}/solved")
    db.session.refresh(article)
    assert article.solved_count == 2


def test_seed_articles_is_idempotent(app):
    from portal.services.kb_seed import seed_articles

    added = seed_articles()
    assert added >= 5
    assert seed_articles() == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Article)) == added


def test_unknown_and_huge_ids_are_404(client, login_as, staff):
    login_as(staff)
    for path in ("/kb/999/", "/kb/99999999999999999999/", "/kb/2147483648/edit"):
        assert client.get(path).status_code == 404
    assert client.post("/kb/99999999999999999999/solved").status_code == 404
    assert client.post("/kb/99999999999999999999/unpublish").status_code == 404
