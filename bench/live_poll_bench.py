"""Live-poll cost: how many idle polls the portal answers, and what an idle open tab costs.

Serves the portal under gunicorn (several workers) with Redis as the cache, on a fresh SQLite
file (or --database-url), logs in a staff member and a requester over HTTP, then measures:

(a) requests per second the poll endpoint sustains when nothing changed (every answer a
    204), with wrk (`apt-get install -y wrk`) or, without wrk, a Python keep-alive loop;
(b) CPU per idle open tab: N tabs (a mix of the three live pages: the staff queue, a staff
    ticket with its presence heartbeat, a requester's ticket; each also polls the
    notification badge) poll at the real interval for D seconds, and gunicorn's CPU seconds
    (master and workers, from /proc/<pid>/stat) are divided by tabs and minutes; the same
    server's idle CPU over an equal time is subtracted.

Prints one JSON line. Example (the figures in bench/README.md):

    PYTHONPATH=. .venv/bin/python bench/live_poll_bench.py --workers 4 \
        --redis-url redis://127.0.0.1:6379/13 --tabs 50 --interval 5 --duration 60
"""

# ruff: noqa: S310, S603, S607  (a local benchmark: runs gunicorn, wrk and redis-cli on 127.0.0.1)
from __future__ import annotations

import argparse
import http.client
import http.cookiejar
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def prepare_database(env: dict, tickets: int) -> None:
    """Schema and a few hundred tickets, written in a child process with the bench's env."""
    code = f"""
import random
from portal import create_app
from portal.extensions import db
from portal.models import Ticket, TicketResponse, User
from portal.models.base import utcnow
app = create_app()
with app.app_context():
    db.create_all()
    people = []
    for email, name, role in [("staff@bench.test", "Sam Staff", "staff"),
                              ("user@bench.test", "Uma User", "user")]:
        u = User(email=email, name=name, role=role)
        u.set_password({PASSWORD!r})
        db.session.add(u)
        people.append(u)
    db.session.flush()
    staff, user = people
    rng = random.Random(7)
    now = utcnow()
    for i in range({tickets}):
        t = Ticket(user_id=user.id, title=f"Bench ticket {{i}}", description="Text " * 30,
                   status=rng.choice(["open", "in_progress", "resolved", "closed"]),
                   priority=rng.choice(["low", "medium", "high", "urgent"]),
                   category="technical", created_at=now, updated_at=now, last_activity_at=now)
        db.session.add(t)
        db.session.flush()
        for k in range(3):
            db.session.add(TicketResponse(ticket_id=t.id, user_id=staff.id if k % 2 else user.id,
                           response_type="staff" if k % 2 else "user", content="Reply " * 20,
                           is_internal=k == 2, sources=[]))
    db.session.commit()
"""
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=ROOT)


def start_gunicorn(env: dict, port: int, workers: int) -> subprocess.Popen:
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    proc = subprocess.Popen(
        [gunicorn, "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
         "wsgi:app"],
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
            return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("gunicorn did not start")


def gunicorn_pids(master: int) -> list[int]:
    pids = [master]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master:  # ppid
                pids.append(int(entry.name))
    return pids


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
    return total / CLK_TCK


class Session:
    """A logged-in browser: its cookie, and the live roots of a page it opened."""

    def __init__(self, base: str, email: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        page = self.get("/auth/login")
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        token = token or re.search(r'name="csrf_token" value="([^"]+)"', page)
        data = urllib.parse.urlencode(
            {"csrf_token": token.group(1), "email": email, "password": PASSWORD}
        ).encode()
        self.opener.open(self.base + "/auth/login", data=data).read()
        assert "session" in self.cookie(), "login failed"

    def get(self, path: str) -> str:
        return self.opener.open(self.base + path).read().decode()

    def cookie(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)

    def poll_path(self, page_path: str) -> str:
        """The poll a tab on `page_path` sends (as static/js/live.js builds it)."""
        html = self.get(page_path)
        params = [
            ("s", f"{scope}:{version}")
            for scope, version in re.findall(r'data-live="([^"]+)" data-live-version="(\w*)"', html)
        ]
        presence = re.search(r'data-presence="(\d+)" data-presence-version="(\w*)"', html)
        if presence:
            params += [("p", presence.group(1)), ("pv", presence.group(2))]
        return "/live/?" + urllib.parse.urlencode(params)


def check_quiet(base: str, cookie: str, path: str) -> None:
    req = urllib.request.Request(
        base + path, headers={"Cookie": cookie, "Accept": "application/json"}
    )
    with urllib.request.urlopen(req) as resp:
        assert resp.status == 204, (path, resp.status, resp.read()[:200])


def wrk_rps(base: str, cookie: str, path: str, seconds: int, connections: int) -> dict:
    out = subprocess.run(
        ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency",
         "-H", f"Cookie: {cookie}", "-H", "Accept: application/json", base + path],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"50%\s+([\d.]+\w+)", out).group(1)
    p99 = re.search(r"99%\s+([\d.]+\w+)", out).group(1)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": p50, "p99": p99, "non_2xx": int(non2xx.group(1)) if non2xx else 0}


def python_rps(port: int, cookie: str, path: str, seconds: int, connections: int) -> dict:
    """Keep-alive GETs from `connections` threads: a floor (the client shares the CPU)."""
    done = []
    stop = time.time() + seconds

    def run() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port)
        n = 0
        while time.time() < stop:
            conn.request("GET", path, headers={"Cookie": cookie, "Accept": "application/json"})
            conn.getresponse().read()
            n += 1
        done.append(n)

    threads = [threading.Thread(target=run) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"rps": round(sum(done) / seconds, 1), "client": "python"}


def idle_tabs(base: str, tabs: list[tuple[str, str]], interval: float, duration: float) -> int:
    """Each tab polls every `interval` seconds (staggered), as live.js does; returns polls."""
    count = [0]
    lock = threading.Lock()
    stop = time.time() + duration
    errors = []

    def tab(i: int, cookie: str, path: str) -> None:
        time.sleep(interval * i / len(tabs))
        conn = http.client.HTTPConnection("127.0.0.1", int(base.rsplit(":", 1)[1]))
        while time.time() < stop:
            started = time.time()
            conn.request("GET", path, headers={"Cookie": cookie, "Accept": "application/json"})
            resp = conn.getresponse()
            resp.read()
            if resp.status not in (200, 204):
                errors.append(resp.status)
            with lock:
                count[0] += 1
            time.sleep(max(0.0, interval - (time.time() - started)))
        conn.close()

    threads = [threading.Thread(target=tab, args=(i, c, p)) for i, (c, p) in enumerate(tabs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, f"polls failed: {errors[:5]}"
    return count[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    ap.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    ap.add_argument("--tickets", type=int, default=300)
    ap.add_argument("--port", type=int, default=5199)
    ap.add_argument("--tabs", type=int, default=50)
    ap.add_argument("--interval", type=float, default=5.0)
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--rps-seconds", type=int, default=15)
    ap.add_argument("--connections", type=int, default=32)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="live-bench-"))
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PORTAL_INSTANCE_DIR": str(tmp),
        "SECRET_KEY": "bench-secret",
        "REDIS_URL": args.redis_url,
        "HUEY_NAME": "live-bench",
        "LIVE_POLL_SECONDS": str(args.interval),
    }
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    else:
        env.pop("DATABASE_URL", None)
    subprocess.run(["redis-cli", "-u", args.redis_url, "flushdb"], check=True, capture_output=True)
    prepare_database(env, args.tickets)
    proc = start_gunicorn(env, args.port, args.workers)
    base = f"http://127.0.0.1:{args.port}"
    try:
        staff = Session(base, "staff@bench.test")
        user = Session(base, "user@bench.test")
        ticket_id = re.search(r'href="/tickets/(\d+)/"', user.get("/tickets/")).group(1)
        pages = {
            "staff_queue": (staff.cookie(), staff.poll_path("/staff/")),
            "staff_ticket": (staff.cookie(), staff.poll_path(f"/staff/tickets/{ticket_id}/")),
            "user_ticket": (user.cookie(), user.poll_path(f"/tickets/{ticket_id}/")),
        }
        for cookie, path in pages.values():
            check_quiet(base, cookie, path)

        rps = {}
        for name, (cookie, path) in pages.items():
            if shutil.which("wrk"):
                rps[name] = wrk_rps(base, cookie, path, args.rps_seconds, args.connections)
            else:
                rps[name] = python_rps(args.port, cookie, path, args.rps_seconds, args.connections)

        pids = gunicorn_pids(proc.pid)
        time.sleep(2)
        idle_start = cpu_seconds(pids)
        time.sleep(args.duration)
        idle_cpu = cpu_seconds(pids) - idle_start

        kinds = list(pages.values())
        tabs = [kinds[i % len(kinds)] for i in range(args.tabs)]
        start = cpu_seconds(pids)
        polls = idle_tabs(base, tabs, args.interval, args.duration)
        busy_cpu = cpu_seconds(pids) - start
        minutes = args.duration / 60
        per_tab = max(0.0, busy_cpu - idle_cpu) / args.tabs / minutes
        result = {
            "bench": "live_poll",
            "workers": args.workers,
            "cache": "redis",
            "database": "postgresql" if args.database_url else "sqlite",
            "tickets": args.tickets,
            "rps_unchanged": rps,
            "tabs": args.tabs,
            "interval_s": args.interval,
            "duration_s": args.duration,
            "polls": polls,
            "gunicorn_cpu_s": round(busy_cpu, 2),
            "gunicorn_idle_cpu_s": round(idle_cpu, 2),
            "cpu_s_per_tab_per_min": round(per_tab, 4),
            "cpu_ms_per_poll": round(1000 * max(0.0, busy_cpu - idle_cpu) / max(polls, 1), 2),
        }
        print(json.dumps(result))
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)
        subprocess.run(["redis-cli", "-u", args.redis_url, "flushdb"], capture_output=True)


if __name__ == "__main__":
    main()
