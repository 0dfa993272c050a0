"""Admin categories page: coverage per category, and the who-handles-what matrix that sets every
staff member's categories at once (used by auto-assignment)."""

from __future__ import annotations

import html as html_lib
import json
import re

import pytest
from werkzeug.datastructures import MultiDict

from portal.extensions import db
from portal.models import Ticket, User
from portal.services import settings as settings_service
from portal.services import tickets as ticket_service
from tests.factories import make_ticket, make_user
from tests.helpers import _FormParser, is_full_page, location_path, text

URL = "/admin/categories"


@pytest.fixture(autouse=True)
def _manual(manual_only):
    """No AI triage, answers or auto-assign unless a test switches it on."""


def staff_with(*categories, role="staff", **kw) -> User:
    person = make_user(role, **kw)
    person.categories = list(categories)
    db.session.commit()
    return person


def categories_of(*people) -> list[list[str]]:
    db.session.expire_all()
    return [list(db.session.get(User, p.id).categories or []) for p in people]


def row(html: str, element_id: str) -> str:
    match = re.search(rf'<tr id="{element_id}">(.*?)</tr>', html, re.S)
    assert match, f"no row {element_id}"
    return match.group(1)


def cells(html: str, element_id: str) -> list[str]:
    raw = re.findall(r"<td[^>]*>(.*?)</td>", row(html, element_id), re.S)
    return [re.sub(r"<[^>]+>", "", c).strip() for c in raw]


def matrix(*people_and_categories) -> MultiDict:
    """What the form posts: one `person` per listed user, checked boxes as categories-<id>."""
    data = MultiDict()
    for person, categories in people_and_categories:
        data.add("person", str(person.id))
        for c in categories:
            data.add(f"categories-{person.id}", c)
    return data


def browser_form(html: str) -> MultiDict:
    """The fields a browser would submit from the page's matrix form, as rendered."""
    parser = _FormParser(URL)
    parser.feed(html)
    assert parser.done
    return MultiDict(parser.fields)


# ---- the page -------------------------------------------------------------------------------


def test_page_shows_open_counts_thresholds_and_handlers(client, login_as, admin, user):
    ana = staff_with("billing", "technical", name="Ana Billing")
    ben = staff_with("technical", name="Ben Tech")
    for _ in range(2):
        make_ticket(user, category="billing")  # open, unassigned
    working = make_ticket(user, category="billing")
    ticket_service.assign_ticket(working, admin, ana)
    ticket_service.update_ticket(working, admin, {"status": "in_progress"})
    done = make_ticket(user, category="billing")
    ticket_service.resolve_ticket(done, admin)  # not open: not counted
    make_ticket(user, category="technical")
    make_ticket(user)  # no category yet
    settings_service.set_threshold("billing", 0.9)

    login_as(admin)
    resp = client.get(URL)
    html = text(resp)
    assert resp.status_code == 200
    assert "<h1>Categories</h1>" in html

    billing = cells(html, "category-billing")
    assert billing[:4] == ["Billing", "3", "2", "0.90 (override)"]
    assert billing[4] == "Ana Billing"
    assert 'href="/admin/ai#ai-thresholds"' in row(html, "category-billing")
    technical = cells(html, "category-technical")
    assert technical[:4] == ["Technical", "1", "1", "0.70"]
    assert technical[4] == "Ana Billing, Ben Tech"
    assert cells(html, "category-general")[1:5] == ["0", "0", "0.70", "Nobody"]
    assert "1 open ticket has no category yet" in html

    # The matrix: one row per person with their open load and their boxes ticked.
    ana_row = row(html, f"person-{ana.id}")
    assert cells(html, f"person-{ana.id}")[1] == "1"
    assert cells(html, f"person-{ben.id}")[1] == "0"
    assert 'value="billing" checked' in ana_row and 'value="technical" checked' in ana_row
    assert 'value="general" checked' not in ana_row
    assert f'name="categories-{admin.id}"' in html  # admins handle categories too
    assert f'name="categories-{user.id}"' not in html  # plain users do not


def test_a_category_nobody_handles_is_a_warning(client, login_as, admin):
    staff_with("technical", "general", "bug_report", "feature_request")
    login_as(admin)
    html = text(client.get(URL))
    assert "Nobody handles Billing: new billing tickets stay unassigned." in html
    assert "Nobody handles Technical" not in html
    assert html.count("Nobody handles") == 1


def test_inactive_staff_and_users_do_not_count_as_handlers(client, login_as, admin):
    gone = staff_with("billing", active=False, name="Gone Person")
    make_user("user", name="Plain User").categories = ["billing"]
    db.session.commit()
    login_as(admin)
    html = text(client.get(URL))
    assert "Nobody handles Billing" in html
    assert "Gone Person" not in html and "Plain User" not in html
    assert f"person-{gone.id}" not in html


def test_auto_assign_switch_is_stated(client, login_as, admin):
    login_as(admin)
    assert "Auto-assign is off" in text(client.get(URL))
    settings_service.update_settings({"TICKET_AUTO_ASSIGN": True})
    assert "Auto-assign is on" in text(client.get(URL))


def test_only_admins_points_to_the_users_page(client, login_as, admin):
    login_as(admin)
    html = text(client.get(URL))
    assert 'id="no-staff"' in html
    assert "Promote someone to staff" in html and 'href="/admin/users"' in html
    staff_with()
    assert 'id="no-staff"' not in text(client.get(URL))


def test_nav_links_to_the_page_for_admins_only(client, login_as, admin, staff):
    login_as(admin)
    assert f'href="{URL}">Categories</a>' in text(client.get("/admin/users"))
    login_as(staff)
    assert URL not in text(client.get("/staff/"))


def test_user_names_are_escaped(client, login_as, admin):
    staff_with("billing", name="<script>alert(1)</script>")
    login_as(admin)
    html = text(client.get(URL))
    assert "<script>alert(1)" not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 3  # coverage, row, labels


# ---- saving ---------------------------------------------------------------------------------


def test_saving_the_matrix_sets_everyones_categories(client, login_as, admin):
    ana = staff_with("billing")
    ben = staff_with("technical")
    login_as(admin)
    resp = client.post(
        URL, data=matrix((ana, ["technical", "general"]), (ben, []), (admin, ["billing"]))
    )
    assert resp.status_code == 303 and location_path(resp) == URL
    # Stored in the spec's order, whatever order the boxes came in.
    assert categories_of(ana, ben, admin) == [["technical", "general"], [], ["billing"]]
    html = text(client.get(URL))
    assert "Categories saved (3 people changed)." in html
    assert "Nobody handles Bug Report" in html and "Nobody handles Billing" not in html


def test_the_page_form_as_a_browser_submits_it_round_trips(client, login_as, admin):
    """No JavaScript: the plain form posts every listed person, checked boxes only."""
    ana = staff_with("billing", "general")
    login_as(admin)
    data = browser_form(text(client.get(URL)))
    assert sorted(data.getlist("person")) == sorted([str(ana.id), str(admin.id)])
    assert data.getlist(f"categories-{ana.id}") == ["billing", "general"]
    data.setlist(f"categories-{ana.id}", ["general"])  # untick Billing
    resp = client.post(URL, data=data)
    assert resp.status_code == 303
    assert categories_of(ana, admin) == [["general"], []]
    assert "Categories saved (1 person changed)." in text(client.get(URL))


def test_new_ticket_is_auto_assigned_to_who_the_matrix_names(client, login_as, admin, user):
    ana = staff_with()
    ben = staff_with("billing")  # handled billing before the admin's change
    login_as(admin)
    resp = client.post(URL, data=matrix((ana, ["billing"]), (ben, ["technical"]), (admin, [])))
    assert resp.status_code == 303
    settings_service.update_settings({"TICKET_AUTO_ASSIGN": True})

    billing = make_ticket(user, category="billing")
    technical = make_ticket(user, category="technical")
    general = make_ticket(user, category="general")
    db.session.expire_all()
    assert db.session.get(Ticket, billing.id).assigned_to_id == ana.id
    assert db.session.get(Ticket, technical.id).assigned_to_id == ben.id
    assert db.session.get(Ticket, general.id).assigned_to_id is None  # nobody handles it


def test_unchecking_every_box_is_valid(client, login_as, admin):
    ana = staff_with("billing", "technical")
    login_as(admin)
    resp = client.post(URL, data=matrix((ana, [])))
    assert resp.status_code == 303
    assert categories_of(ana) == [[]]
    assert "Nobody handles Billing" in text(client.get(URL))


def test_people_left_off_the_form_keep_their_categories(client, login_as, admin):
    ana = staff_with("billing")
    ben = staff_with("technical")
    login_as(admin)
    client.post(URL, data=matrix((ana, ["general"])))
    assert categories_of(ana, ben) == [["general"], ["technical"]]


def _bad(kind: str, ana: User, admin: User) -> MultiDict:
    """A matrix with a valid change for Ana and one bad part."""
    data = matrix((ana, ["general"]), (admin, ["billing"]))
    if kind == "unknown category":
        data.add(f"categories-{admin.id}", "refunds")
    elif kind == "plain user":
        data.add("person", str(make_user("user").id))
    elif kind == "inactive staff":
        data.add("person", str(make_user("staff", active=False).id))
    elif kind == "bot":
        data.add("person", str(ticket_service.get_bot_user().id))
    elif kind == "missing user":
        data.add("person", "999999")
    elif kind == "not a number":
        data.add("person", "1 OR 1=1")
    elif kind == "unlisted person's boxes":
        data.add(f"categories-{make_user('staff').id}", "billing")
    elif kind == "superscript digit id":
        data.add("person", "\u00b2")  # "²".isdigit() is True; int("²") raises
    elif kind == "superscript digit box":
        data.add("categories-\u00b2", "billing")
    elif kind == "endless id":
        data.add(f"categories-{'9' * 5000}", "billing")
    return data


BAD = [
    ("unknown category", "Choose categories from the list ('refunds' is not one)."),
    ("plain user", "is not active staff: reload the page and try again."),
    ("inactive staff", "is not active staff: reload the page and try again."),
    ("bot", "is not active staff: reload the page and try again."),
    ("missing user", "User #999999 is not active staff"),
    ("not a number", "The form was changed: reload the page and try again."),
    ("unlisted person's boxes", "The form was changed: reload the page and try again."),
    ("superscript digit id", "The form was changed: reload the page and try again."),
    ("superscript digit box", "The form was changed: reload the page and try again."),
    ("endless id", "The form was changed: reload the page and try again."),
]


@pytest.mark.parametrize(("kind", "message"), BAD, ids=[k for k, _ in BAD])
def test_invalid_matrix_is_422_and_saves_nothing(client, login_as, admin, kind, message):
    ana = staff_with("billing")
    login_as(admin)
    resp = client.post(URL, data=_bad(kind, ana, admin))
    html = text(resp)
    assert resp.status_code == 422
    assert is_full_page(resp)
    assert message in html_lib.unescape(html) and "Nothing was saved." in html
    assert categories_of(ana, admin) == [["billing"], []]  # not even the valid part


def test_a_refused_form_keeps_what_was_ticked(client, login_as, admin):
    ana = staff_with("billing")
    login_as(admin)
    data = matrix((ana, ["general"]))
    data.add(f"categories-{ana.id}", "refunds")
    html = text(client.post(URL, data=data))
    ana_row = row(html, f"person-{ana.id}")
    assert 'value="general" checked' in ana_row and 'value="billing" checked' not in ana_row


def test_post_needs_the_csrf_token(app, client, login_as, admin):
    ana = staff_with("billing")
    login_as(admin)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        refused = client.post(URL, data=matrix((ana, [])))
        assert refused.status_code == 400
        assert categories_of(ana) == [["billing"]]
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text(client.get(URL)))
        data = matrix((ana, []))
        data.add("csrf_token", token.group(1))
        assert client.post(URL, data=data).status_code == 303
        assert categories_of(ana) == [[]]
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


# ---- htmx -----------------------------------------------------------------------------------


def test_htmx_get_is_a_fragment_with_vary(client, login_as, admin, hx):
    login_as(admin)
    resp = client.get(URL, headers=hx)
    assert resp.status_code == 200
    assert not is_full_page(resp)
    assert text(resp).startswith('<div id="categories">')
    assert "HX-Request" in resp.headers["Vary"]
    page = client.get(URL)
    assert is_full_page(page) and "HX-Request" in page.headers["Vary"]
    boosted = client.get(URL, headers=hx | {"HX-Boosted": "true"})
    assert is_full_page(boosted)


def test_htmx_save_returns_the_fragment_with_a_toast(client, login_as, admin, hx):
    ana = staff_with()
    login_as(admin)
    resp = client.post(URL, data=matrix((ana, ["billing"])), headers=hx)
    assert resp.status_code == 200
    assert not is_full_page(resp)
    assert "HX-Request" in resp.headers["Vary"]
    assert json.loads(resp.headers["HX-Trigger"])["toast"] == {
        "level": "success",
        "message": "Categories saved (1 person changed).",
    }
    assert cells(text(resp), "category-billing")[4] == ana.name  # the fragment is up to date
    assert categories_of(ana) == [["billing"]]


def test_htmx_invalid_save_is_a_422_fragment_with_an_error_toast(client, login_as, admin, hx):
    ana = staff_with("billing")
    login_as(admin)
    data = matrix((ana, ["nonsense"]))
    resp = client.post(URL, data=data, headers=hx)
    assert resp.status_code == 422
    assert not is_full_page(resp)
    assert "Nothing was saved." in text(resp)
    assert json.loads(resp.headers["HX-Trigger"])["toast"]["level"] == "error"
    assert categories_of(ana) == [["billing"]]


def _set_own_categories(person: User, categories: list[str]) -> None:
    """A staff member saves /staff/profile/ while the admin's page is open."""
    from portal.services import assignment

    assignment.set_categories(db.session.get(User, person.id), categories)


def test_a_row_the_admin_left_alone_keeps_a_change_made_meanwhile(client, login_as, admin):
    ana = staff_with("billing", name="Ana Billing")
    ben = staff_with("technical", name="Ben Tech")
    login_as(admin)
    form = browser_form(text(client.get(URL)))
    _set_own_categories(ben, ["technical", "bug_report"])

    form.setlist(f"categories-{ana.id}", ["billing", "general"])  # the admin's one change
    resp = client.post(URL, data=form)
    assert resp.status_code == 303
    assert categories_of(ana, ben) == [["billing", "general"], ["technical", "bug_report"]]


def test_a_row_both_changed_is_refused_and_nothing_is_saved(client, login_as, admin):
    ana = staff_with("billing", name="Ana Billing")
    ben = staff_with("technical", name="Ben Tech")
    login_as(admin)
    form = browser_form(text(client.get(URL)))
    _set_own_categories(ben, ["bug_report"])

    form.setlist(f"categories-{ana.id}", ["general"])
    form.setlist(f"categories-{ben.id}", ["technical", "general"])
    resp = client.post(URL, data=form)
    assert resp.status_code == 422
    assert "Ben Tech's categories changed after you opened this page" in html_lib.unescape(
        text(resp)
    )
    assert categories_of(ana, ben) == [["billing"], ["bug_report"]]
