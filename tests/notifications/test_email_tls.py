"""SMTP credentials never cross the wire without TLS; implicit TLS (465) and STARTTLS work
against a real aiosmtpd server with a certificate from a test CA."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from portal.extensions import db
from portal.models import Notification
from portal.services import tickets as ticket_service
from tests.factories import make_ticket
from tests.notifications.conftest import Inbox, free_port


class Recorder(Inbox):
    """An inbox that also records every AUTH attempt (username, password)."""

    def __init__(self) -> None:
        super().__init__()
        self.logins: list[tuple[str, str]] = []

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword):
            self.logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=True)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1, its key, and the file a client trusts."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def server_context(certificate) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*map(str, certificate))
    return context


@pytest.fixture
def run_server(app):
    controllers: list[Controller] = []

    def start(**kwargs) -> tuple[Recorder, int]:
        handler = Recorder()
        port = free_port()
        controller = Controller(
            handler,
            hostname="127.0.0.1",
            port=port,
            authenticator=handler.authenticate,
            **kwargs,
        )
        controller.start()
        controllers.append(controller)
        app.config.update(
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=port,
            SMTP_USERNAME="mailer",
            SMTP_PASSWORD="s3cret-pass",
            SMTP_TIMEOUT=5,
            SMTP_SECURITY=None,
            SMTP_ALLOW_INSECURE_AUTH=False,
            SMTP_TLS_CA_FILE=None,
            MAIL_FROM="support@portal.test",
        )
        return handler, port

    try:
        yield start
    finally:
        for controller in controllers:
            controller.stop()


def reply_notification(user, staff) -> Notification:
    """The notification (and its email) of a staff reply to the user's ticket."""
    ticket = make_ticket(user)
    ticket_service.add_reply(ticket, staff, "Fixed it.")
    db.session.expire_all()
    return db.session.scalars(
        sa.select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.id.desc())
    ).first()


def test_no_tls_offered_means_the_password_is_never_sent(app, user, staff, run_server):
    # The server would happily take AUTH in the clear; the portal must not offer it.
    server, _ = run_server(auth_require_tls=False)
    note = reply_notification(user, staff)
    assert note.email_status == "failed"
    assert "offers no TLS" in note.email_error and "password was not sent" in note.email_error
    assert server.logins == [] and server.messages == []


def test_insecure_auth_only_when_explicitly_allowed(app, user, staff, run_server):
    server, _ = run_server(auth_require_tls=False)
    app.config["SMTP_ALLOW_INSECURE_AUTH"] = True
    note = reply_notification(user, staff)
    assert note.email_status == "sent"
    assert set(server.logins) == {("mailer", "s3cret-pass")}
    assert server.messages


def test_unauthenticated_relay_without_tls_still_gets_mail(app, user, staff, run_server):
    server, _ = run_server(auth_require_tls=False)
    app.config["SMTP_USERNAME"] = None
    note = reply_notification(user, staff)
    assert note.email_status == "sent" and server.messages and server.logins == []


def test_starttls_then_login(app, user, staff, run_server, certificate):
    server, _ = run_server(tls_context=server_context(certificate), require_starttls=True)
    app.config["SMTP_TLS_CA_FILE"] = str(certificate[0])
    note = reply_notification(user, staff)
    assert note.email_status == "sent", note.email_error
    assert set(server.logins) == {("mailer", "s3cret-pass")}
    assert "replied to your ticket" in server.messages[-1].content.decode()


def test_implicit_tls(app, user, staff, run_server, certificate):
    # aiosmtpd does not see implicit TLS as TLS when deciding whether to offer AUTH.
    server, _ = run_server(ssl_context=server_context(certificate), auth_require_tls=False)
    app.config.update(SMTP_SECURITY="ssl", SMTP_TLS_CA_FILE=str(certificate[0]))
    note = reply_notification(user, staff)
    assert note.email_status == "sent", note.email_error
    assert set(server.logins) == {("mailer", "s3cret-pass")}


def test_untrusted_certificate_is_refused_and_not_retried(
    app, user, staff, run_server, certificate
):
    server, _ = run_server(ssl_context=server_context(certificate))
    app.config["SMTP_SECURITY"] = "ssl"  # no CA file: the test CA is not trusted
    note = reply_notification(user, staff)
    assert note.email_status == "failed"
    assert "CERTIFICATE_VERIFY_FAILED" in note.email_error
    assert server.logins == [] and server.messages == []


def test_unknown_security_mode_is_a_clear_failure(app, user, staff, run_server):
    server, _ = run_server(auth_require_tls=False)
    app.config["SMTP_SECURITY"] = "tls-please"
    note = reply_notification(user, staff)
    assert note.email_status == "failed"
    assert "SMTP_SECURITY='tls-please'" in note.email_error
    assert server.messages == []
