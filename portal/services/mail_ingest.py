"""Tickets and replies by e-mail: the one ingest both doors use (`flask mail-in`, IMAP polling).

What a message becomes:

- an auto-reply, bounce, list mail or one of our own → ignored and logged (outcome "ignored");
- a Message-ID taken in before → nothing changes ("duplicate");
- a reply (In-Reply-To/References naming a stored Message-ID, a ``[#123]`` token in the
  subject, or a plus address ``support+123@…``) from the ticket's requester, a participant or
  staff → a reply on that ticket through tickets.add_reply ("replied"); staff write a public
  staff reply. A merged ticket's reply goes to the ticket it was merged into. A requester's
  reply to a *closed* ticket opens a new ticket that names the old one: closed means the
  conversation ended (the web asks them to reopen it on purpose), and an old thread that wakes
  up is more often a new problem;
- anything else → a new ticket from the sender through tickets.create_ticket ("created"), so it
  is triaged, auto-assigned, answered and notified like a web ticket. An unknown sender gets a
  requester account without a usable password (they claim it with a password reset);
- a message over MAIL_MAX_BYTES, or one the ingest failed on → its raw bytes are kept as a
  FailedMail row for an admin to read, retry or delete ("failed"). Nothing is lost.

Attachments are not stored yet: their names, types and sizes are in the result (and logged).
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from portal.extensions import db
from portal.models import FailedMail, MailMessage, Ticket, TicketParticipant, User
from portal.models.base import MAX_ID, parse_id, utcnow
from portal.services import mail_parse, users
from portal.services import tickets as ticket_service
from portal.services.errors import NotFound
from portal.services.mail_parse import Attachment, ParsedMail

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 25 * 1024 * 1024
NO_SUBJECT = "(no subject)"
NO_TEXT = "(This e-mail had no text.)"
CUT = "\n\n[… the rest of this e-mail was cut]"
# Characters of a body the reply parser reads: more than any ticket keeps, and a bound on its
# time (its regular expressions take seconds per megabyte).
SCAN_MAX = 100_000
_TOKEN = re.compile(r"\[#([0-9]{1,10})\]")
_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|wg|sv|vs|antw|tr|rif)\s*(\[\d+\])?\s*:\s*)+", re.I)


class FailedMailNotFound(NotFound):
    pass


@dataclass
class IngestResult:
    outcome: str  # created, replied, ignored, duplicate, failed
    reason: str = ""
    ticket_id: int | None = None
    response_id: int | None = None
    failed_id: int | None = None
    # True when the mail was too large: retrying the same bytes cannot help (IMAP marks it
    # seen, the pipe tells the MTA to bounce it); False for an error worth another try.
    permanent: bool = False
    attempts: int = 0  # how often these bytes failed (a FailedMail row's count)
    attachments: list[Attachment] = field(default_factory=list)

    @property
    def kept(self) -> bool:
        """Stored as a ticket or reply, or deliberately dropped: nothing left to do."""
        return self.outcome in ("created", "replied", "ignored", "duplicate")


# ---------------------------------------------------------------------------- config


def max_bytes() -> int:
    value = current_app.config.get("MAIL_MAX_BYTES")
    try:
        return int(value) if value else DEFAULT_MAX_BYTES
    except (TypeError, ValueError):
        log.warning("MAIL_MAX_BYTES=%r is not a number; using %s", value, DEFAULT_MAX_BYTES)
        return DEFAULT_MAX_BYTES


def support_addresses() -> set[str]:
    """Our own addresses: mail from them is a loop; mail to their plus form names a ticket."""
    found = set()
    for key in ("MAIL_FROM", "MAIL_REPLY_TO"):
        addr = mail_parse.parseaddr_lower(current_app.config.get(key) or "")
        if addr:
            found.add(addr)
    return found


# ---------------------------------------------------------------------------- entry points


def ingest(raw: bytes, *, source: str = "pipe", ignore_size_limit: bool = False) -> IngestResult:
    """Take in one raw message. Never raises: a failure is kept as a FailedMail row."""
    limit = max_bytes()
    if len(raw) > limit and not ignore_size_limit:
        reason = (
            f"Too large: {len(raw):,} bytes, over the limit of {limit:,} (MAIL_MAX_BYTES). "
            "Retry here to take it in anyway."
        )
        log.warning("mail from %s refused: %s", source, reason)
        return _failed(raw, source, reason, permanent=True)
    try:
        try:
            result = _ingest(raw)
        except sa.exc.IntegrityError:
            # The same Message-ID raced in through the other door: that copy stands.
            db.session.rollback()
            result = _ingest(raw)
    except Exception as e:
        db.session.rollback()
        log.exception("mail from %s could not be taken in", source)
        return _failed(raw, source, f"{type(e).__name__}: {e}", permanent=False)
    if result.attachments:
        log.info(
            "mail attachments not stored (not supported yet): %s",
            ", ".join(f"{a.name} ({a.content_type}, {a.size} bytes)" for a in result.attachments),
        )
    _forget_failure(raw)
    return result


def retry_failed(failed_id: int) -> IngestResult:
    """An admin's retry: the size limit no longer applies (they chose to take it in)."""
    row = get_failed(failed_id)
    return ingest(row.raw, source=row.source, ignore_size_limit=True)


def get_failed(failed_id: int) -> FailedMail:
    row = db.session.get(FailedMail, failed_id) if 0 < failed_id <= MAX_ID else None
    if row is None:
        raise FailedMailNotFound(failed_id)
    return row


def delete_failed(failed_id: int) -> None:
    row = get_failed(failed_id)
    log.warning("failed mail %s (%s) deleted", row.id, row.subject)
    db.session.delete(row)
    db.session.commit()


def failed_query() -> sa.Select:
    return sa.select(FailedMail).order_by(FailedMail.last_tried_at.desc(), FailedMail.id.desc())


def failed_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(FailedMail)) or 0


# ---------------------------------------------------------------------------- failures


def _digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def _failed(raw: bytes, source: str, reason: str, *, permanent: bool) -> IngestResult:
    """Keep the raw bytes for an admin; the same bytes again update the same row."""
    parsed = _safe_parse_headers(raw)
    digest = _digest(raw)
    try:
        row = db.session.scalar(sa.select(FailedMail).where(FailedMail.digest == digest))
        if row is None:
            row = FailedMail(
                digest=digest,
                raw=raw,
                size=len(raw),
                source=source[:10],
                reason=reason[:255],
                sender=(parsed.sender or None) if parsed else None,
                subject=(parsed.subject[:200] or None) if parsed else None,
            )
            db.session.add(row)
        else:
            row.attempts += 1
            row.reason = reason[:255]
            row.last_tried_at = utcnow()
        db.session.commit()
        return IngestResult(
            "failed", reason, failed_id=row.id, permanent=permanent, attempts=row.attempts
        )
    except Exception:
        db.session.rollback()
        log.exception("could not keep failed mail in the database; writing it to a file")
        path = _write_file(raw, digest)
        return IngestResult("failed", f"{reason} (kept in {path})", permanent=permanent)


def _write_file(raw: bytes, digest: str) -> str | None:
    """The last resort when the database is down: instance/failed-mail/<sha256>.eml."""
    try:
        folder = Path(current_app.instance_path) / "failed-mail"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{digest}.eml"
        path.write_bytes(raw)
        return str(path)
    except Exception:
        log.exception("could not write the failed mail to a file either")
        return None


def _forget_failure(raw: bytes) -> None:
    """A message that went in after all (an MTA re-delivery, the next poll, an admin's retry)
    leaves the failed-mail list."""
    try:
        db.session.execute(sa.delete(FailedMail).where(FailedMail.digest == _digest(raw)))
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("could not clear the failed-mail row")


def _safe_parse_headers(raw: bytes) -> ParsedMail | None:
    try:
        return mail_parse.parse(raw[: 256 * 1024])
    except Exception:
        return None


# ---------------------------------------------------------------------------- the work


def _ingest(raw: bytes) -> IngestResult:
    mail = mail_parse.parse(raw)
    ours = support_addresses()
    label = f"mail {mail.message_id or '(no Message-ID)'} from {mail.sender or '(no From)'}"

    def ignore(reason: str) -> IngestResult:
        log.info("%s ignored: %s", label, reason)
        return IngestResult("ignored", reason, attachments=mail.attachments)

    if mail.auto_reason:
        return ignore(mail.auto_reason)
    if mail.sender is None:
        return ignore("no usable From address")
    if mail.sender in ours:
        return ignore("sent from our own address (a loop)")
    if mail.message_id:
        known = db.session.scalar(
            sa.select(MailMessage).where(MailMessage.message_id == mail.message_id)
        )
        if known is not None and known.direction == "out":
            return ignore("our own Message-ID (a loop)")
        if known is not None:
            log.info("%s is a duplicate: nothing changed", label)
            return IngestResult(
                "duplicate",
                "this Message-ID was taken in before",
                ticket_id=known.ticket_id,
                response_id=known.response_id,
                attachments=mail.attachments,
            )

    author = _author(mail)
    if author is None:
        return ignore("the sender's account is deactivated")

    target, via = _thread(mail, ours)
    follow_up_of: Ticket | None = None
    if target is not None and not _may_reply(author, target):
        log.info("%s names ticket #%s (%s) but is not on it: new ticket", label, target.id, via)
        target = None
    if (
        target is not None
        and target.status == "closed"
        and (not author.is_staff or author.id == target.user_id)
    ):
        follow_up_of, target = target, None

    record = MailMessage(message_id=mail.message_id, direction="in") if mail.message_id else None
    if target is not None:
        body = _new_words(mail.text, ticket_service.REPLY_MAX)
        if record is not None:
            record.ticket_id = target.id
            db.session.add(record)  # committed with the reply, in add_reply's commit
        reply = ticket_service.add_reply(target, author, body)
        if record is not None:
            record.response_id = reply.id
            db.session.commit()
        log.info("%s → reply %s on ticket #%s (%s)", label, reply.id, target.id, via)
        return IngestResult(
            "replied",
            f"threaded by {via}",
            ticket_id=target.id,
            response_id=reply.id,
            attachments=mail.attachments,
        )

    body = _new_words(mail.text, ticket_service.DESCRIPTION_MAX - 40)
    if follow_up_of is not None:
        body = f"Follow-up to closed ticket #{follow_up_of.id}.\n\n{body}"
    with _recorded_with_new_ticket(record):
        ticket = ticket_service.create_ticket(
            author,
            title=_title(mail.subject),
            description=_cut(body, ticket_service.DESCRIPTION_MAX),
        )
    log.info("%s → new ticket #%s", label, ticket.id)
    return IngestResult(
        "created",
        f"follow-up to closed ticket #{follow_up_of.id}" if follow_up_of else "new ticket",
        ticket_id=ticket.id,
        attachments=mail.attachments,
    )


@contextmanager
def _recorded_with_new_ticket(record: MailMessage | None) -> Iterator[None]:
    """Insert the mail's Message-ID row in the same flush as the ticket create_ticket makes:
    one commit holds both (a second copy racing in fails on the unique Message-ID and makes no
    ticket), and the acknowledgement, sent right after that commit, already threads on it."""
    if record is None:
        yield
        return
    session = db.session()

    def attach(sess, _context, _instances) -> None:
        if record.ticket is None:
            new = [obj for obj in sess.new if isinstance(obj, Ticket)]
            if new:
                record.ticket = new[0]

    db.session.add(record)
    sa.event.listen(session, "before_flush", attach)
    try:
        yield
    finally:
        sa.event.remove(session, "before_flush", attach)


def _new_words(text: str, maximum: int) -> str:
    """The mail's new words (quotes and signature cut), at most `maximum` characters."""
    body = mail_parse.latest_reply(text[:SCAN_MAX]) or NO_TEXT
    if len(text) > SCAN_MAX:
        body += CUT
    return _cut(body, maximum)


def _cut(text: str, maximum: int) -> str:
    if len(text) <= maximum:
        return text
    return text[: maximum - len(CUT)] + CUT


def _title(subject: str) -> str:
    title = _TOKEN.sub(" ", subject or "")
    title = " ".join(_PREFIX.sub("", title).split())
    title = title or NO_SUBJECT
    return _cut(title, ticket_service.TITLE_MAX) if len(title) > ticket_service.TITLE_MAX else title


def _author(mail: ParsedMail) -> User | None:
    """The sender's account, or a new requester without a usable password."""
    assert mail.sender is not None
    user = users.find_by_email(mail.sender)
    if user is not None:
        return None if (user.is_bot or not user.active) else user
    name = mail.sender_name or mail.sender.split("@", 1)[0]
    user = User(email=users.normalise_email(mail.sender), name=name[:100], role="user")
    user.password_hash = ""  # no password logs in until they set one through a reset
    db.session.add(user)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:  # the same sender's other mail made it a moment ago
        db.session.rollback()
        user = users.find_by_email(mail.sender)
        if user is None:
            raise
    log.info("new requester account %s (from e-mail)", user.email)
    return user


def _thread(mail: ParsedMail, ours: set[str]) -> tuple[Ticket | None, str]:
    """The ticket a reply belongs to, and how it was found; merges are followed."""
    refs = list(dict.fromkeys(mail.in_reply_to + list(reversed(mail.references))))
    if refs:
        rows = db.session.execute(
            sa.select(MailMessage.message_id, MailMessage.ticket_id).where(
                MailMessage.message_id.in_(refs), MailMessage.ticket_id.is_not(None)
            )
        ).all()
        by_id = {mid: tid for mid, tid in rows}
        for ref in refs:
            if ref in by_id:
                return _follow_merge(db.session.get(Ticket, by_id[ref])), "In-Reply-To/References"
    token = _TOKEN.search(mail.subject or "")
    if token:
        ticket = _ticket(token.group(1))
        if ticket is not None:
            return _follow_merge(ticket), f"[#{ticket.id}] in the subject"
    for addr in mail.recipients:
        local, _, domain = addr.partition("@")
        base, plus, tag = local.partition("+")
        if plus and f"{base}@{domain}" in ours:
            ticket = _ticket(tag)
            if ticket is not None:
                return _follow_merge(ticket), f"the address {addr}"
    return None, ""


def _ticket(raw_id: str) -> Ticket | None:
    ident = parse_id(raw_id)
    return db.session.get(Ticket, ident) if ident else None


def _follow_merge(ticket: Ticket | None) -> Ticket | None:
    seen = set()
    while ticket is not None and ticket.merged_into_id is not None and ticket.id not in seen:
        seen.add(ticket.id)
        ticket = db.session.get(Ticket, ticket.merged_into_id)
    return ticket


def _may_reply(author: User, ticket: Ticket) -> bool:
    if author.is_staff or author.id == ticket.user_id:
        return True
    return (
        db.session.scalar(
            sa.select(TicketParticipant.id).where(
                TicketParticipant.ticket_id == ticket.id, TicketParticipant.user_id == author.id
            )
        )
        is not None
    )
