"""Benchmark: the staff queue and "my tickets" pages over a realistically sized database.

Seeds N tickets (default 20,000) with bulk inserts into a fresh database, then times the pages
through the Flask test client, logged in as a staff member (and as a busy end user), and prints
p50/p95 in milliseconds, the SQL statements each request ran and the database row counts.

A timing is a measurement, not a test: nothing here asserts a number.

    python bench/queue_bench.py                                  # SQLite file in a temp dir
    python bench/queue_bench.py --tickets 50000 --runs 30
    python scripts/pg_test_db.py create postgresql://postgres@127.0.0.1:5432/postgres benchdb
    python bench/queue_bench.py --database-url postgresql://postgres@127.0.0.1:5432/benchdb
    python scripts/pg_test_db.py drop postgresql://postgres@127.0.0.1:5432/postgres benchdb
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shlex
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# Follow-up tasks never run here (rows are inserted directly); keep huey off the disk.
os.environ.setdefault("HUEY_IMMEDIATE", "true")

import sqlalchemy as sa  # noqa: E402
import sqlalchemy.orm as so  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from portal import create_app  # noqa: E402
from portal.config import TestConfig  # noqa: E402
from portal.extensions import cache, db  # noqa: E402
from portal.models import Ticket, TicketEvent, TicketResponse, User  # noqa: E402
from portal.models.base import utcnow  # noqa: E402
from portal.models.ticket import PRIORITY_RANK  # noqa: E402

PASSWORD = "bench-password"
STATUS_WEIGHTS = {"open": 25, "in_progress": 15, "resolved": 35, "closed": 25}
PRIORITY_WEIGHTS = {"low": 3, "medium": 5, "high": 2, "urgent": 1}
CATEGORIES = ["technical", "billing", "general", "bug_report", "feature_request"]
SEARCH_TERM = "password"
SUBJECTS = [
    ("Cannot log in after password reset", "The login page says my credentials are wrong."),
    ("PDF upload stuck at 99%", "Uploading my thesis draft stops at 99% and never finishes."),
    ("Two-factor codes not accepted", "The authenticator codes are rejected every time."),
    ("Course page loads very slowly", "The course materials page takes 30 seconds to load."),
    ("Single sign-on redirects in a loop", "Signing in through my university loops back."),
    ("Charged twice for the annual plan", "My card shows two charges on the same day."),
    ("Need an invoice with our VAT number", "Finance needs the invoice re-issued."),
    ("Student discount not applied", "Checkout still shows the full price."),
    ("Refund for cancelled workshop", "The workshop was cancelled; how do I get my fee back?"),
    ("How do I change my display name?", "I want my publications page to show my new name."),
    ("Export my reading list", "Is there a way to download my saved articles as CSV?"),
    ("Dark mode for the reader", "Reading PDFs at night is hard on the eyes."),
    ("Citation export drops accents", "BibTeX export turns é into ?."),
    ("Search ignores quoted phrases", "Searching for an exact phrase returns unrelated papers."),
    ("Password rules too strict", "The password form rejects a 30-character passphrase."),
    ("Notifications arrive twice", "Every email notification arrives two times."),
]
WORDS = (
    "please urgent again browser laptop phone campus library thesis account email error "
    "screen page update yesterday today morning access group lab course invoice"
).split()


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), list(weights.values()))[0]


def seed(n_tickets: int, n_users: int, n_staff: int, rng: random.Random) -> dict[str, int]:
    """Bulk-insert users, tickets, replies and audit events; return ids the cases need."""
    pw_hash = generate_password_hash(PASSWORD)
    now = utcnow()
    staff_rows = [
        {
            "email": f"staff{i}@bench.example.com",
            "name": f"Staff {i}",
            "role": "admin" if i == 0 else "staff",
            "password_hash": pw_hash,
            "active": True,
            "is_bot": False,
            "categories": [],
            "created_at": now - timedelta(days=400),
        }
        for i in range(n_staff)
    ]
    user_rows = [
        {
            "email": f"user{i}@bench.example.com",
            "name": f"User {i}",
            "role": "user",
            "password_hash": pw_hash,
            "active": True,
            "is_bot": False,
            "categories": [],
            "created_at": now - timedelta(days=400),
        }
        for i in range(n_users)
    ]
    db.session.execute(sa.insert(User), staff_rows + user_rows)
    db.session.commit()
    staff_ids = list(db.session.scalars(sa.select(User.id).where(User.role != "user")))
    user_ids = list(db.session.scalars(sa.select(User.id).where(User.role == "user")))
    # Requesters follow a long tail: a few users open many tickets, most open one or two.
    user_weights = [1 / (rank + 1) ** 0.8 for rank in range(len(user_ids))]

    batch = 5_000
    for start in range(0, n_tickets, batch):
        rows = []
        for i in range(start, min(start + batch, n_tickets)):
            title, description = rng.choice(SUBJECTS)
            created = now - timedelta(minutes=rng.randint(0, 365 * 24 * 60))
            last = min(now, created + timedelta(minutes=rng.randint(0, 14 * 24 * 60)))
            status = _weighted(rng, STATUS_WEIGHTS)
            assigned = status != "open" or rng.random() < 0.4
            rows.append(
                {
                    "user_id": rng.choices(user_ids, user_weights)[0],
                    "title": f"{title} ({rng.choice(WORDS)} {i})",
                    "description": f"{description} {' '.join(rng.sample(WORDS, 8))}",
                    "category": rng.choice(CATEGORIES) if rng.random() < 0.9 else None,
                    "priority": (priority := _weighted(rng, PRIORITY_WEIGHTS)),
                    # A bulk insert skips the model's validator, so the rank is set here.
                    "priority_rank": PRIORITY_RANK[priority],
                    "status": status,
                    "assigned_to_id": rng.choice(staff_ids) if assigned else None,
                    "created_at": created,
                    "updated_at": last,
                    "last_activity_at": last,
                    "resolved_at": last if status in ("resolved", "closed") else None,
                    "version": 1,
                    "needs_human": rng.random() < 0.02,
                }
            )
        db.session.execute(sa.insert(Ticket), rows)
        db.session.commit()

    # Conversations and audit events, so the tables the queue does not read have their size too.
    tickets = db.session.execute(
        sa.select(Ticket.id, Ticket.user_id, Ticket.assigned_to_id, Ticket.created_at).order_by(
            Ticket.id
        )
    ).all()
    responses, events = [], []
    for tid, uid, staff_id, created in tickets:
        events.append(
            {
                "ticket_id": tid,
                "actor_id": uid,
                "actor_kind": "user",
                "field": "created",
                "new_value": "ticket",
                "created_at": created,
            }
        )
        for k in range(rng.choice((0, 1, 1, 2, 2, 3))):
            author = staff_id if (staff_id and k % 2 == 0) else uid
            internal = author == staff_id and rng.random() < 0.2
            at = created + timedelta(hours=k + 1)
            responses.append(
                {
                    "ticket_id": tid,
                    "user_id": author,
                    "response_type": "staff" if author == staff_id else "user",
                    "content": " ".join(rng.sample(WORDS, 12)),
                    "is_ai_generated": False,
                    "is_internal": internal,
                    "sources": [],
                    "created_at": at,
                }
            )
            events.append(
                {
                    "ticket_id": tid,
                    "actor_id": author,
                    "actor_kind": "user",
                    "field": "note" if internal else "reply",
                    "created_at": at,
                }
            )
        if len(responses) >= batch:
            db.session.execute(sa.insert(TicketResponse), responses)
            responses = []
        if len(events) >= batch:
            db.session.execute(sa.insert(TicketEvent), events)
            events = []
    if responses:
        db.session.execute(sa.insert(TicketResponse), responses)
    if events:
        db.session.execute(sa.insert(TicketEvent), events)
    db.session.commit()
    db.session.execute(sa.text("ANALYZE"))  # planner statistics, as a live database has
    db.session.commit()

    busiest = db.session.execute(
        sa.select(Ticket.user_id, sa.func.count())
        .group_by(Ticket.user_id)
        .order_by(sa.func.count().desc())
        .limit(1)
    ).one()
    return {"staff_id": staff_ids[1] if len(staff_ids) > 1 else staff_ids[0], "user_id": busiest[0]}


def row_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
        for table in db.metadata.sorted_tables
        if table.name in ("users", "tickets", "ticket_responses", "ticket_events")
    }


class StatementCounter:
    """Counts SQL statements and the time spent executing them (cursor.execute to return)."""

    def __init__(self, engine) -> None:
        self.n = 0
        self.ms = 0.0
        self._start = 0.0
        sa.event.listen(engine, "before_cursor_execute", self._before)
        sa.event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, *args) -> None:
        self.n += 1
        self._start = time.perf_counter()

    def _after(self, *args) -> None:
        self.ms += (time.perf_counter() - self._start) * 1000


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def time_case(client, url: str, runs: int, warmup: int, counter: StatementCounter) -> dict:
    for _ in range(warmup):
        resp = client.get(url)
        assert resp.status_code == 200, (url, resp.status_code)
    timings, sql_ms = [], []
    statements = 0
    for _ in range(runs):
        before, before_ms = counter.n, counter.ms
        start = time.perf_counter()
        resp = client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
        statements = counter.n - before
        sql_ms.append(counter.ms - before_ms)
        assert resp.status_code == 200, (url, resp.status_code)
    match = re.search(rb"(\d+) tickets</span>", resp.data)
    rows = len(re.findall(rb'<tr id="ticket-\d+"', resp.data))
    total = int(match.group(1)) if match else rows
    return {
        "p50": statistics.median(timings),
        "p95": percentile(timings, 95),
        "min": min(timings),
        "sql_ms": statistics.median(sql_ms),
        "statements": statements,
        "matched": total,
        "rows": rows,
    }


def compare_row_loading(client, urls: list[str], runs: int, counter: StatementCounter) -> list:
    """Interleave requests with the queue's rows loaded eagerly (as shipped) and lazily (one
    query per requester and assignee, as before the fix), so machine load hits both alike."""
    from portal.services import queue as queue_service

    shipped = queue_service.queue_query
    lazy = {"on": False}

    def queue_query(filters, viewer):
        stmt = shipped(filters, viewer)
        if lazy["on"]:
            # Options cannot be replaced, only added: drop the shipped loader options (a
            # private attribute, acceptable in a benchmark) and ask for lazy loads instead.
            stmt._with_options = ()
            stmt = stmt.options(so.lazyload(Ticket.user), so.lazyload(Ticket.assigned_to))
        return stmt

    queue_service.queue_query = queue_query
    out = []
    try:
        for url in urls:
            samples = {False: [], True: []}
            statements = {}
            for i in range(runs + 2):
                for mode in (False, True) if i % 2 else (True, False):
                    lazy["on"] = mode
                    before = counter.n
                    start = time.perf_counter()
                    resp = client.get(url)
                    elapsed = (time.perf_counter() - start) * 1000
                    assert resp.status_code == 200, (url, resp.status_code)
                    statements[mode] = counter.n - before
                    if i >= 2:  # the first two rounds warm up
                        samples[mode].append(elapsed)
            out.append(
                (url, {m: (statistics.median(v), statements[m]) for m, v in samples.items()})
            )
    finally:
        queue_service.queue_query = shipped
    return out


def login(client, email: str) -> None:
    client.post("/auth/logout")
    resp = client.post("/auth/login", data={"email": email, "password": PASSWORD})
    assert resp.status_code == 302, resp.data[:300]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--users", type=int, default=2_000, help="end users (default 2,000)")
    parser.add_argument("--staff", type=int, default=12, help="staff accounts (default 12)")
    parser.add_argument("--runs", type=int, default=20, help="timed requests per case (K)")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--database-url",
        help="an EMPTY database to fill (default: a new SQLite file in a temp dir)",
    )
    parser.add_argument(
        "--compare-loading",
        action="store_true",
        help="also time queue pages with rows' requester/assignee loaded lazily (N+1), "
        "interleaved with the shipped eager loading",
    )
    parser.add_argument(
        "--reset", action="store_true", help="drop the portal's tables first if they exist"
    )
    args = parser.parse_args(argv)
    command = shlex.join(["python", "bench/queue_bench.py", *(argv or sys.argv[1:])])

    tmp = None
    url = args.database_url
    if not url:
        tmp = tempfile.TemporaryDirectory(prefix="queue-bench-")
        url = f"sqlite:///{tmp.name}/bench.db"
    try:
        from portal.config import normalise_database_url

        url = normalise_database_url(url)
    except ImportError:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg2://" + url[len("postgresql://") :]

    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, TESTING=False)
    rng = random.Random(args.seed)
    with app.app_context():
        existing = sa.inspect(db.engine).get_table_names()
        if "tickets" in existing and not args.reset:
            print(f"{url}: the portal's tables already exist; use an empty database or --reset")
            return 2
        if args.reset:
            db.drop_all()
        db.create_all()
        t0 = time.perf_counter()
        ids = seed(args.tickets, args.users, args.staff, rng)
        seed_s = time.perf_counter() - t0
        counts = row_counts()
        staff_email = db.session.get(User, ids["staff_id"]).email
        user_email = db.session.get(User, ids["user_id"]).email
        counter = StatementCounter(db.engine)
        db.session.remove()

    client = app.test_client()
    cases = [
        ("staff", "queue: default (view=active)", "/staff/"),
        ("staff", "queue: status=all", "/staff/?status=all"),
        ("staff", "queue: view=mine", "/staff/?view=mine"),
        ("staff", "queue: view=waiting", "/staff/?view=waiting"),
        ("staff", "queue: view=human", "/staff/?view=human"),
        ("staff", "queue: view=resolved", "/staff/?view=resolved"),
        ("staff", "queue: search #number", "/staff/?q=%231234"),
        ("staff", "queue: search requester e-mail", "/staff/?q=user7@bench"),
        ("staff", "queue: status=open", "/staff/?status=open"),
        ("staff", "queue: assignee=mine", "/staff/?assignee=mine"),
        ("staff", f"queue: search q={SEARCH_TERM}", f"/staff/?q={SEARCH_TERM}"),
        ("staff", "queue: sort=priority", "/staff/?sort=priority"),
        ("staff", "queue: page 50 (status=all)", "/staff/?status=all&page=50"),
        ("staff", "queue: htmx fragment (default)", "/staff/"),
        ("user", "user: my tickets", "/tickets/"),
    ]
    results = []
    who = None
    for role, name, path in cases:
        if role != who:
            login(client, staff_email if role == "staff" else user_email)
            who = role
        if "htmx" in name:
            client.environ_base["HTTP_HX_REQUEST"] = "true"
        with app.app_context():
            cache.clear()  # warm-up requests refill the memoised status counts
        results.append((name, path, time_case(client, path, args.runs, args.warmup, counter)))
        client.environ_base.pop("HTTP_HX_REQUEST", None)

    loading = []
    if args.compare_loading:
        login(client, staff_email)
        urls = ["/staff/", "/staff/?status=open", "/staff/?sort=priority", "/staff/?page=50"]
        loading = compare_row_loading(client, urls, args.runs, counter)

    # The status counts are memoised for 60 s and cleared on every ticket change; time the query.
    with app.app_context():
        from portal.services import queue as queue_service

        timings = []
        for _ in range(args.runs):
            start = time.perf_counter()
            queue_service.status_counts.uncached()
            timings.append((time.perf_counter() - start) * 1000)
        counts_p50, counts_p95 = statistics.median(timings), percentile(timings, 95)
        timings = []
        for _ in range(args.runs):
            start = time.perf_counter()
            queue_service.view_counts.uncached(ids["staff_id"])
            timings.append((time.perf_counter() - start) * 1000)
        views_p50, views_p95 = statistics.median(timings), percentile(timings, 95)
        dialect = db.engine.dialect.name
        db.engine.dispose()

    print(f"\n$ {command}")
    print(
        f"database: {dialect} ({'temp file' if tmp else url.split('@')[-1]}), "
        f"seeded in {seed_s:.1f} s; K={args.runs} timed runs after {args.warmup} warm-up"
    )
    print("rows: " + ", ".join(f"{k}={v:,}" for k, v in counts.items()))
    header = f"{'case':34} {'matched':>8} {'rows':>5} {'SQL':>4} {'SQL ms':>7} {'p50 ms':>8} {'p95 ms':>8}"
    print(header)
    print("-" * len(header))
    for name, _path, r in results:
        print(
            f"{name:34} {r['matched']:>8,} {r['rows']:>5} {r['statements']:>4} "
            f"{r['sql_ms']:>7.1f} {r['p50']:>8.1f} {r['p95']:>8.1f}"
        )
    print(f"{'status counts query (uncached)':34} {'':>8} {'':>5} {1:>4} {'':>7} ", end="")
    print(f"{counts_p50:>8.1f} {counts_p95:>8.1f}")
    print(f"{'view counts query (uncached)':34} {'':>8} {'':>5} {1:>4} {'':>7} ", end="")
    print(f"{views_p50:>8.1f} {views_p95:>8.1f}")
    print(
        "matched = tickets the filter selects; rows = rows on the page; SQL = statements per "
        "request; SQL ms = median time inside cursor.execute; p50/p95 = whole request."
    )
    if loading:
        print("\nqueue rows: requester/assignee loaded eagerly (shipped) vs lazily (N+1)")
        print(f"{'url':26} {'eager SQL':>9} {'eager p50':>9} {'lazy SQL':>9} {'lazy p50':>9}")
        for url, r in loading:
            (e_ms, e_n), (l_ms, l_n) = r[False], r[True]
            print(f"{url:26} {e_n:>9} {e_ms:>9.1f} {l_n:>9} {l_ms:>9.1f}")
    if tmp:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
