"""Every injection attempt in a ticket's title, description, a reply and a chat message, through
the embedded default (local model, no Gemini key), end to end in the browser's pages and the
API: nothing outside the schema changes, no instructions or other user's data are shown, and
everything renders inert."""

from __future__ import annotations

import pytest

from portal.services.settings import update_settings
from tests.ai.inert import assert_ai_stayed_in_schema
from tests.ai.injection_corpus import CORPUS, IDS
from tests.ai.injection_flows import check_staff_views, check_user_views, submit_everywhere
from tests.helpers import text


@pytest.mark.parametrize("attempt", CORPUS, ids=IDS)
def test_injection_through_the_local_model(ai_app, client, login_as, user, staff, world, attempt):
    # A low threshold: the AI acts on its own wherever it can, the riskiest setting.
    update_settings({"AI_CONFIDENCE_THRESHOLD": 0.2})
    login_as(user)
    ticket_id, conversation_id = submit_everywhere(client, attempt.text)

    assert_ai_stayed_in_schema(ticket_id)
    check_user_views(client, user, ticket_id, conversation_id, attempt.text)
    login_as(staff)
    check_staff_views(client, ticket_id)


def test_injected_markup_is_shown_as_text(ai_app, client, login_as, user, world):
    """Inert, not dropped: the requester sees what they wrote, escaped."""
    login_as(user)
    payload = "<script>alert('PWNED')</script>"
    ticket_id, conversation_id = submit_everywhere(client, payload)
    escaped = "&lt;script&gt;alert(&#39;PWNED&#39;)&lt;/script&gt;"
    assert escaped in text(client.get(f"/tickets/{ticket_id}/"))
    assert escaped in text(client.get(f"/tickets/ai/conversations/{conversation_id}/"))
