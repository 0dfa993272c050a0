"""Removing one customer's details from a staff reply before it can reach another customer.

A resolved ticket's staff answer is reusable wording ("forget the network and connect
again"), wrapped in that customer's identifiers: their name and the staff member's, e-mail
addresses, phone, order, invoice and card numbers, amounts, postal addresses, links carrying
tokens, and secrets given out ("your temporary password is …"). Drafts may quote the wording;
the identifiers are replaced by a bracketed placeholder a person can see was removed.

Deliberately greedy: a lost version number costs a draft a little precision, a leaked invoice
number costs a customer their privacy.
"""

from __future__ import annotations

import re

_GREETING = re.compile(
    r"^\s*(hello|hi|hey|dear|good (?:morning|afternoon|evening))\b[^,!\n]{0,60}([,!])",
    re.IGNORECASE,
)
_SIGN_OFF = re.compile(
    r"((?:best|kind|warm)?\s*(?:regards|wishes|cheers|thanks|thank you|best|sincerely),?)"
    r"[ \t]*\n[ \t]*[^\n]{1,60}\s*$",
    re.IGNORECASE,
)
# Starts only where a run of address characters starts: linear on a 20,000-character run.
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A link's path and host are reusable; its query string and fragment may carry a token.
_LINK_QUERY = re.compile(r"(https?://[^\s?#<>\"']+)[?#][^\s<>\"']*", re.IGNORECASE)
# "password: x", "PIN is 12ab", "code 'sunshine'": the keyword stays, the value goes. Without
# ":" or "=" or quotes the value must hold a digit or a symbol, so that "the reset code was
# sent" keeps its words.
_SECRET_WORDS = (
    r"\b(passwords?|passcodes?|passphrases?|pins?|codes?|tokens?|keys?|secrets?|otp|"
    r"vouchers?|coupons?)\b"
)
_SECRET_ASSIGNED = re.compile(
    _SECRET_WORDS + r"(\s*[:=]\s*|\s+(?:is|was)?\s*(?=[\"'`]))([\"'`]?)[^\s\"'`,;]*[^\s\"'`,;.]\3",
    re.IGNORECASE,
)
_SECRET_STATED = re.compile(
    _SECRET_WORDS
    + r"(\s+(?:is\s+|was\s+)?)(?!\d{1,3}\b)(?=[^\s,;]*[\d!@$%^&*+=?~])[^\s,;]*[^\s,;.]",
    re.IGNORECASE,
)
_AMOUNT = re.compile(
    r"(?:[$€£¥]|\b(?:USD|EUR|GBP|CHF|CAD|AUD|INR|JPY)\s?)\s?\d(?:[\d,']|\.\d)*"
    r"|\b\d[\d.,']*\s?(?:[$€£¥]|(?:USD|EUR|GBP|CHF|CAD|AUD|INR|JPY|dollars?|euros?|pounds?)\b)",
    re.IGNORECASE,
)
_STREET = re.compile(
    r"\b\d{1,5}[A-Za-z]?\s+(?:[A-Z][\w'-]*\s+){1,4}"
    r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Boulevard|Blvd|Way|Court|Ct|Place|Pl|"
    r"Square|Sq|Terrace|Close|Crescent|Gardens|Strasse|Straße|Weg|Platz|Gasse)\b\.?",
)
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b")  # UK style; numeric ones below
# Codes that mix letters and digits with at least three digits: INV-2024-0042, ORD88231, A1B2C3.
_REFERENCE = re.compile(
    r"(?<![\w-])(?=[A-Za-z0-9-]*[A-Za-z])(?=(?:[A-Za-z-]*\d){3})[A-Za-z0-9][A-Za-z0-9-]{3,}(?![\w-])"
)
# Random-looking strings (API keys, one-time links' tokens) of 16+ letters and digits.
_OPAQUE = re.compile(r"(?<![\w-])(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])[\w-]{16,}(?![\w-])")
# Four or more digits, possibly grouped: card endings, order and phone numbers, postcodes.
_NUMBER = re.compile(r"(?<![\w.])\+?\d(?:[\s()-]?\d){3,}(?![\w])")
_MASKED_CARD = re.compile(r"(?:[*x•X]{2,}[\s-]?)+\[number\]")
_TICKET_REF = re.compile(r"#\s?\d+")


def _names(text: str, names: tuple[str, ...]) -> str:
    """Whole names in any case; their capitalised parts ("Olivia") as written, so that the
    staff member "Sam Staff" takes "Staff" but leaves "a member of staff will help"."""
    for name in sorted({n.strip() for n in names if n and n.strip()}, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", "[name]", text, flags=re.IGNORECASE)
        for part in name.split():
            if len(part) >= 3 and part[0].isupper():
                text = re.sub(rf"(?<!\w){re.escape(part)}(?!\w)", "[name]", text)
    return text


def redact(text: str, *, names: tuple[str, ...] = ()) -> str:
    """`text` with the details of the people it was written to and by replaced.

    `names` are the people involved (the requester, the staff member who wrote it): their full
    names, parts of names and e-mail local parts are removed wherever they appear.
    """
    text = _GREETING.sub(lambda m: m.group(1) + m.group(2), text or "")
    text = _SIGN_OFF.sub(lambda m: m.group(1).strip(), text)
    text = _EMAIL.sub("[email]", text)
    text = _LINK_QUERY.sub(r"\1", text)
    text = _names(text, names)
    text = _SECRET_ASSIGNED.sub(lambda m: f"{m.group(1)}{m.group(2)}[secret]", text)
    text = _SECRET_STATED.sub(lambda m: f"{m.group(1)}{m.group(2)}[secret]", text)
    text = _AMOUNT.sub("[amount]", text)
    text = _STREET.sub("[address]", text)
    text = _POSTCODE.sub("[postcode]", text)
    text = _TICKET_REF.sub("#[ticket]", text)
    text = _OPAQUE.sub("[secret]", text)
    text = _REFERENCE.sub("[reference]", text)
    text = _NUMBER.sub("[number]", text)
    return _MASKED_CARD.sub("[card]", text)
