"""A known week of tickets for the reports: fixed timestamps, replies, resolutions, ratings.

The business calendar is the default (Europe/Berlin, Mon-Fri 09:00-17:00, German holidays):
in early March 2026 Berlin is UTC+1, so business hours are 08:00-16:00 UTC. Every figure the
tests expect is worked out by hand in REPORT below.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import time_machine

from portal.extensions import db
from portal.models import AIConversation
from portal.services import satisfaction
from portal.services import tickets as ticket_service
from tests.factories import make_user

SINCE, UNTIL = date(2026, 3, 2), date(2026, 3, 9)  # Monday to the next Monday


def at(day: int, hour: int, minute: int = 0, month: int = 3):
    return time_machine.travel(datetime(2026, month, day, hour, minute, tzinfo=UTC), tick=False)


def build():
    alice = make_user("staff", name="Alice Agent")
    bob = make_user("staff", name="Bob Agent")
    user = make_user("user", name="Rita Requester")
    t = {}

    def ticket(key, category, agent, when):
        with when:
            t[key] = ticket_service.create_ticket(
                user, title=f"Ticket {key}", description="Something is wrong.", category=category
            )
            if agent is not None:
                ticket_service.assign_ticket(t[key], agent, agent)
        return t[key]

    def reply(key, who, when, **kw):
        with when:
            ticket_service.add_reply(t[key], who, f"Reply on {key}", **kw)

    def resolve(key, who, when):
        with when:
            ticket_service.resolve_ticket(t[key], who)

    def rate(key, rating, when, comment=""):
        with when:
            satisfaction.rate(t[key], user, rating, comment)

    # T7: before the range, resolved inside it (10 business hours: Fri 8 h + Mon 2 h).
    ticket("T7", "technical", alice, at(27, 8, month=2))
    reply("T7", alice, at(27, 9, month=2))
    resolve("T7", alice, at(2, 10))
    # T1: first response 1 h, resolved after 4 h, rated 5.
    ticket("T1", "technical", alice, at(2, 8))
    reply("T1", alice, at(2, 9))
    resolve("T1", alice, at(2, 12))
    rate("T1", 5, at(2, 13), "Quick and kind")
    # T2: created an hour before closing; answered next morning (2 h), resolved at 3 h.
    ticket("T2", "billing", bob, at(2, 15))
    reply("T2", bob, at(3, 9))
    resolve("T2", bob, at(3, 10))
    rate("T2", 3, at(3, 11), '=HYPERLINK("http://evil.test","click")')
    # T3: answered in 30 min, resolved after 8 h, rated 2, reopened, resolved at 12 h, rated 4.
    ticket("T3", "technical", alice, at(3, 8))
    reply("T3", alice, at(3, 8, 30))
    resolve("T3", alice, at(4, 8))
    rate("T3", 2, at(4, 8, 30), "Not fixed")
    with at(4, 9):
        ticket_service.reopen_ticket(t["T3"], user)
    resolve("T3", alice, at(4, 12))
    rate("T3", 4, at(4, 13))
    # T4: no category, no agent; the AI triages it and posts a first answer; stays open.
    ticket("T4", None, None, at(4, 10))
    with at(4, 10, 1):
        ticket_service.update_ticket(t["T4"], None, {"category": "general"}, actor_kind="ai")
        ticket_service.add_reply(
            t["T4"], ticket_service.get_bot_user(), "Try this article.", actor_kind="ai"
        )
    # T6: an internal note (not a response), then a public reply after 2 h; in progress.
    ticket("T6", "billing", alice, at(5, 8))
    reply("T6", alice, at(5, 8, 10), internal=True)
    reply("T6", alice, at(5, 10))
    # T5: created on Saturday; answered Monday 08:00 UTC (0 business hours), resolved at 1 h.
    ticket("T5", "technical", bob, at(7, 10))
    reply("T5", bob, at(9, 8))
    resolve("T5", bob, at(9, 9))
    # T8: the requester closes it without a resolution.
    ticket("T8", "general", bob, at(3, 9))
    with at(3, 10):
        ticket_service.close_ticket(t["T8"], user)
    # An assistant chat that ended without a ticket: deflected.
    with at(5, 12):
        db.session.add(
            AIConversation(user_id=user.id, conversation_id="deflected-1", is_active=False)
        )
        db.session.commit()
    return {"alice": alice, "bob": bob, "user": user, "tickets": t}


# What the reports must say for SINCE..UNTIL, worked out by hand.
REPORT = {
    "tickets_created": 7,  # T1 T2 T3 T4 T5 T6 T8
    "tickets_resolved": 5,  # T7 T1 T2 T3 T5
    "first_responses": 5,  # hours: T5 0, T3 0.5, T1 1, T2 2, T6 2
    "first_response_minutes_median": 60.0,
    "first_response_minutes_p90": 120.0,
    "resolution_minutes_median": 240.0,  # hours: T5 1, T2 3, T1 4, T7 10, T3 12
    "resolution_minutes_p90": 672.0,  # 10 + 0.6 * (12 - 10) = 11.2 h
    "csat_responses": 4,
    "csat_average": 3.5,
    "csat_distribution": {"1": 0, "2": 1, "3": 1, "4": 1, "5": 1},
    "backlog_at_end": 2,  # T4 and T6
}
# Default targets for medium priority: first response 8, resolution 40 business hours.
# First response: T1 T2 T3 T5 T6 answered in time; T4 never answered (due Thu 10:00); T8 was
# closed unanswered (not counted). Resolution: T1 T2 T3 T5 in time; T4 and T6 still open past
# their due (Wed 11 March); T8 closed without a resolution (not counted).
SLA = {
    "first_response_met": 5,
    "first_response_missed": 1,
    "first_response_met_pct": 83.3,
    "resolution_met": 4,
    "resolution_missed": 2,
    "resolution_met_pct": 66.7,
}
BACKLOG = [1, 1, 1, 2, 2, 3, 3, 2]  # at the end of each day, Mon 2 to Mon 9
CREATED = [2, 2, 1, 1, 0, 1, 0, 0]
RESOLVED = [2, 1, 1, 0, 0, 0, 0, 1]
