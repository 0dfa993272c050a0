"""Handing one message to the SMTP server, without ever sending a password in the clear.

SMTP_SECURITY picks how the connection is protected:

- ``ssl``: implicit TLS from the first byte (port 465); the default when SMTP_PORT is 465;
- ``starttls`` (the default otherwise): upgrade with STARTTLS when the server offers it. A server
  that does not offer it still gets mail from an unauthenticated sender (a local relay on
  port 25), but never the credentials: with SMTP_USERNAME set, the send fails before AUTH;
- ``none``: never upgrade; only for a relay on a trusted network, without credentials.

SMTP_ALLOW_INSECURE_AUTH=true lifts the refusal (a relay on localhost that has no TLS and still
wants a login). SMTP_TLS_CA_FILE names a CA bundle for a server whose certificate a private CA
signed; certificates are always verified.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

DEFAULT_TIMEOUT = 10.0  # seconds
SECURITY_MODES = ("ssl", "starttls", "none")


class InsecureTransport(smtplib.SMTPException):
    """Credentials would travel without TLS: a configuration problem, never retried."""


def security_mode(cfg: Mapping[str, Any]) -> str:
    """The configured mode, or the one the port implies (465 speaks TLS from the start)."""
    mode = str(cfg.get("SMTP_SECURITY") or "").strip().lower()
    if mode in SECURITY_MODES:
        return mode
    if mode:
        raise InsecureTransport(
            f"SMTP_SECURITY={mode!r} is not one of {', '.join(SECURITY_MODES)}; nothing was sent"
        )
    return "ssl" if int(cfg.get("SMTP_PORT") or 25) == 465 else "starttls"


def tls_context(cfg: Mapping[str, Any]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=cfg.get("SMTP_TLS_CA_FILE") or None)


def _truthy(value: Any) -> bool:
    return str(value or "").strip().lower() in {"1", "true", "yes", "on"}


def deliver(msg: EmailMessage, cfg: Mapping[str, Any]) -> None:
    """Send `msg` through the configured server; raises OSError or SMTPException on failure."""
    mode = security_mode(cfg)
    host = cfg["SMTP_HOST"]
    port = int(cfg.get("SMTP_PORT") or (465 if mode == "ssl" else 25))
    timeout = float(cfg.get("SMTP_TIMEOUT") or DEFAULT_TIMEOUT)
    if mode == "ssl":
        s: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=tls_context(cfg))
    else:
        s = smtplib.SMTP(host, port, timeout=timeout)
    try:
        s.ehlo()
        encrypted = mode == "ssl"
        if mode == "starttls" and s.has_extn("starttls"):
            s.starttls(context=tls_context(cfg))
            s.ehlo()
            encrypted = True
        username = cfg.get("SMTP_USERNAME")
        if username:
            if not encrypted and not _truthy(cfg.get("SMTP_ALLOW_INSECURE_AUTH")):
                raise InsecureTransport(
                    f"{host}:{port} offers no TLS, so the SMTP password was not sent "
                    "(set SMTP_SECURITY=ssl for port 465, or SMTP_ALLOW_INSECURE_AUTH=true "
                    "for a trusted local relay)"
                )
            s.login(username, cfg.get("SMTP_PASSWORD") or "")
        s.send_message(msg)
    except BaseException:
        s.close()
        raise
    # The server has accepted the message: a failure to say goodbye must not cause a resend.
    try:
        s.quit()
    except (OSError, smtplib.SMTPException):
        s.close()
