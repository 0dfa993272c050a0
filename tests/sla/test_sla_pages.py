"""The SLA as people see it: admin targets and calendar settings, the queue's Due column and
views, the staff ticket's clock. Bad input gets a 422 beside the field and saves nothing."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime as D

import pytest
import time_machine

from portal.extensions import db
from portal.models import Setting, SLAPolicy
from portal.services import settings as settings_service
from portal.services import sla
from tests.factories import make_reply, make_ticket
from tests.helpers import assert_fragment
from tests.test_access_matrix import _settings_form

MON_0900 = D(2026, 3, 2, 8, 0)


def at(moment: D):
    return time_machine.travel(moment.replace(tzinfo=UTC), tick=False)


def policies() -> list[tuple]:
    db.session.expire_all()
    return sorted(
        (p.priority, p.category or "", p.first_response_hours, p.resolution_hours)
        for p in db.session.query(SLAPolicy)
    )


def test_admin_edits_targets(client, login_as, admin):
    login_as(admin)
    page = client.get("/admin/sla").get_data(as_text=True)
    assert 'name="fr-urgent-default" id="fr-urgent-default" value="1"' in page
    resp = client.post(
        "/admin/sla",
        data={
            "fr-urgent-default": "0.5", "res-urgent-default": "6",
            "fr-high-default": "4", "res-high-default": "24",
            "fr-medium-default": "8", "res-medium-default": "",
            "fr-low-default": "", "res-low-default": "",
            "fr-high-billing": "2",
        },
    )  # fmt: skip
    assert resp.status_code == 303
    assert policies() == [
        ("high", "", 4.0, 24.0),
        ("high", "billing", 2.0, None),
        ("low", "", None, None),
        ("medium", "", 8.0, None),
        ("urgent", "", 0.5, 6.0),
    ]
    assert sla.targets_for("high", "billing") == sla.Targets(2.0, 24.0)
    assert sla.targets_for("low", None) == sla.Targets(None, None)


@pytest.mark.parametrize("bad", ["0", "-4", "abc", "nan", "inf", "1e9", "4" * 5000])
def test_bad_targets_are_a_422_beside_the_field_and_nothing_changes(
    client, login_as, admin, hx, bad
):
    login_as(admin)
    sla.save_policies({("urgent", None): (1.0, 8.0)})
    before = policies()
    data = {"fr-urgent-default": "2", "res-urgent-default": bad, "fr-low-default": "3"}
    resp = client.post("/admin/sla", data=data, headers=hx)
    assert resp.status_code == 422
    assert_fragment(resp)
    html = resp.get_data(as_text=True)
    assert 'id="res-urgent-default-error"' in html
    assert "Resolution, Urgent" in html
    assert 'value="2"' in html  # what was typed stays
    assert policies() == before


def test_an_htmx_save_answers_the_form_with_a_toast(client, login_as, admin, hx):
    login_as(admin)
    resp = client.post("/admin/sla", data={"fr-urgent-default": "2"}, headers=hx)
    assert resp.status_code == 200
    assert_fragment(resp)
    assert "SLA targets saved" in resp.headers["HX-Trigger"]
    assert sla.targets_for("urgent", None).first_response_hours == 2.0


def test_users_and_staff_never_see_sla_admin_pages(client, login_as, user, staff):
    for who in (user, staff):
        login_as(who)
        assert client.get("/admin/sla").status_code == 403
        assert client.post("/admin/sla", data={"fr-urgent-default": "9"}).status_code == 403
        assert client.get("/admin/settings").status_code == 403
    assert policies() == []  # nothing was written (the defaults are built in)


def _settings(**changes):
    data = dict(_settings_form)
    data.update(changes)
    return data


def test_closure_dates_in_the_wrong_format_are_refused_naming_the_line(client, login_as, admin, hx):
    login_as(admin)
    resp = client.post(
        "/admin/settings",
        data=_settings(SLA_CLOSURE_DATES="2026-12-24\n31/12/2026", SLA_WARN_MINUTES="15"),
        headers=hx,
    )
    assert resp.status_code == 422
    assert_fragment(resp)
    html = resp.get_data(as_text=True)
    assert "Line 2: &#39;31/12/2026&#39; is not a date as YYYY-MM-DD." in html
    assert 'id="SLA_CLOSURE_DATES-error"' in html
    assert db.session.get(Setting, "SLA_CLOSURE_DATES") is None
    assert db.session.get(Setting, "SLA_WARN_MINUTES") is None  # nothing saved


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("SLA_TIMEZONE", "Mars/Olympus", "Unknown time zone"),
        ("SLA_WORK_HOURS", "17:00-09:00", "must end after"),
        ("SLA_WORK_DAYS", "Someday", "not a day"),
        ("SLA_HOLIDAY_COUNTRY", "XX", "No public holidays known"),
        ("SLA_HOLIDAY_SUBDIV", "ZZ", "DE has no region"),
        ("SLA_ESCALATE_TO", "not an address", "staff member"),
    ],
)
def test_bad_calendar_settings_are_refused(client, login_as, admin, key, value, message):
    login_as(admin)
    resp = client.post("/admin/settings", data=_settings(**{key: value}))
    assert resp.status_code == 422
    assert message in resp.get_data(as_text=True)
    assert db.session.get(Setting, key) is None


def test_good_calendar_settings_are_saved_and_used(client, login_as, admin):
    login_as(admin)
    resp = client.post(
        "/admin/settings",
        data=_settings(
            SLA_TIMEZONE="America/New_York", SLA_WORK_DAYS="Mon-Thu", SLA_WORK_HOURS="08:00-16:00",
            SLA_HOLIDAY_COUNTRY="us", SLA_CLOSURE_DATES="2026-12-31\r\n\r\n2026-12-24",
        ),
    )  # fmt: skip
    assert resp.status_code == 303
    assert settings_service.get_setting("SLA_CLOSURE_DATES") == "2026-12-24\n2026-12-31"
    assert settings_service.get_setting("SLA_HOLIDAY_COUNTRY") == "US"
    from portal.services.business_time import current_calendar

    cal = current_calendar()
    assert cal.timezone == "America/New_York" and cal.start_minute == 480
    assert cal.holiday_name(D(2026, 12, 25).date()) is not None


def test_queue_shows_business_time_left_and_sorts_by_due(client, login_as, user, staff):
    with at(MON_0900):
        medium = make_ticket(user, priority="medium", title="Medium one")
        urgent = make_ticket(user, priority="urgent", title="Urgent one")
        waiting = make_ticket(user, priority="high", title="Waiting one")
        make_reply(waiting, staff, "Could you send a screenshot?")
    with at(D(2026, 3, 2, 8, 50)):  # Mon 09:50 CET
        login_as(staff)
        html = client.get("/staff/?sort=due").get_data(as_text=True)
    assert "Due" in html
    assert "10 m left" in html  # urgent: due 10:00 CET
    assert "7 h 10 m left" in html  # medium: due 17:00 CET
    assert "paused" in html
    assert html.index("Urgent one") < html.index("Medium one") < html.index("Waiting one")
    with at(D(2026, 3, 2, 9, 35)):
        html = client.get("/staff/").get_data(as_text=True)
    assert "overdue 35 m" in html
    assert medium.id and urgent.id


def test_breaching_and_breached_views(client, login_as, user, staff, hx):
    with at(MON_0900):
        urgent = make_ticket(user, priority="urgent", title="Urgent one")
        medium = make_ticket(user, priority="medium", title="Medium one")
    with at(D(2026, 3, 2, 8, 30)):
        login_as(staff)
        breaching = client.get("/staff/?view=breaching").get_data(as_text=True)
        breached = client.get("/staff/?view=breached", headers=hx)
    assert "Urgent one" in breaching and "Medium one" not in breaching
    assert_fragment(breached)
    assert "No active ticket is past its SLA due time." in breached.get_data(as_text=True)
    with at(D(2026, 3, 2, 9, 30)):
        html = client.get("/staff/?view=breached").get_data(as_text=True)
    assert "Urgent one" in html and "Medium one" not in html
    assert 'id="view-count-breached">1<' in html
    assert urgent.id and medium.id


def test_staff_ticket_page_shows_the_clock(client, login_as, user, staff):
    with at(MON_0900):
        ticket = make_ticket(user, priority="urgent")
    with at(D(2026, 3, 2, 8, 20)):
        login_as(staff)
        html = client.get(f"/staff/tickets/{ticket.id}/").get_data(as_text=True)
    assert "Service level" in html and "40 m left" in html
    assert "Mon 2 Mar 2026, 10:00 CET" in html  # on the business calendar's clock
    with at(D(2026, 3, 2, 8, 30)):
        make_reply(ticket, staff, "On it.")
        html = client.get(f"/staff/tickets/{ticket.id}/").get_data(as_text=True)
    assert "met" in html and "waiting on the requester" in html
    assert "first response met" in html  # the timeline


def test_requesters_do_not_see_the_staff_clock(client, login_as, user):
    with at(MON_0900):
        ticket = make_ticket(user, priority="urgent")
    login_as(user)
    html = client.get(f"/tickets/{ticket.id}/").get_data(as_text=True)
    assert "Service level" not in html
