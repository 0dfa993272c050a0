"""Polling a mailbox over IMAP (stdlib imaplib) into the mail ingest.

MAIL_IMAP_URL names the mailbox: ``imaps://user:password@host:993/INBOX`` (TLS from the first
byte) or ``imap://user:password@host:143/INBOX`` (STARTTLS when the server offers it; without
it the password is never sent unless MAIL_IMAP_ALLOW_INSECURE_AUTH=true, for a server on a
trusted network). Percent-encode special characters in the user and password.

Unseen messages are fetched with BODY.PEEK (which leaves them unseen) and each is marked
\\Seen only after the ingest has committed its ticket or reply, or deliberately ignored it, or
kept it as failed mail for good (too large). A message the ingest failed on stays unseen and is
tried again on the next poll (its copy is on the admin's "Failed mail" page meanwhile), up to
MAX_ATTEMPTS polls; then it is marked seen too and waits on that page for an admin's retry.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
import ssl
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from flask import current_app

from portal.services import mail_ingest

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30.0
BATCH = 100  # messages per poll; the rest wait for the next one
# A message that failed this many polls is marked seen: its copy stays on the "Failed mail"
# page, and a poison message stops being re-read every minute.
MAX_ATTEMPTS = 5


class ImapConfigError(ValueError):
    pass


@dataclass
class PollResult:
    fetched: int = 0
    kept: int = 0  # marked seen: stored, ignored, duplicate, or kept as failed for good
    left_unseen: int = 0  # failed: tried again next poll

    def __str__(self) -> str:
        return f"{self.fetched} fetched, {self.kept} done, {self.left_unseen} left for next time"


@dataclass
class ImapTarget:
    secure: bool
    host: str
    port: int
    user: str
    password: str
    mailbox: str


def parse_url(url: str) -> ImapTarget:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("imap", "imaps"):
        raise ImapConfigError("MAIL_IMAP_URL must start with imaps:// or imap://")
    if not parts.hostname or parts.username is None:
        raise ImapConfigError("MAIL_IMAP_URL needs a user and a host: imaps://user:pw@host/INBOX")
    secure = parts.scheme == "imaps"
    try:
        port = parts.port or (993 if secure else 143)
    except ValueError as e:
        raise ImapConfigError(f"MAIL_IMAP_URL has a bad port: {e}") from None
    return ImapTarget(
        secure=secure,
        host=parts.hostname,
        port=port,
        user=unquote(parts.username),
        password=unquote(parts.password or ""),
        mailbox=unquote(parts.path.lstrip("/")) or "INBOX",
    )


def _truthy(value) -> bool:
    return str(value or "").strip().lower() in {"1", "true", "yes", "on"}


def connect(target: ImapTarget) -> imaplib.IMAP4:
    cfg = current_app.config
    timeout = float(cfg.get("MAIL_IMAP_TIMEOUT") or DEFAULT_TIMEOUT)
    context = ssl.create_default_context(cafile=cfg.get("MAIL_IMAP_CA_FILE") or None)
    if target.secure:
        conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(
            target.host, target.port, ssl_context=context, timeout=timeout
        )
    else:
        conn = imaplib.IMAP4(target.host, target.port, timeout=timeout)
        if "STARTTLS" in conn.capabilities:
            conn.starttls(ssl_context=context)
        elif not _truthy(cfg.get("MAIL_IMAP_ALLOW_INSECURE_AUTH")):
            conn.logout()
            raise ImapConfigError(
                f"{target.host}:{target.port} offers no TLS, so the IMAP password was not sent "
                "(use imaps://, or MAIL_IMAP_ALLOW_INSECURE_AUTH=true for a trusted server)"
            )
    conn.login(target.user, target.password)
    return conn


def _select(conn: imaplib.IMAP4, mailbox: str) -> None:
    quoted = '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'
    status, data = conn.select(quoted)
    if status != "OK":
        raise ImapConfigError(f"cannot open mailbox {mailbox!r}: {data!r}")


def _raw_message(data) -> bytes | None:
    for item in data or []:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes | bytearray):
            return bytes(item[1])
    return None


def poll(url: str | None = None) -> PollResult:
    """One pass over the mailbox's unseen messages. Raises ImapConfigError or imaplib/OS
    errors when the mailbox cannot be reached (nothing is marked then)."""
    url = url or current_app.config.get("MAIL_IMAP_URL")
    if not url:
        raise ImapConfigError("MAIL_IMAP_URL is not set")
    target = parse_url(url)
    result = PollResult()
    conn = connect(target)
    try:
        _select(conn, target.mailbox)
        status, data = conn.uid("SEARCH", None, "UNSEEN")
        if status != "OK":
            raise imaplib.IMAP4.error(f"SEARCH failed: {data!r}")
        uids = [u for u in (data[0] or b"").split() if re.fullmatch(rb"[0-9]+", u)][:BATCH]
        for uid in uids:
            status, data = conn.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = _raw_message(data) if status == "OK" else None
            if raw is None:
                log.warning("IMAP message uid %s could not be fetched: %r", uid, status)
                result.left_unseen += 1
                continue
            result.fetched += 1
            outcome = mail_ingest.ingest(raw, source="imap")
            done = outcome.permanent or (outcome.failed_id and outcome.attempts >= MAX_ATTEMPTS)
            if outcome.kept or done:
                conn.uid("STORE", uid, "+FLAGS", "(\\Seen)")
                result.kept += 1
            else:
                log.warning("IMAP message uid %s left unseen: %s", uid, outcome.reason)
                result.left_unseen += 1
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            conn.logout()
    if result.fetched or result.left_unseen:
        log.info("IMAP poll of %s@%s: %s", target.user, target.host, result)
    return result
