"""flask mail-in (one message on standard input, as an MTA pipe delivers it) and flask mail-poll.

mail-in's exit status is what Postfix's and Exim's pipe transports understand (sysexits.h):

- 0: the message became a ticket or reply, was a duplicate, or was deliberately ignored;
- 65 (EX_DATAERR): too large; kept on the admin's "Failed mail" page, and the MTA bounces it
  so the sender learns it did not arrive as a ticket;
- 75 (EX_TEMPFAIL): it could not be taken in now; its copy is on the "Failed mail" page and the
  MTA keeps it queued and delivers it again later (a later success clears the failed copy).
"""

from __future__ import annotations

import sys

import click
from flask import Flask

from portal.services import mail_imap, mail_ingest

EX_DATAERR = 65
EX_TEMPFAIL = 75


def register_mail_cli(app: Flask) -> None:
    @app.cli.command("mail-in")
    @click.option("--source", default="pipe", show_default=True, help="Recorded with failures.")
    @click.argument("message", type=click.File("rb"), default="-")
    def mail_in(source: str, message) -> None:
        """Take in one RFC 5322 message from standard input (an MTA pipe transport), or from
        the file MESSAGE."""
        raw = message.read()
        try:
            result = mail_ingest.ingest(raw, source=source[:10])
        except Exception as e:  # ingest keeps its own failures; this is the database gone
            click.echo(f"mail-in: could not take the message in: {e}", err=True)
            sys.exit(EX_TEMPFAIL)
        if result.kept:
            where = f" (ticket #{result.ticket_id})" if result.ticket_id else ""
            click.echo(f"mail-in: {result.outcome}{where}: {result.reason}")
            return
        click.echo(f"mail-in: not taken in: {result.reason}", err=True)
        sys.exit(EX_DATAERR if result.permanent else EX_TEMPFAIL)

    @app.cli.command("mail-poll")
    def mail_poll() -> None:
        """Poll the MAIL_IMAP_URL mailbox once."""
        try:
            result = mail_imap.poll()
        except mail_imap.ImapConfigError as e:
            raise click.ClickException(str(e)) from None
        except (OSError, mail_imap.imaplib.IMAP4.error) as e:
            raise click.ClickException(f"IMAP: {e}") from None
        click.echo(f"mail-poll: {result}")
