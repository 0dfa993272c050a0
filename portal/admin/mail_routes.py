"""Admin: failed mail. Messages the mail ingest could not take in (too large, or an error),
kept raw: read them (escaped text, never rendered), retry them, or delete them."""

from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for

from portal.admin import bp
from portal.extensions import db
from portal.htmx import render_page_or_partial
from portal.services import mail_ingest
from portal.services import queue as queue_service
from portal.services.mail_parse import clean_text

RAW_SHOWN = 256 * 1024  # bytes of the raw message shown on the page


@bp.get("/mail/failed")
def failed_mail_list():
    pagination = db.paginate(
        mail_ingest.failed_query(),
        page=queue_service.page_number(request.args.get("page", 1, type=int)),
        per_page=current_app.config["LIST_PER_PAGE"],
        error_out=False,
    )
    return render_page_or_partial(
        "admin/failed_mail.html", "admin/partials/_failed_mail_rows.html", pagination=pagination
    )


@bp.get("/mail/failed/<int:mail_id>")
def failed_mail_detail(mail_id: int):
    row = mail_ingest.get_failed(mail_id)
    text = clean_text(row.raw[:RAW_SHOWN].decode("utf-8", "replace"))
    return render_page_or_partial(
        "admin/failed_mail_detail.html",
        "admin/partials/_failed_mail_detail.html",
        mail=row,
        raw_text=text,
        cut=row.size > RAW_SHOWN,
        shown=RAW_SHOWN,
    )


@bp.post("/mail/failed/<int:mail_id>/retry")
def failed_mail_retry(mail_id: int):
    result = mail_ingest.retry_failed(mail_id)
    if result.outcome == "created":
        flash(f"The mail became ticket #{result.ticket_id}.", "success")
    elif result.outcome == "replied":
        flash(f"The mail was added to ticket #{result.ticket_id} as a reply.", "success")
    elif result.outcome == "duplicate":
        flash("This mail was taken in before; nothing changed.", "info")
    elif result.outcome == "ignored":
        flash(f"The mail was ignored: {result.reason}.", "info")
    else:
        flash(f"Still failing: {result.reason}", "error")
        if result.failed_id:
            return redirect(url_for("admin.failed_mail_detail", mail_id=result.failed_id), 303)
    return redirect(url_for("admin.failed_mail_list"), 303)


@bp.post("/mail/failed/<int:mail_id>/delete")
def failed_mail_delete(mail_id: int):
    mail_ingest.delete_failed(mail_id)
    flash("The failed mail was deleted.", "success")
    return redirect(url_for("admin.failed_mail_list"), 303)
