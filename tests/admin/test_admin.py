"""Admin: settings (validated, effective on save, no secrets shown) and user management."""

from __future__ import annotations

import pytest

from portal.extensions import db
from portal.models import Setting, User
from portal.services import settings as settings_service
from portal.services.settings import SPECS
from tests.factories import make_ticket, make_user
from tests.helpers import snapshot, text


def _form(**overrides) -> dict:
    data = {}
    for spec in SPECS:
        value = settings_service.get_setting(spec.key)
        if spec.kind is bool:
            if value:
                data[spec.key] = "y"
        else:
            data[spec.key] = str(value)
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_settings_page_shows_every_setting(client, login_as, admin):
    login_as(admin)
    html = text(client.get("/admin/settings"))
    for spec in SPECS:
        assert f'name="{spec.key}"' in html, spec.key
    for title in ("Ticket settings", "AI settings", "Response settings", "AI model"):
        assert title in html


def test_saving_settings_takes_effect_at_once(client, login_as, admin):
    login_as(admin)
    assert settings_service.get_setting("AI_CONFIDENCE_THRESHOLD") == 0.7  # warms the cache
    resp = client.post(
        "/admin/settings",
        data=_form(
            AI_CONFIDENCE_THRESHOLD="0.85",
            AI_MODEL="gemini-2.5-pro",
            AI_MAX_TOKENS="2048",
            TICKET_AUTO_ASSIGN=None,
        ),
    )
    assert resp.status_code == 303
    assert settings_service.get_setting("AI_CONFIDENCE_THRESHOLD") == 0.85
    assert settings_service.get_setting("AI_MODEL") == "gemini-2.5-pro"
    assert settings_service.get_setting("AI_MAX_TOKENS") == 2048
    assert settings_service.get_setting("TICKET_AUTO_ASSIGN") is False
    page = text(client.get("/admin/settings"))
    assert "Settings saved (4 changed)." in page
    assert 'value="gemini-2.5-pro"' in page and 'value="2048"' in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("AI_CONFIDENCE_THRESHOLD", "1.5", "between"),
        ("AI_CONFIDENCE_THRESHOLD", "-0.1", "between"),
        ("AI_CONFIDENCE_THRESHOLD", "abc", "Not a valid decimal value"),
        ("AI_CONFIDENCE_THRESHOLD", "", "Enter a number."),
        ("AI_CONFIDENCE_THRESHOLD", "nan", ""),
        ("AI_CONFIDENCE_THRESHOLD", "Infinity", ""),
        ("AI_CONFIDENCE_THRESHOLD", "sNaN", "Enter a number."),
        ("AI_TEMPERATURE", "-sNaN", "Enter a number."),
        ("AI_TEMPERATURE", "2.5", "between"),
        ("AI_MAX_TOKENS", "0", "between"),
        ("AI_MAX_TOKENS", "100000", "between"),
        ("AI_MAX_TOKENS", "1.5", "Not a valid integer value"),
        ("AI_MAX_TOKENS", "99999999999999999999999", "between"),
        ("AI_MODEL", "", "This field is required."),
        ("AI_MODEL", "   ", "This field is required."),
        ("AI_MODEL", "m" * 101, "100"),
    ],
)
def test_invalid_settings_are_refused_with_a_message(
    client, login_as, admin, field, value, message
):
    login_as(admin)
    before = snapshot()
    resp = client.post("/admin/settings", data=_form(**{field: value}))
    assert resp.status_code == 422
    html = text(resp)
    assert f'id="{field}-error"' in html
    assert message in html
    assert "Some settings need fixing" in html
    assert snapshot() == before


def test_gemini_key_is_never_shown_or_stored(app, client, login_as, admin):
    app.config["GEMINI_API_KEY"] = "AIza-very-secret-key-123"
    login_as(admin)
    html = text(client.get("/admin/settings"))
    assert "configured" in html and "not configured" not in html
    assert "AIza-very-secret-key-123" not in html
    client.post("/admin/settings", data=_form(GEMINI_API_KEY="AIza-typed-in-key"))
    assert db.session.get(Setting, "GEMINI_API_KEY") is None
    assert "AIza" not in text(client.get("/admin/settings"))
    app.config["GEMINI_API_KEY"] = None
    assert "not configured" in text(client.get("/admin/settings"))


def test_user_list_search_and_role_change(client, login_as, admin):
    someone = make_user(name="Zed Example", email="zed@example.com")
    make_user(name="Other Person")
    login_as(admin)
    html = text(client.get("/admin/users?q=zed"))
    assert "zed@example.com" in html and "Other Person" not in html
    resp = client.post(f"/admin/users/{someone.id}/role", data={"role": "staff"})
    assert resp.status_code == 303
    db.session.refresh(someone)
    assert someone.role == "staff"
    assert "Zed Example is now staff." in text(client.get("/admin/users"))


def test_invalid_role_is_refused(client, login_as, admin, user):
    login_as(admin)
    before = snapshot()
    client.post(f"/admin/users/{user.id}/role", data={"role": "superuser"})
    assert "Choose a role from the list." in text(client.get("/admin/users"))
    assert snapshot() == before


def test_admin_cannot_demote_or_deactivate_themselves(client, login_as, admin):
    login_as(admin)
    before = snapshot()
    client.post(f"/admin/users/{admin.id}/role", data={"role": "user"})
    assert "You cannot remove your own admin role." in text(client.get("/admin/users"))
    client.post(f"/admin/users/{admin.id}/active", data={})
    assert "You cannot deactivate yourself." in text(client.get("/admin/users"))
    assert snapshot() == before


def test_deactivate_user_releases_their_open_tickets(client, login_as, admin, user):
    agent = make_user("staff", name="Leaving Agent")
    from portal.services import tickets as ticket_service

    t = make_ticket(user)
    ticket_service.assign_ticket(t, admin, agent)
    login_as(admin)
    resp = client.post(f"/admin/users/{agent.id}/active", data={})
    assert resp.status_code == 303
    db.session.expire_all()
    assert db.session.get(User, agent.id).active is False
    assert db.session.get(type(t), t.id).assigned_to_id is None
    page = text(client.get("/admin/users"))
    assert "Leaving Agent deactivated." in page and "Deactivated" in page
    client.post(f"/admin/users/{agent.id}/active", data={"active": "y"})
    db.session.expire_all()
    assert db.session.get(User, agent.id).active is True


def test_unknown_user_ids_are_404(client, login_as, admin):
    login_as(admin)
    for uid in ("999", "99999999999999999999"):
        assert client.post(f"/admin/users/{uid}/role", data={"role": "user"}).status_code == 404
        assert client.post(f"/admin/users/{uid}/active").status_code == 404
    assert client.get("/admin/users?page=99999999999999999999").status_code == 200


def test_demoting_staff_releases_their_open_tickets(client, login_as, admin, user):
    from portal.services import tickets as ticket_service

    agent = make_user("staff", name="Former Agent")
    t = make_ticket(user)
    ticket_service.assign_ticket(t, admin, agent)
    login_as(admin)
    client.post(f"/admin/users/{agent.id}/role", data={"role": "user"})
    db.session.expire_all()
    assert db.session.get(type(t), t.id).assigned_to_id is None
    html = text(client.get(f"/staff/tickets/{t.id}/"))
    assert "Former Agent is no longer staff" in html


def test_user_list_pages_count_users(client, login_as, admin):
    for n in range(50):
        make_user(name=f"Person {n:02d}")
    login_as(admin)
    html = text(client.get("/admin/users"))
    assert "Page 1 of 2 · 51 users" in html
    assert text(client.get("/admin/users?page=2")).count('<tr id="user-') == 1
