"""The staff profile page where staff choose the categories they handle."""

from __future__ import annotations

from portal.extensions import db


def test_staff_choose_categories(client, login_as, staff):
    login_as(staff)
    page = client.get("/staff/profile/")
    assert page.status_code == 200 and b"Categories I handle" in page.data
    resp = client.post("/staff/profile/", data={"categories": ["billing", "technical"]})
    assert resp.status_code == 303
    db.session.refresh(staff)
    assert staff.categories == ["technical", "billing"]
    page = client.get("/staff/profile/").data.decode()
    assert (
        'checked id="categories-1" name="categories" type="checkbox" value="billing"' in page
        or ('value="billing"' in page and "checked" in page)
    )
    resp = client.post("/staff/profile/", data={})  # none: no longer auto-assigned anything
    db.session.refresh(staff)
    assert resp.status_code == 303 and staff.categories == []


def test_invalid_choice_is_422_beside_the_field(client, login_as, staff, hx):
    login_as(staff)
    resp = client.post("/staff/profile/", data={"categories": ["billing", "hacking"]}, headers=hx)
    assert resp.status_code == 422 and b"<html" not in resp.data
    assert b'class="error"' in resp.data
    db.session.refresh(staff)
    assert staff.categories == []


def test_htmx_save_redirects(client, login_as, admin, hx):
    login_as(admin)
    resp = client.post("/staff/profile/", data={"categories": "general"}, headers=hx)
    assert resp.status_code == 204 and resp.headers["HX-Redirect"].endswith("/staff/profile/")
    db.session.refresh(admin)
    assert admin.categories == ["general"]


def test_users_cannot_have_categories(client, login_as, user):
    login_as(user)
    assert client.get("/staff/profile/").status_code == 403
    assert client.post("/staff/profile/", data={"categories": "billing"}).status_code == 403
    db.session.refresh(user)
    assert not user.categories


def test_csrf_is_enforced(app, client, login_as, staff):
    login_as(staff)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post("/staff/profile/", data={"categories": "billing"}).status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    db.session.refresh(staff)
    assert not staff.categories


def test_coverage_shows_categories_nobody_handles(client, login_as, staff):
    staff.categories = ["billing"]
    db.session.commit()
    login_as(staff)
    page = client.get("/staff/profile/").data.decode()
    coverage = page[page.index('id="category-coverage"') :]
    assert f"Billing</strong>:\n        {staff.name}" in coverage
    assert coverage.count("nobody: these tickets stay unassigned") == 4
