"""What the AI switches add up to: one plain statement per behaviour, for the settings page.

Several settings of the original specification overlap. The stored keys stay as the
specification names them; this module says which of them each behaviour needs, as the code
that reads them does (services.first_answer, chat, ai_assist, ai_triage and the staff panel):

- automatic first answers: TICKET_AI_RESPONSE and RESPONSE_AUTO_GENERATE and AI_RESPONSE_ENABLED
- the assistant chat for users: AI_RESPONSE_ENABLED
- the staff AI panel: RESPONSE_AI_ASSISTANCE; its drafts and rewrites also AI_RESPONSE_ENABLED
- automatic categories: TICKET_CATEGORIZATION and AI_CATEGORIZATION_ENABLED
- automatic priority: TICKET_PRIORITY_DETECTION
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from portal.services.first_answer import FIRST_ANSWER_SETTINGS
from portal.services.settings import SPEC_BY_KEY


@dataclass(frozen=True)
class Behaviour:
    key: str  # a DOM-friendly name
    title: str
    on: bool
    headline: str  # "Automatic first answers are ON"
    detail: str  # what that means, or why it is off
    switches: tuple[tuple[str, str, bool], ...]  # (setting key, label, on) it depends on

    @property
    def statement(self) -> str:
        """The whole sentence an admin reads."""
        return f"{self.headline}: {self.detail}" if self.on else f"{self.headline} {self.detail}"


def _label(key: str) -> str:
    return SPEC_BY_KEY[key].label


def _quoted(keys: list[str]) -> str:
    names = [f"'{_label(k)}'" for k in keys]
    if len(names) == 1:
        return f"{names[0]} is"
    return ", ".join(names[:-1]) + f" and {names[-1]} are"


def _behaviour(
    key: str, title: str, needs: tuple[str, ...], values: dict[str, Any], on_text: str
) -> Behaviour:
    off = [k for k in needs if not values.get(k)]
    on = not off
    return Behaviour(
        key=key,
        title=title,
        on=on,
        headline=f"{title} are {'ON' if on else 'OFF'}",
        detail=on_text if on else f"because {_quoted(off)} off.",
        switches=tuple((k, _label(k), bool(values.get(k))) for k in needs),
    )


def effective_behaviour(values: dict[str, Any]) -> list[Behaviour]:
    """One Behaviour per thing the AI may do on its own, from the settings as saved."""
    threshold = float(values.get("AI_CONFIDENCE_THRESHOLD", 0.7))
    return [
        _behaviour(
            "first-answer",
            "Automatic first answers",
            tuple(FIRST_ANSWER_SETTINGS),
            values,
            "new tickets get an AI answer when a help article answers them with at least "
            f"{threshold:.0%} confidence (the category's own threshold where one is set); "
            "otherwise staff get a draft.",
        ),
        _behaviour(
            "chat",
            "Assistant chat answers",
            ("AI_RESPONSE_ENABLED",),
            values,
            "people who chat with the assistant get answers from the help articles.",
        ),
        _behaviour(
            "staff-drafts",
            "Reply drafts for staff",
            ("RESPONSE_AI_ASSISTANCE", "AI_RESPONSE_ENABLED"),
            values,
            "the AI panel on a staff ticket suggests a reply, with its sources, and rewrites it.",
        ),
        _behaviour(
            "categories",
            "Automatic categories",
            ("TICKET_CATEGORIZATION", "AI_CATEGORIZATION_ENABLED"),
            values,
            f"a new ticket without a category gets the AI's when it is at least {threshold:.0%} "
            "sure; otherwise staff see a suggestion.",
        ),
        _behaviour(
            "priority",
            "Automatic priorities",
            ("TICKET_PRIORITY_DETECTION",),
            values,
            f"a new ticket gets the AI's priority when it is at least {threshold:.0%} sure; "
            "otherwise staff see a suggestion.",
        ),
    ]
