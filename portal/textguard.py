"""Text no encoding can carry: lone surrogates ("\\ud800"), from JSON escapes or stored rows.

JSON lets a client write "\\ud800"; Python decodes it to a str that cannot be encoded to UTF-8,
so a database driver, a template or a response fails on it. Input is refused at the doors
(portal/api/body.py for JSON, `register` below for urlencoded forms); readers of rows stored before that
use `scrub` to show them as U+FFFD instead of failing.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote_to_bytes

from flask import Flask, Response, request
from flask.json.provider import DefaultJSONProvider

SURROGATES = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def has_lone_surrogate(text: str) -> bool:
    """True when `text` cannot be encoded as UTF-8 (a surrogate outside a valid pair).

    A valid pair in JSON ("\\ud83d\\ude00") is decoded by the parser into one character, so any
    surrogate code point left in a Python str is a lone one.
    """
    return SURROGATES.search(text) is not None


def scrub(value: Any) -> Any:
    """`value` with every lone surrogate in its strings (and dict keys) replaced by U+FFFD."""
    if isinstance(value, str):
        return SURROGATES.sub(REPLACEMENT, value) if SURROGATES.search(value) else value
    if isinstance(value, dict):
        return {scrub(k): scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


class SafeResponse(Response):
    """A response whose text body is encoded even if it holds a lone surrogate (a row stored
    before the doors were shut): the surrogate is shown as U+FFFD instead of failing the page."""

    def set_data(self, value: bytes | str) -> None:
        if isinstance(value, str):
            try:
                value = value.encode()
            except UnicodeEncodeError:
                value = scrub(value).encode()
        super().set_data(value)


class SafeJSONProvider(DefaultJSONProvider):
    """JSON answers never carry a lone surrogate: a stored one is sent as U+FFFD.

    With ensure_ascii a surrogate only appears as an escape "\\udXXX" (valid pairs for emoji
    too), so a cheap look at the output decides whether to look closer. Only responses are
    scrubbed; `dumps` itself (the test client's json=) is left exact.
    """

    def response(self, *args: Any, **kwargs: Any) -> Response:
        resp = super().response(*args, **kwargs)
        body = resp.get_data(as_text=True)
        if "\\ud" in body and _LONE_ESCAPE.search(body):
            resp = super().response(scrub(self._prepare_response_obj(args, kwargs)))
        return resp


# A high surrogate escape not followed by a low one, or a low one not after a high one.
_LONE_ESCAPE = re.compile(
    r"\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f][0-9a-f]{2})|(?<!\\ud[89ab][0-9a-f]{2})\\ud[c-f][0-9a-f]{2}"
)


FORM_MESSAGE = "“{field}” holds bytes that are not text (invalid UTF-8). Remove them and try again."


def invalid_form_field(body: bytes) -> str | None:
    """The name of the first field of a urlencoded body whose value is not valid UTF-8.

    Werkzeug quietly turns such bytes (%ED%A0%80 is a lone surrogate's would-be UTF-8) into
    U+FFFD; a browser never sends them, so a form that does is refused rather than altered.
    """
    for pair in body.split(b"&"):
        key, _, value = pair.partition(b"=")
        try:
            unquote_to_bytes(value.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            return unquote_to_bytes(key.replace(b"+", b" ")).decode("utf-8", "replace")
        try:
            unquote_to_bytes(key.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            return "a field name"
    return None


def register(app: Flask) -> None:
    """Refuse urlencoded form posts with invalid UTF-8 at the door (JSON: portal/api/body.py)."""

    @app.before_request
    def refuse_invalid_form_text():
        if request.method not in ("POST", "PUT", "PATCH"):
            return None
        if request.mimetype != "application/x-www-form-urlencoded":
            return None
        field = invalid_form_field(request.get_data(cache=True))  # the form parser reuses it
        if field is None:
            return None
        from portal.errors import render_error

        return render_error(422, FORM_MESSAGE.format(field=field))
