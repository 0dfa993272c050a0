"""Canned replies' service: placeholders, the sandbox, validation, search, usage and the field
changes a sent reply applies (through the ticket service, audited)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from jinja2.exceptions import SecurityError, UndefinedError

from portal.extensions import db
from portal.models import CannedReply, TicketEvent
from portal.services import canned_replies as canned
from portal.services.errors import PermissionDenied, TicketError
from tests.factories import make_reply, make_ticket, make_user


def _make(author, title="Password reset", body="Hi {{ requester.first_name }}", **kw):
    return canned.create_reply(author, canned.Fields(title=title, body=body, **kw))


@pytest.fixture
def requester(app):
    return make_user("user", name="Uma Requester")


@pytest.fixture
def agent(app):
    return make_user("staff", name="Sam Agent")


@pytest.fixture
def tkt(requester):
    return make_ticket(requester, title="Projector in room 4 is blank")


def test_every_placeholder_is_filled_for_the_ticket(agent, tkt):
    reply = _make(
        agent,
        body="Hi {{ requester.first_name }} ({{ requester.name }}),\n"
        "about #{{ ticket.id }} “{{ ticket.title }}”.\n— {{ agent.name }} / {{ agent.first_name }}",
    )
    assert canned.render(reply, tkt, agent) == (
        f"Hi Uma (Uma Requester),\nabout #{tkt.id} “Projector in room 4 is blank”.\n"
        "— Sam Agent / Sam"
    )


def test_text_in_names_and_titles_is_never_evaluated(agent):
    sly = make_user("user", name="{{ config }} <b>Bold</b>")
    tkt = make_ticket(sly, title="{% for i in 'xxxx' %}loop{% endfor %}")
    reply = _make(agent, body="{{ requester.name }} / {{ ticket.title }}")
    assert canned.render(reply, tkt, agent) == (
        "{{ config }} <b>Bold</b> / {% for i in 'xxxx' %}loop{% endfor %}"
    )


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ("{{ ''.__class__.__mro__ }}", "Only plain placeholders"),
        ("{{ config }}", "Unknown placeholder {{ config }}"),
        ("{{ self }}", "Unknown placeholder {{ self }}"),
        ("{{ request.environ }}", "Unknown placeholder {{ request.environ }}"),
        ("{{ ticket.user.password_hash }}", "Only plain placeholders"),
        ("{{ ticket.user }}", "Unknown placeholder {{ ticket.user }}"),
        ("{{ requester.email }}", "Unknown placeholder {{ requester.email }}"),
        ("{{ requester.first_name * 100000000 }}", "Only plain placeholders"),
        ("{{ requester.first_name|upper }}", "Only plain placeholders"),
        ("{{ requester['first_name'] }}", "Only plain placeholders"),
        ("{{ lipsum(1000) }}", "Only plain placeholders"),
        ("{{ cycler.__init__.__globals__ }}", "Only plain placeholders"),
        ("{% for i in range(999999999) %}x{% endfor %}", "Tags such as {% for %}"),
        (
            "{% for a in ticket.title %}{% for b in ticket.title %}x{% endfor %}{% endfor %}",
            "{% for %}",
        ),
        ("{% set x = 1 %}", "Tags such as {% set %}"),
        ("{% with x = 1 %}{% endwith %}", "Tags such as {% with %}"),
        ("{% filter upper %}x{% endfilter %}", "Tags such as {% filter %}"),
        ("{% include 'base.html' %}", "Tags such as {% include %}"),
        ("{% extends 'base.html' %}", "Tags such as {% extends %}"),
        ("{% macro m() %}{% endmacro %}", "Tags such as {% macro %}"),
        ("Hi {{ requester.first_name", "cannot be read on line 1"),
        ("Hi {% endfor %}", "cannot be read on line 1"),
        ("Line one\n{{ nope }}", "Unknown placeholder {{ nope }} on line 2"),
    ],
)
def test_a_body_that_would_not_render_is_refused_at_save_naming_the_problem(agent, body, named):
    with pytest.raises(TicketError) as e:
        _make(agent, body=body)
    assert e.value.field == "body"
    assert named in e.value.message
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CannedReply)) == 0


def test_the_sandbox_itself_refuses_unsafe_access_even_past_the_check():
    """Defence in depth: the environment the bodies render in is Jinja's immutable sandbox
    with nothing in it."""
    env = canned._ENV
    with pytest.raises(SecurityError):
        env.from_string("{{ ''.__class__.__mro__[1].__subclasses__() }}").render()
    with pytest.raises(SecurityError):
        env.from_string("{{ t.__init__.__globals__ }}").render(t=canned.Fields("a", "b"))
    assert env.globals == {} and env.filters == {} and env.tests == {}
    with pytest.raises(UndefinedError):  # StrictUndefined: no range() to loop over
        env.from_string("{% for i in range(10) %}{% endfor %}").render()


def test_raw_blocks_are_plain_text(agent, tkt):
    reply = _make(agent, body="Type {% raw %}{{ config }}{% endraw %} literally")
    assert canned.render(reply, tkt, agent) == "Type {{ config }} literally"


def test_huge_body_and_title_are_refused(agent):
    with pytest.raises(TicketError) as e:
        _make(agent, body="x" * 200_000)
    assert (e.value.field, e.value.message) == ("body", "Text must be at most 10,000 characters.")
    with pytest.raises(TicketError) as e:
        _make(agent, title="t" * 101)
    assert e.value.field == "title" and "at most 100" in e.value.message


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"title": "   "}, "title"),
        ({"body": ""}, "body"),
        ({"title": "Bad \ud800"}, "title"),
        ({"body": "Bad \ud800"}, "body"),
        ({"set_status": "archived"}, "set_status"),
        ({"set_priority": "extreme"}, "set_priority"),
        ({"set_category": "nonsense"}, "set_category"),
    ],
)
def test_bad_fields_are_refused_beside_the_field(agent, kw, field):
    with pytest.raises(TicketError) as e:
        _make(agent, **kw)
    assert e.value.field == field


def test_titles_are_unique_ignoring_case_and_spaces(agent):
    first = _make(agent, title="Password reset")
    with pytest.raises(TicketError) as e:
        _make(agent, title="  password   RESET ")
    assert e.value.field == "title" and "already has this title" in e.value.message
    other = _make(agent, title="Closing")
    with pytest.raises(TicketError):
        canned.update_reply(other, agent, canned.Fields(title="PASSWORD reset", body="x"))
    # Saving one under its own title is fine.
    canned.update_reply(first, agent, canned.Fields(title="Password reset", body="New text"))
    assert first.body == "New text"


def test_only_staff_manage_them(requester, agent):
    with pytest.raises(PermissionDenied):
        _make(requester)
    reply = _make(agent)
    with pytest.raises(PermissionDenied):
        canned.delete_reply(reply, requester)


def test_shared_with_the_team_any_staff_or_admin_edits_and_deletes(agent):
    reply = _make(agent)
    colleague, admin = make_user("staff"), make_user("admin")
    canned.update_reply(reply, colleague, canned.Fields(title="Reset", body="Hello"))
    assert reply.created_by_id == agent.id and reply.title == "Reset"
    canned.delete_reply(reply, admin)
    assert db.session.get(CannedReply, reply.id) is None


def test_search_titles_first_then_most_used(agent):
    a = _make(agent, title="Closing: no reply", body="We close this")
    b = _make(agent, title="Password reset", body="Use the reset link")
    c = _make(agent, title="Reset MFA", body="Scan the code")
    c.usage_count = 5
    db.session.commit()
    assert canned.search("reset") == [c, b]
    assert canned.search("RESET LINK") == [b]  # body text matches too
    assert canned.search("")[0] == c
    assert canned.search("close") == [a]
    assert canned.search("100%_") == []
    assert canned.search("\ud800\x00") == canned.search("")


def test_preview_uses_a_sample_ticket(agent):
    assert canned.preview(
        "Hi {{ requester.first_name }}, #{{ ticket.id }} — {{ agent.name }}", agent
    ) == ("Hi Alex, #123 — Sam Agent")
    with pytest.raises(TicketError):
        canned.preview("{{ config }}", agent)


def _events(ticket, field):
    return db.session.scalars(
        sa.select(TicketEvent).where(TicketEvent.ticket_id == ticket.id, TicketEvent.field == field)
    ).all()


def test_a_sent_reply_counts_once_and_applies_its_field_changes_audited(agent, tkt):
    reply_tpl = _make(
        agent,
        set_status="resolved",
        set_priority="high",
        set_category="technical",
        assign_to_me=True,
    )
    sent = make_reply(tkt, agent, "Hi Uma")
    use = canned.record_use(str(reply_tpl.id), sent, agent, apply_changes=True)
    assert use is not None and use.error is None
    assert set(use.changed) == {"status", "priority", "category", "assigned_to_id"}
    db.session.expire_all()
    assert (tkt.status, tkt.priority, tkt.category, tkt.assigned_to_id) == (
        "resolved",
        "high",
        "technical",
        agent.id,
    )
    assert db.session.get(CannedReply, reply_tpl.id).usage_count == 1
    [used] = _events(tkt, "canned_reply")
    assert used.new_value == "Password reset" and used.actor_id == agent.id
    [status] = [e for e in _events(tkt, "status") if e.new_value == "resolved"]
    assert status.detail == "canned reply: Password reset"
    assert _events(tkt, "assignee")[-1].new_value == "Sam Agent"
    # The same reply again (a replayed submit): nothing more is counted or changed.
    assert canned.record_use(reply_tpl.id, sent, agent, apply_changes=True) is None
    assert db.session.get(CannedReply, reply_tpl.id).usage_count == 1
    # Another reply that uses it counts again.
    canned.record_use(reply_tpl.id, make_reply(tkt, agent, "More"), agent, apply_changes=False)
    assert db.session.get(CannedReply, reply_tpl.id).usage_count == 2


def test_changes_the_agent_removed_are_not_applied_but_the_use_counts(agent, tkt):
    reply_tpl = _make(agent, set_status="resolved")
    use = canned.record_use(reply_tpl.id, make_reply(tkt, agent, "Hi"), agent, apply_changes=False)
    assert use.changed == {}
    db.session.expire_all()
    assert tkt.status == "in_progress"
    assert reply_tpl.usage_count == 1


def test_a_change_the_ticket_refuses_is_reported_not_raised(agent, tkt):
    reply_tpl = _make(agent, assign_to_me=True)
    sent = make_reply(tkt, agent, "Hi")
    agent.active = False  # assigning to an inactive account is refused by the ticket service
    db.session.commit()
    use = canned.record_use(reply_tpl.id, sent, agent, apply_changes=True)
    assert use.error == "Assign to an active staff member."
    db.session.expire_all()
    assert tkt.assigned_to_id is None
    assert reply_tpl.usage_count == 1


@pytest.mark.parametrize("ident", ["", None, "abc", "99999", "9" * 5000, "-1", "²"])
def test_unknown_ids_use_nothing(agent, tkt, ident):
    assert canned.record_use(ident, make_reply(tkt, agent, "Hi"), agent, apply_changes=True) is None


def test_describe_changes(agent):
    reply_tpl = _make(agent, set_status="resolved", set_priority="urgent", assign_to_me=True)
    assert canned.describe_changes(reply_tpl) == [
        "status Resolved",
        "priority Urgent",
        "assign to me",
    ]


def test_demo_replies_are_valid_and_seeded_once(agent, tkt):
    assert canned.seed_demo_replies(agent) == 3
    assert canned.seed_demo_replies(agent) == 0
    for reply in canned.list_replies():
        text = canned.render(reply, tkt, agent)
        assert "Uma" in text and "{{" not in text
