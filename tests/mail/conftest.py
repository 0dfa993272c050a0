"""Mail-in fixtures: message builders, quiet AI settings, the SMTP capture server, and a
private Dovecot (Debian's dovecot-imapd) on a high port of 127.0.0.1."""

from __future__ import annotations

import imaplib
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest

from portal.services import settings as settings_service
from tests.notifications.conftest import Inbox, free_port, smtp_server  # noqa: F401

SUPPORT = "support@portal.test"


@pytest.fixture(autouse=True)
def mail_app(app):
    """Our address, and no AI first answer or auto-assignment to muddle the replies."""
    app.config.update(MAIL_FROM=f"Support <{SUPPORT}>", MAIL_REPLY_TO=None, MAIL_MAX_BYTES=None)
    settings_service.update_settings(
        {
            "TICKET_AI_RESPONSE": False,
            "RESPONSE_AUTO_GENERATE": False,
            "TICKET_AUTO_ASSIGN": False,
        }
    )
    return app


def make_mail(
    *,
    frm: str = "Uma Reader <uma@example.test>",
    to: str = SUPPORT,
    subject: str | None = "Printer jams on page two",
    body: str = "The printer on floor 3 jams on every second page.",
    html: str | None = None,
    headers: dict | None = None,
    message_id: str | None = None,
) -> bytes:
    msg = EmailMessage()
    if frm:
        msg["From"] = frm
    msg["To"] = to
    if subject is not None:
        msg["Subject"] = subject
    msg["Message-ID"] = message_id or make_msgid(domain="example.test")
    for name, value in (headers or {}).items():
        msg[name] = value
    if html is not None:
        msg.set_content(html, subtype="html")
    else:
        msg.set_content(body)
    return msg.as_bytes()


# ---------------------------------------------------------------------------- Dovecot

DOVECOT_CONF = """
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


def _dovecot_binary() -> str | None:
    return shutil.which("dovecot") or next(
        (p for p in ("/usr/sbin/dovecot",) if os.path.exists(p)), None
    )


@pytest.fixture(scope="session")
def dovecot():
    """A private Dovecot: passwd-file user `tester`, plaintext password, maildir in a temp dir.
    Yields (host, port, user, password). Skipped only when dovecot is not installed (scripts/test
    installs dovecot-imapd as root; on CI a missing dovecot fails)."""
    binary = _dovecot_binary()
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("dovecot is not installed: scripts/test installs dovecot-imapd")
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd)")
    # Not under pytest's temp dir (mode 0700): Dovecot's auth and mail processes run as other
    # users and must read the passwd file and write the maildirs.
    root = Path(tempfile.mkdtemp(prefix="portal-dovecot-"))
    root.chmod(0o755)
    for sub in ("run", "state", "mail", "home"):
        (root / sub).mkdir()
    if os.getuid() == 0:
        uid = gid = 65534  # dovecot refuses to store mail as root: nobody owns the maildirs
        for sub in ("mail", "home"):
            (root / sub).chmod(0o777)
    else:
        uid, gid = os.getuid(), os.getgid()
    port = free_port()
    (root / "passwd").write_text("tester:{PLAIN}secret-pw::::::\n")
    conf = root / "dovecot.conf"
    conf.write_text(DOVECOT_CONF.format(root=root, uid=uid, gid=gid, port=port))
    proc = subprocess.Popen(
        [binary, "-F", "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        _wait_for_port(port, proc, root)
        yield ("127.0.0.1", port, "tester", "secret-pw")
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(root, ignore_errors=True)


def _wait_for_port(port: int, proc: subprocess.Popen, root: Path) -> None:
    for _ in range(100):
        if proc.poll() is not None:
            log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
            out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
            pytest.fail(f"dovecot did not start: {out}\n{log}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail("dovecot did not open its port")


class Mailbox:
    """One fresh IMAP folder per test, filled with IMAP APPEND."""

    def __init__(self, host: str, port: int, user: str, password: str) -> None:
        self.host, self.port, self.user, self.password = host, port, user, password
        self.folder = f"t{uuid.uuid4().hex[:10]}"
        with self.connect() as conn:
            conn.create(self.folder)

    @property
    def url(self) -> str:
        return f"imap://{self.user}:{self.password}@{self.host}:{self.port}/{self.folder}"

    def connect(self) -> imaplib.IMAP4:
        conn = imaplib.IMAP4(self.host, self.port, timeout=10)
        conn.login(self.user, self.password)
        return conn

    def append(self, raw: bytes) -> None:
        with self.connect() as conn:
            status, _ = conn.append(self.folder, None, None, raw)
            assert status == "OK"

    def unseen(self) -> int:
        with self.connect() as conn:
            conn.select(self.folder)
            _, data = conn.uid("SEARCH", None, "UNSEEN")
            return len(data[0].split())

    def total(self) -> int:
        with self.connect() as conn:
            _, data = conn.select(self.folder)
            return int(data[0])


@pytest.fixture
def mailbox(dovecot, app):
    box = Mailbox(*dovecot)
    app.config.update(MAIL_IMAP_URL=box.url, MAIL_IMAP_ALLOW_INSECURE_AUTH=True)
    return box
