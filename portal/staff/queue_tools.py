"""What the queue page shows beside its rows: the saved-view tabs and the bulk action bar."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from flask_login import current_user
from werkzeug.datastructures import MultiDict

from portal.models import CATEGORY_CHOICES, PRIORITY_CHOICES, STATUS_CHOICES
from portal.services import queue as queue_service
from portal.services import saved_views as saved_view_service
from portal.services import users as user_service
from portal.services.bulk_update import MAX_BULK
from portal.staff.forms import BulkUpdateForm, SavedViewForm

BACK_MAX = 2000


@dataclass(frozen=True)
class SavedTab:
    id: int
    name: str
    args: dict
    count: int | None
    current: bool


def saved_tabs(filters: queue_service.QueueFilters) -> list[SavedTab]:
    views = saved_view_service.list_views(current_user)
    if not views:
        return []
    counts = saved_view_service.safe_view_counts(current_user)
    current = saved_view_service.matching_view(views, filters)
    return [
        SavedTab(
            v.id,
            v.name,
            saved_view_service.view_args(v),
            counts.get(v.id),
            current is not None and current.id == v.id,
        )
        for v in views
    ]


def queue_back(filters: queue_service.QueueFilters, page: int) -> str:
    """The queue's query string, so a bulk action comes back to the same queue and page."""
    args = filters.as_args()
    if page > 1:
        args["page"] = page
    return urlencode(sorted(args.items()))


def parse_back(text: str | None) -> tuple[queue_service.QueueFilters, int]:
    """The queue a bulk form came from, re-read as a URL's arguments (never a raw redirect)."""
    args = MultiDict(parse_qsl((text or "")[:BACK_MAX]))
    page = queue_service.page_number(args.get("page", 1, type=int))
    return queue_service.QueueFilters.from_args(args), page


def queue_extras(filters: queue_service.QueueFilters, page: int, **overrides) -> dict:
    """Template context for the saved-view tabs, the save form and the bulk action bar."""
    tabs = saved_tabs(filters)
    ctx = {
        "saved_tabs": tabs,
        "current_saved": next((t for t in tabs if t.current), None),
        "save_form": SavedViewForm(formdata=None),
        "bulk_form": BulkUpdateForm(formdata=None, back=queue_back(filters, page)),
        "bulk_staff": user_service.staff_members(),
        "bulk_choices": {
            "status": STATUS_CHOICES,
            "priority": PRIORITY_CHOICES,
            "category": CATEGORY_CHOICES,
        },
        "bulk_max": MAX_BULK,
        "bulk_error": None,
        "bulk_field": None,
        "bulk_summary": None,
    }
    ctx.update(overrides)
    return ctx
