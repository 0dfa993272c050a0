"""Event handlers register once however many apps a process builds (gunicorn, tests, CLI)."""

from portal import config as portal_config
from portal import create_app
from portal.extensions import db
from portal.models import Notification
from tests.factories import make_ticket, make_user


def test_a_new_ticket_notifies_its_requester_once_after_several_app_builds(app):
    for _ in range(3):
        create_app(portal_config.TestConfig, SQLALCHEMY_DATABASE_URI="sqlite://")
    user = make_user()
    ticket = make_ticket(user)
    rows = db.session.query(Notification).filter_by(user_id=user.id, ticket_id=ticket.id).all()
    assert len(rows) == 1
