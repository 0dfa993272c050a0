"""Benchmark: the reports (page sections, CSV tables and the API summary) over many tickets.

Seeds N tickets (default 100,000) spread over a year with bulk inserts into a fresh database
(first responses, resolutions, SLA dues and satisfaction ratings included), then times the
report functions for the last 30 days and the last year, and prints p50/max in milliseconds.
A timing is a measurement, not a test: nothing here asserts a number.

    python bench/reports_bench.py                                # SQLite file in a temp dir
    python bench/reports_bench.py --tickets 1000000 --runs 3
    python scripts/pg_test_db.py create postgresql://postgres@127.0.0.1:5432/postgres benchdb
    python bench/reports_bench.py --database-url postgresql://postgres@127.0.0.1:5432/benchdb
    python scripts/pg_test_db.py drop postgresql://postgres@127.0.0.1:5432/postgres benchdb
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HUEY_IMMEDIATE", "true")

import sqlalchemy as sa  # noqa: E402

from portal import create_app  # noqa: E402
from portal.config import TestConfig, normalise_database_url  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import Ticket, TicketSatisfaction, User  # noqa: E402
from portal.models.base import utcnow  # noqa: E402
from portal.services import report_breakdowns as breakdowns  # noqa: E402
from portal.services import reports  # noqa: E402

CATEGORIES = ["technical", "billing", "general", "bug_report", "feature_request"]


def seed(n: int, rng: random.Random) -> None:
    now = utcnow()
    staff = [
        {"email": f"s{i}@bench.test", "name": f"Staff {i}", "role": "staff", "password_hash": "",
         "active": True, "is_bot": False, "categories": [], "created_at": now}
        for i in range(12)
    ] + [
        {"email": f"u{i}@bench.test", "name": f"User {i}", "role": "user", "password_hash": "",
         "active": True, "is_bot": False, "categories": [], "created_at": now}
        for i in range(2000)
    ]  # fmt: skip
    db.session.execute(sa.insert(User), staff)
    db.session.commit()
    staff_ids = list(db.session.scalars(sa.select(User.id).where(User.role == "staff")))
    user_ids = list(db.session.scalars(sa.select(User.id).where(User.role == "user")))
    has_sla = reports.has_sla_columns()
    for start in range(0, n, 10_000):
        rows, ratings = [], []
        for _ in range(start, min(start + 10_000, n)):
            created = now - timedelta(minutes=rng.randint(0, 365 * 24 * 60))
            answered = created + timedelta(minutes=rng.randint(5, 3 * 24 * 60))
            status = rng.choices(["open", "in_progress", "resolved", "closed"], [2, 2, 4, 2])[0]
            resolved = answered + timedelta(minutes=rng.randint(5, 7 * 24 * 60))
            done = status in ("resolved", "closed") and resolved < now
            row = {
                "user_id": rng.choice(user_ids), "title": "Bench ticket", "description": "x",
                "category": rng.choice(CATEGORIES), "priority": "medium", "priority_rank": 1,
                "status": status if done or status in ("open", "in_progress") else "open",
                "assigned_to_id": rng.choice(staff_ids), "created_at": created,
                "updated_at": resolved if done else answered, "last_activity_at": created,
                "resolved_at": resolved if done else None, "version": 1, "needs_human": False,
            }  # fmt: skip
            if has_sla:
                row |= {
                    "first_response_at": answered if answered < now else None,
                    "first_response_due": created + timedelta(hours=30),
                    "resolution_due": created + timedelta(days=5),
                }
            rows.append(row)
        db.session.execute(sa.insert(Ticket), rows)
        db.session.commit()
        first = db.session.scalar(sa.select(sa.func.max(Ticket.id))) - len(rows) + 1
        for i, r in enumerate(rows):
            if r["resolved_at"] is not None and rng.random() < 0.3:
                ratings.append(
                    {"ticket_id": first + i, "user_id": r["user_id"], "resolution": 1,
                     "rating": rng.choice([1, 2, 3, 4, 4, 5, 5, 5]), "comment": "",
                     "agent_id": r["assigned_to_id"],
                     "created_at": r["resolved_at"] + timedelta(hours=2),
                     "updated_at": r["resolved_at"] + timedelta(hours=2)}
                )  # fmt: skip
        if ratings:
            db.session.execute(sa.insert(TicketSatisfaction), ratings)
            db.session.commit()


def timed(fn, runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), max(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tickets", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--database-url")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp()
    url = normalise_database_url(args.database_url or f"sqlite:///{tmp}/bench.db")
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        db.drop_all()
        db.create_all()
        t0 = time.perf_counter()
        seed(args.tickets, random.Random(7))
        print(
            f"seeded {args.tickets:,} tickets in {time.perf_counter() - t0:.1f} s on {url.split(':')[0]}"
        )
        today = utcnow().date()
        for days in (30, 365):
            f = reports.ReportFilters.parse(
                since=(today - timedelta(days=days - 1)).isoformat(), until=today.isoformat()
            )
            d = reports.durations(f)
            cases = {
                "volume": lambda f=f: reports.volume(f),
                "durations (business hours)": lambda f=f: reports.durations(f),
                "sla": lambda f=f: reports.sla_attainment(f),
                "csat": lambda f=f: reports.csat(f),
                "agents": lambda f=f, d=d: breakdowns.agents(f, d),
                "categories": lambda f=f, d=d: breakdowns.categories(f, d),
                "ai share": lambda f=f: breakdowns.ai_share(f),
                "API summary": lambda f=f: reports.summary(f),
            }
            print(f"last {days} days ({len(d.first):,} first responses, "
                  f"{len(d.resolution):,} resolutions):")  # fmt: skip
            for name, fn in cases.items():
                p50, worst = timed(fn, args.runs)
                print(f"  {name:28s} p50 {p50:8.1f} ms   max {worst:8.1f} ms")
        db.session.remove()
        if not args.database_url:
            db.drop_all()


if __name__ == "__main__":
    main()
