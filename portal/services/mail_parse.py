"""Reading one RFC 5322 message into plain values, best effort and never raising.

A lying or unknown charset, a malformed header, no From, HTML-only mail: every case gives text
(possibly with replacement characters) and the ingest decides what to do. Quoted history and
signatures are cut with mail-parser-reply (MIT, maintained, several languages); HTML becomes
plain text here (tags dropped, quoted blocks skipped), so no mail's HTML is ever stored.
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass, field
from email import policy
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

from mailparser_reply import EmailReplyParser

log = logging.getLogger(__name__)

MAX_ADDRESSES = 1000  # recipients read for a plus address; the rest are not looked at
MAX_REFERENCES = 100
REPLY_LANGUAGES = ["en", "de", "fr", "nl", "it", "es", "da", "sv", "pl"]
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MSGID = re.compile(r"<([^<>\s]{1,998})>")
_ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"]{1,64}@[A-Za-z0-9.\-]{1,253}\.[A-Za-z0-9\-]{1,63}$")


@dataclass
class Attachment:
    name: str
    content_type: str
    size: int
    inline: bool


@dataclass
class ParsedMail:
    message_id: str | None = None
    sender: str | None = None  # the From address, lower-case, or None when there is none
    sender_name: str = ""
    subject: str = ""
    text: str = ""  # the whole body as plain text
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)  # To, Cc, Delivered-To, X-Original-To
    return_path_empty: bool = False
    auto_reason: str | None = None  # why this is an auto-reply, bounce or list mail
    attachments: list[Attachment] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)


def clean_text(text: str) -> str:
    """Text any database stores: no NUL or control characters, no lone surrogates."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


def one_line(text: str) -> str:
    return " ".join(clean_text(text).split())


def decode_bytes(data: bytes, charset: str | None) -> str:
    """The declared charset when it is known and true, else UTF-8, else Windows-1252."""
    for candidate in (charset, "utf-8"):
        if not candidate:
            continue
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError, ValueError):
            continue
    return data.decode("cp1252", "replace")


def _header(msg: Message, name: str) -> str:
    """A header as text; a header the parser cannot read comes back as its raw text."""
    try:
        value = msg.get(name)
    except Exception:  # the email package still raises on some malformed headers
        value = next((v for k, v in msg.raw_items() if k.lower() == name.lower()), None)
    if value is None:
        return ""
    try:
        return one_line(str(value))
    except Exception:
        return ""


def _headers(msg: Message, name: str) -> list[str]:
    try:
        values = msg.get_all(name) or []
    except Exception:
        values = []
    out = []
    for v in values:
        try:
            out.append(one_line(str(v)))
        except Exception as e:
            log.info("unreadable %s header skipped: %s", name, e)
    return out


def normalise_message_id(value: str) -> str | None:
    """`<abc@host>` → `abc@host`; None when there is none. Kept within the column's size."""
    found = _MSGID.search(value or "")
    ident = found.group(1) if found else (value or "").strip()
    if not ident or any(c.isspace() for c in ident):
        return None
    return clean_text(ident)[:255]


def message_ids(value: str) -> list[str]:
    return [clean_text(m)[:255] for m in _MSGID.findall(value or "")][:MAX_REFERENCES]


def plausible_address(address: str) -> bool:
    return bool(_ADDRESS.match(address or "")) and len(address) <= 254


def parseaddr_lower(value: str) -> str | None:
    """The address in `Name <a@b>` (lower-case), or None when it is not a plausible one."""
    try:
        addr = clean_text(parseaddr(value or "")[1]).strip().lower()
    except Exception:
        return None
    return addr if plausible_address(addr) else None


def _addresses(values: list[str]) -> list[str]:
    try:
        pairs = getaddresses(values)
    except Exception:
        return []
    out = []
    for _name, addr in pairs[:MAX_ADDRESSES]:
        addr = clean_text(addr).strip().lower()
        if plausible_address(addr):
            out.append(addr)
    return out


def _auto_reason(msg: Message, sender: str | None, return_path: str) -> str | None:
    auto = _header(msg, "Auto-Submitted").lower()
    if auto and not auto.startswith("no"):
        return f"Auto-Submitted: {auto[:40]}"
    precedence = _header(msg, "Precedence").lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Auto-Response"):
        if _header(msg, name):
            return f"{name} header"
    if _header(msg, "X-Autogenerated").lower() in ("reply", "forward", "group"):
        return "X-Autogenerated header"
    if sender:
        local = sender.split("@", 1)[0]
        if local in ("mailer-daemon", "postmaster") or local.startswith("mailer-daemon"):
            return f"sender {local}"
    if return_path.replace(" ", "") == "<>":
        return "Return-Path <> (a bounce)"
    try:
        if msg.get_content_type() == "multipart/report":
            return "a delivery or read report"
    except Exception as e:
        log.info("content type unreadable: %s", e)
    return None


class _TextFromHTML(HTMLParser):
    """HTML → plain text: block elements break lines, quoted blocks and scripts are skipped."""

    BLOCK = {
        "p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "table",
        "ul", "ol", "hr", "section", "article", "header", "footer",
    }  # fmt: skip
    SKIP = {"script", "style", "head", "title", "blockquote", "template"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.divs: list[bool] = []  # open <div>s: True for a mail client's quoted block

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        elif tag == "div":
            classes = " ".join(v or "" for k, v in attrs if k == "class")
            quote = "gmail_quote" in classes or "moz-cite-prefix" in classes
            self.divs.append(quote)
            if quote:
                self.skipping += 1
        if tag in self.BLOCK:
            self.parts.append("\n")
        if tag == "li" and not self.skipping:
            self.parts.append("- ")

    def handle_startendtag(self, tag, attrs):
        if tag in ("br", "hr"):
            self.parts.append("\n")

    def handle_endtag(self, tag):
        closes_quote = tag == "div" and bool(self.divs) and self.divs.pop()
        if (tag in self.SKIP or closes_quote) and self.skipping:
            self.skipping -= 1
        if tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    parser = _TextFromHTML()
    try:
        parser.feed(markup)
        parser.close()
        text = "".join(parser.parts)
    except Exception:  # never: but a broken page must still give something
        text = html.unescape(re.sub(r"<[^>]*>", " ", markup))
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _part_text(part: Message) -> str:
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if payload is None:
        raw = part.get_payload()
        return raw if isinstance(raw, str) else ""
    try:
        charset = part.get_content_charset()
    except Exception:
        charset = None
    return decode_bytes(payload, charset)


def _is_attachment(part: Message) -> bool:
    try:
        disposition = (part.get_content_disposition() or "").lower()
        filename = part.get_filename()
    except Exception:
        return False
    return disposition == "attachment" or bool(filename)


def _walk(msg: Message, parsed: ParsedMail) -> tuple[list[str], list[str]]:
    plain: list[str] = []
    htmls: list[str] = []
    try:
        parts = list(msg.walk())
    except Exception:
        parts = [msg]
    for part in parts[:500]:
        try:
            if part.is_multipart():
                continue
            ctype = part.get_content_type()
        except Exception as e:
            log.info("unreadable MIME part skipped: %s", e)
            continue
        if _is_attachment(part) or not ctype.startswith("text/"):
            if ctype.startswith("multipart/") or ctype == "message/rfc822":
                continue
            try:
                payload = part.get_payload(decode=True) or b""
                name = one_line(part.get_filename() or "")[:255]
                inline = (part.get_content_disposition() or "") == "inline"
            except Exception:
                payload, name, inline = b"", "", False
            parsed.attachments.append(
                Attachment(name=name or "(unnamed)", content_type=ctype, size=len(payload),
                           inline=inline)
            )  # fmt: skip
            continue
        if ctype == "text/html":
            htmls.append(_part_text(part))
        else:
            plain.append(_part_text(part))
    return plain, htmls


def parse(raw: bytes) -> ParsedMail:
    """Everything the ingest needs from a message; never raises for any input."""
    parsed = ParsedMail()
    try:
        msg: Message = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception as e:  # the parser is lenient; keep going on the text we can read
        log.warning("mail could not be parsed (%s); reading it as text", e)
        parsed.text = clean_text(decode_bytes(raw, None))
        parsed.defects.append(f"unparseable: {type(e).__name__}")
        return parsed
    parsed.defects = [type(d).__name__ for d in getattr(msg, "defects", [])][:20]
    parsed.message_id = normalise_message_id(_header(msg, "Message-ID"))
    from_header = _header(msg, "From")
    try:
        name, addr = parseaddr(from_header)
    except Exception:
        name, addr = "", ""
    addr = clean_text(addr).strip().lower()
    parsed.sender = addr if plausible_address(addr) else None
    parsed.sender_name = one_line(name)[:100]
    parsed.subject = _header(msg, "Subject")
    parsed.in_reply_to = message_ids(_header(msg, "In-Reply-To"))
    parsed.references = message_ids(" ".join(_headers(msg, "References")))
    parsed.recipients = _addresses(
        _headers(msg, "To")
        + _headers(msg, "Cc")
        + _headers(msg, "Delivered-To")
        + _headers(msg, "X-Original-To")
        + _headers(msg, "Envelope-To")
    )
    return_path = _header(msg, "Return-Path")
    parsed.return_path_empty = return_path.replace(" ", "") == "<>"
    parsed.auto_reason = _auto_reason(msg, parsed.sender, return_path)
    plain, htmls = _walk(msg, parsed)
    text = "\n\n".join(t for t in plain if t.strip())
    if not text.strip() and htmls:
        text = "\n\n".join(html_to_text(h) for h in htmls)
    parsed.text = clean_text(text).strip()
    return parsed


def latest_reply(text: str) -> str:
    """The new words of a mail: quoted history, reply headers and signatures cut off.
    Falls back on the whole text when the parser finds nothing (or fails)."""
    if not text.strip():
        return ""
    try:
        mail = EmailReplyParser(languages=REPLY_LANGUAGES).read(text=text)
        body = mail.replies[0].body if mail.replies else ""
    except Exception:
        log.exception("reply parsing failed; keeping the whole text")
        body = ""
    body = _strip_quoted_lines(body or "")
    return body.strip() or text.strip()


def _strip_quoted_lines(text: str) -> str:
    """Lines starting with '>' at the end (what the parser left), and a '-- ' signature."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.rstrip() == "--" and line.startswith("--"):
            lines = lines[:i]
            break
    while lines and (not lines[-1].strip() or lines[-1].lstrip().startswith(">")):
        lines.pop()
    return "\n".join(lines)


__all__ = [
    "Attachment",
    "ParsedMail",
    "clean_text",
    "html_to_text",
    "latest_reply",
    "message_ids",
    "normalise_message_id",
    "parse",
    "plausible_address",
]
