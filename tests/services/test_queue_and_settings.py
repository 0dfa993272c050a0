"""Queue reads, settings storage, accounts and the safe-redirect check, at the service level."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from portal.extensions import db
from portal.models import Setting
from portal.security import safe_next
from portal.services import queue as queue_service
from portal.services import settings as settings_service
from portal.services import tickets as ticket_service
from portal.services import users as user_service
from portal.services.errors import NotFound, TicketError
from tests.factories import make_ticket, make_user
from tests.helpers import snapshot


def test_filters_from_args_drop_unknown_values():
    f = queue_service.QueueFilters.from_args(
        MultiDict(
            {"status": "x", "category": "none", "priority": "HIGH", "assignee": "-1", "sort": "z"}
        )
    )
    assert (f.status, f.category, f.priority, f.assignee, f.sort) == (
        "",
        "none",
        "",
        "",
        "activity",
    )
    assert f.as_args() == {"category": "none"}


def test_status_counts_follow_changes(user, staff):
    t = make_ticket(user)
    assert queue_service.safe_status_counts()["open"] == 1
    ticket_service.resolve_ticket(t, staff)
    counts = queue_service.safe_status_counts()
    assert (counts["open"], counts["resolved"]) == (0, 1)
    make_reply_ticket = make_ticket(user)
    assert queue_service.safe_status_counts()["open"] == 1
    ticket_service.add_reply(make_reply_ticket, staff, "on it")
    assert queue_service.safe_status_counts()["in_progress"] == 1


def test_get_ticket_for_hides_other_peoples_tickets(user, other_user, staff):
    t = make_ticket(user)
    assert queue_service.get_ticket_for(user, t.id) is t
    assert queue_service.get_ticket_for(staff, t.id) is t
    for viewer, ident in ((other_user, t.id), (user, 0), (user, 2**40)):
        with pytest.raises(NotFound):
            queue_service.get_ticket_for(viewer, ident)


def test_staff_members_excludes_inactive_and_users(user, staff):
    gone = make_user("staff", active=False)
    admin = make_user("admin")
    names = {u.id for u in user_service.staff_members()}
    assert names == {staff.id, admin.id}
    assert gone.id in {u.id for u in user_service.staff_members(include_inactive=True)}


def test_settings_defaults_and_update(app):
    assert settings_service.get_setting("AI_MAX_TOKENS") == 1000
    changed = settings_service.update_settings(
        {"AI_MAX_TOKENS": "1500", "AI_LEARNING_ENABLED": False}
    )
    assert changed == {"AI_MAX_TOKENS": (1000, 1500), "AI_LEARNING_ENABLED": (True, False)}
    assert settings_service.get_setting("AI_MAX_TOKENS") == 1500
    assert db.session.get(Setting, "AI_MAX_TOKENS").value == 1500
    assert settings_service.update_settings({"AI_MAX_TOKENS": 1500}) == {}


@pytest.mark.parametrize(
    "values",
    [
        {"AI_TEMPERATURE": 3},
        {"AI_CONFIDENCE_THRESHOLD": "high"},
        {"AI_RESPONSE_ENABLED": "yes"},
        {"AI_MODEL": ""},
        {"GEMINI_API_KEY": "secret"},
        {"AI_MAX_TOKENS": 500, "AI_TEMPERATURE": -1},
    ],
)
def test_invalid_settings_store_nothing(app, values):
    before = snapshot()
    with pytest.raises(settings_service.SettingError):
        settings_service.update_settings(values)
    db.session.rollback()
    assert snapshot() == before
    assert settings_service.get_setting("AI_MAX_TOKENS") == 1000


def test_unknown_setting_key_is_a_key_error(app):
    with pytest.raises(KeyError):
        settings_service.get_setting("GEMINI_API_KEY")


def test_register_and_authenticate(app):
    u = user_service.register_user(email="A@Example.com", name="", password="long-enough")
    assert (u.email, u.name) == ("a@example.com", "a")
    assert user_service.authenticate("a@example.com", "long-enough") == u
    assert user_service.authenticate("a@example.com", "wrong") is None
    assert user_service.authenticate("nobody@example.com", "long-enough") is None
    with pytest.raises(TicketError):
        user_service.register_user(email="a@example.com", name="x", password="long-enough")
    with pytest.raises(TicketError):
        user_service.register_user(email="b@example.com", name="x", password="short")
    with pytest.raises(TicketError):
        user_service.register_user(
            email="c@example.com", name="x", password="long-enough", role="root"
        )


def test_deactivated_users_cannot_authenticate(app):
    u = user_service.register_user(email="d@example.com", name="D", password="long-enough")
    admin = make_user("admin")
    user_service.set_active(admin, u, False)
    assert user_service.authenticate("d@example.com", "long-enough") is None


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/tickets/1/", "/tickets/1/"),
        ("/staff/?q=a%20b", "/staff/?q=a%20b"),
        ("//evil.com", None),
        ("https://evil.com", None),
        ("/\\evil.com", None),
        ("\\/evil.com", None),
        ("/\t/evil.com", None),
        ("javascript:alert(1)", None),
        ("", None),
        (None, None),
    ],
)
def test_safe_next(target, expected):
    assert safe_next(target) == expected
