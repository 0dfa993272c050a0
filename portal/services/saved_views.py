"""Staff's saved queue views: a name for the queue's filters, sort and search, private to the
person who saved it."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from portal.extensions import db
from portal.models import SavedView, Ticket, User
from portal.models.base import MAX_ID
from portal.services.cache import SAVED_VIEW_COUNTS, clear_saved_view_counts, memoised
from portal.services.errors import NotFound, PermissionDenied, TicketError
from portal.services.queue import VIEWS, QueueFilters, queue_conditions

NAME_MAX = 60
MAX_PER_USER = 20
QUERY_MAX = 1000
# What a view remembers: the surge filter is a passing thing, and the page is not a filter.
_NOT_SAVED = ("surge", "page")


def filters_query(filters: QueueFilters) -> str:
    """The query string a view stores (and its link carries) for these filters."""
    args = {k: v for k, v in filters.as_args().items() if k not in _NOT_SAVED}
    if filters.status and filters.effective_status == VIEWS[filters.view_key].status:
        args.pop("status", None)  # the view's own status, spelled out: the same queue
    return urlencode(sorted(args.items()))


def view_filters(view: SavedView) -> QueueFilters:
    """The filters a stored view names, re-checked as if they came from a URL."""
    return QueueFilters.from_args(MultiDict(parse_qsl(view.query or "")))


def view_args(view: SavedView) -> dict:
    """The queue URL's arguments for this view."""
    return dict(parse_qsl(filters_query(view_filters(view))))


def list_views(user: User) -> list[SavedView]:
    return list(
        db.session.scalars(
            sa.select(SavedView)
            .where(SavedView.user_id == user.id)
            .order_by(sa.func.lower(SavedView.name), SavedView.id)
        )
    )


def get_view_for(user: User, view_id: int) -> SavedView:
    """The user's own view, or NotFound: another person's views do not exist for them."""
    view = db.session.get(SavedView, view_id) if 0 < view_id <= MAX_ID else None
    if view is None or view.user_id != user.id:
        raise NotFound(view_id)
    return view


def _clean_name(user: User, name: str | None, *, keep: SavedView | None = None) -> str:
    text = " ".join((name or "").replace("\x00", "").split())
    if not text:
        raise TicketError("Give the view a name.", field="name")
    if len(text) > NAME_MAX:
        raise TicketError(f"Names are at most {NAME_MAX} characters.", field="name")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: no database stores it
        raise TicketError("The name holds a character that is not text.", field="name") from None
    clash = db.session.scalar(
        sa.select(SavedView.id).where(
            SavedView.user_id == user.id,
            sa.func.lower(SavedView.name) == text.lower(),
            SavedView.id != (keep.id if keep else 0),
        )
    )
    if clash is not None:
        raise TicketError(f"You already have a view called “{text}”.", field="name")
    return text


def create_view(user: User, name: str | None, filters: QueueFilters) -> SavedView:
    if not user.is_staff:
        raise PermissionDenied("Only staff save queue views.")
    name = _clean_name(user, name)
    count = db.session.scalar(
        sa.select(sa.func.count()).select_from(SavedView).where(SavedView.user_id == user.id)
    )
    if count >= MAX_PER_USER:
        raise TicketError(
            f"You have {MAX_PER_USER} saved views, the most one person can keep: delete one first.",
            field="name",
        )
    query = filters_query(filters)
    if len(query) > QUERY_MAX:
        raise TicketError("This search is too long to save.", field="name")
    view = SavedView(user_id=user.id, name=name, query=query)
    db.session.add(view)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:  # the same name saved twice at the same moment
        db.session.rollback()
        raise TicketError(f"You already have a view called “{name}”.", field="name") from None
    clear_saved_view_counts()
    return view


def rename_view(user: User, view: SavedView, name: str | None) -> SavedView:
    if view.user_id != user.id:
        raise NotFound(view.id)
    name = _clean_name(user, name, keep=view)
    if name != view.name:
        view.name = name
        try:
            db.session.commit()
        except sa.exc.IntegrityError:
            db.session.rollback()
            raise TicketError(f"You already have a view called “{name}”.", field="name") from None
    return view


def delete_view(user: User, view: SavedView) -> None:
    if view.user_id != user.id:
        raise NotFound(view.id)
    db.session.delete(view)
    db.session.commit()
    clear_saved_view_counts()


@memoised(SAVED_VIEW_COUNTS, timeout=60)
def view_counts(viewer_id: int) -> dict[int, int]:
    """Each of the viewer's saved views' ticket count, in one pass over the tickets."""
    viewer = db.session.get(User, viewer_id)
    views = list_views(viewer) if viewer is not None else []
    if not views:
        return {}
    columns = []
    for view in views:
        cond = sa.and_(sa.true(), *queue_conditions(view_filters(view), viewer))
        columns.append(
            sa.func.coalesce(sa.func.sum(sa.case((cond, 1), else_=0)), 0).label(f"v{view.id}")
        )
    row = db.session.execute(sa.select(*columns).select_from(Ticket)).one()
    return {view.id: int(n) for view, n in zip(views, row, strict=True)}


def safe_view_counts(viewer: User) -> dict[int, int]:
    try:
        return view_counts(viewer.id)
    except Exception:  # cache down: count directly
        return view_counts.uncached(viewer.id)


def matching_view(views: list[SavedView], filters: QueueFilters) -> SavedView | None:
    """The saved view the queue is showing now, if its filters are exactly one of them."""
    current = filters_query(filters)
    return next((v for v in views if filters_query(view_filters(v)) == current), None)
