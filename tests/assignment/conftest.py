import pytest

from portal.services import settings as settings_service

QUIET = {
    "TICKET_AI_RESPONSE": False,
    "RESPONSE_AUTO_GENERATE": False,
    "TICKET_CATEGORIZATION": False,
    "TICKET_PRIORITY_DETECTION": False,
}


@pytest.fixture(autouse=True)
def quiet_ai(app):
    """No AI answers or triage changes (triage still dispatches "ticket_triaged"), and
    auto-assign off while tests build their tickets; tests switch it on when they mean it."""
    settings_service.update_settings({**QUIET, "TICKET_AUTO_ASSIGN": False})
