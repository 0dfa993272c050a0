"""Benchmark: what a reply draft pays to learn whether its calibration is current.

Seeds N sent local drafts (default 50,000) into a throwaway SQLite file, then times
`draft_calibration.current()` the first time (reads every outcome and fits) and then while
nothing changed (the signature query only), and the signature query alone.

    python bench/calibration_bench.py [--drafts 50000] [--runs 10]

A timing is a measurement, not a test: nothing here asserts a number.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HUEY_IMMEDIATE", "true")

import sqlalchemy as sa  # noqa: E402

from portal import create_app  # noqa: E402
from portal.ai import draft_calibration  # noqa: E402
from portal.config import TestConfig  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import AISuggestion, Ticket, User  # noqa: E402


def _ms(fn) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--drafts", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    folder = tempfile.mkdtemp()
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder}/bench.db")
    with app.app_context():
        db.create_all()
        db.session.execute(
            sa.insert(User),
            [{"email": "u@bench.test", "name": "u", "password_hash": "", "role": "user"}],
        )
        db.session.execute(
            sa.insert(Ticket),
            [{"user_id": 1, "title": "t", "description": "d", "status": "open"}],
        )
        rows = [
            {
                "ticket_id": 1,
                "kind": "reply",
                "provider": "local",
                "text": "draft",
                "confidence": 0.5,
                "raw_score": (i % 97) / 97,
                "edit_similarity": (i % 13) / 13,
                "status": "used",
                "sources": [],
                "applied_fields": [],
            }
            for i in range(args.drafts)
        ]
        for start in range(0, len(rows), 5_000):
            db.session.execute(sa.insert(AISuggestion), rows[start : start + 5_000])
        db.session.commit()
        first = _ms(draft_calibration.current)
        unchanged = [_ms(draft_calibration.current) for _ in range(args.runs)]
        signature = [_ms(draft_calibration.signature) for _ in range(args.runs)]
        full_read = [_ms(draft_calibration.outcomes) for _ in range(args.runs)]
    print(f"$ python bench/calibration_bench.py --drafts {args.drafts} --runs {args.runs}")
    print(f"sent drafts: {args.drafts:,} (SQLite file)")
    print(f"first current() (read all outcomes, fit): {first:.1f} ms")
    print(f"current() while unchanged, median:        {statistics.median(unchanged):.1f} ms")
    print(f"signature query alone, median:            {statistics.median(signature):.1f} ms")
    print(
        f"reading all outcomes, median (the old cost per draft): {statistics.median(full_read):.1f} ms"
    )


if __name__ == "__main__":
    main()
