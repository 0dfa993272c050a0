"""Every setting explains itself, and the settings page says what the overlapping AI switches
add up to, in agreement with the code that reads them."""

from __future__ import annotations

import html
import itertools
import re

import pytest

from portal.services import first_answer, settings_help
from portal.services import settings as settings_service
from portal.services.settings import SPECS


def text(resp) -> str:
    """What a person reads: tags dropped, entities decoded, white space collapsed."""
    plain = re.sub(r"<[^>]+>", "", resp.get_data(as_text=True))
    return re.sub(r"\s+", " ", html.unescape(plain))


FIRST = ("TICKET_AI_RESPONSE", "RESPONSE_AUTO_GENERATE", "AI_RESPONSE_ENABLED")


def test_every_setting_has_help_text_on_the_page(client, login_as, admin):
    assert [s.key for s in SPECS if len(s.help.strip()) < 20] == []
    login_as(admin)
    page = text(client.get("/admin/settings"))
    for spec in SPECS:
        assert spec.help.split(".")[0][:60] in page, spec.key


def test_default_statement_says_first_answers_are_on(client, login_as, admin):
    login_as(admin)
    page = text(client.get("/admin/settings"))
    assert "Automatic first answers are ON: new tickets get an AI answer" in page
    assert "at least 70% confidence" in page


def test_the_statement_names_the_switch_that_is_off(client, login_as, admin):
    settings_service.update_settings({"AI_RESPONSE_ENABLED": False})
    login_as(admin)
    page = text(client.get("/admin/settings"))
    assert "Automatic first answers are OFF because 'AI responses enabled' is off." in page
    assert "Assistant chat answers are OFF because 'AI responses enabled' is off." in page


def test_two_switches_off_are_both_named(client, login_as, admin):
    settings_service.update_settings({"TICKET_AI_RESPONSE": False, "RESPONSE_AUTO_GENERATE": False})
    login_as(admin)
    page = text(client.get("/admin/settings"))
    assert (
        "Automatic first answers are OFF because 'AI first answer on new tickets' and "
        "'Generate answers automatically' are off." in page
    )
    # The chat needs only the master switch, which is still on.
    assert "Assistant chat answers are ON" in page


@pytest.mark.parametrize("values", list(itertools.product([True, False], repeat=3)))
def test_the_statement_agrees_with_the_first_answer_code(app, values):
    settings_service.update_settings(dict(zip(FIRST, values, strict=True)))
    (behaviour, *_) = settings_help.effective_behaviour(settings_service.all_settings())
    assert behaviour.key == "first-answer"
    assert behaviour.on == first_answer.first_answer_enabled() == all(values)


def test_each_behaviour_links_to_its_switches(client, login_as, admin):
    login_as(admin)
    page = client.get("/admin/settings").get_data(as_text=True)
    for key in FIRST + ("TICKET_CATEGORIZATION", "AI_CATEGORIZATION_ENABLED"):
        assert f'href="#{key}"' in page and f'id="{key}"' in page
