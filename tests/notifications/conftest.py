"""A real SMTP server on 127.0.0.1 (aiosmtpd), and settings that keep the AI out of the way."""

from __future__ import annotations

import socket
import threading

import pytest
from aiosmtpd.controller import Controller

from portal.services import settings as settings_service
from portal.tasks import send_notification_email


@pytest.fixture(autouse=True)
def quiet_workflow(app):
    """Only the notifications under test: no AI first answer, no auto-assignment."""
    settings_service.update_settings(
        {
            "TICKET_AI_RESPONSE": False,
            "RESPONSE_AUTO_GENERATE": False,
            "TICKET_CATEGORIZATION": False,
            "TICKET_PRIORITY_DETECTION": False,
            "TICKET_AUTO_ASSIGN": False,
        }
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []
        self.received = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        self.received.set()
        return "250 OK"


@pytest.fixture
def smtp_server(app):
    """A real SMTP server; the app is configured to send to it."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=controller.port,
        SMTP_USERNAME=None,
        SMTP_TIMEOUT=5,
        MAIL_FROM="support@portal.test",
    )
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def start_smtp(app):
    """start_smtp(handler=None, port=None) runs a real SMTP server on 127.0.0.1 (by default on
    the port the app already sends to) and returns its handler; every one stops at teardown."""
    controllers: list[Controller] = []

    def start(handler=None, port: int | None = None):
        handler = handler or Inbox()
        controller = Controller(handler, hostname="127.0.0.1", port=port or app.config["SMTP_PORT"])
        controller.start()
        controllers.append(controller)
        return handler

    try:
        yield start
    finally:
        for controller in controllers:
            controller.stop()


@pytest.fixture(autouse=True)
def empty_task_schedule():
    """Email retries wait on huey's schedule, which immediate mode never runs: none may leak
    from one test into the next."""
    queue = send_notification_email.huey
    queue.storage.flush_schedule()
    yield
    queue.storage.flush_schedule()


def run_scheduled() -> list:
    """Be the consumer's scheduler without the wait: take every task now on the schedule off it
    and run it once, as if its time had come. Returns the tasks run."""
    queue = send_notification_email.huey
    tasks = queue.scheduled()
    if not tasks:
        return []
    due = queue.read_schedule(max(task.eta for task in tasks))
    for task in due:
        queue.execute(task, timestamp=task.eta)
    return due


@pytest.fixture
def smtp_down(app):
    """SMTP configured, but nothing listens on the port."""
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), SMTP_TIMEOUT=2)


@pytest.fixture
def smtp_silent(app):
    """A server that accepts the connection and never says a word: only the timeout ends it."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=listener.getsockname()[1], SMTP_TIMEOUT=0.3)
    try:
        yield
    finally:
        listener.close()
