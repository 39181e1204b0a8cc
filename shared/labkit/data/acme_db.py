"""AcmeCorp's analytics database: a small, reproducible DuckDB file for the NL->SQL labs.

Six tables (see ``SCHEMA`` below for every column; row counts for the default seed 7):

    plans          3 rows   Basic $9/month, Pro $29/month, Enterprise (custom price -> NULL)
    users        300 rows   one row per workspace owner, with country and current plan
    subscriptions 619 rows  plan history: each user has 1-3 subscriptions in a row
    orders       600 rows   web-shop purchases (plan payments, storage add-ons, onboarding)
    invoices     667 rows   one per charged order + one per Enterprise contract year
    tickets      400 rows   support tickets with category, priority and resolution time

Build it with ``build("acme.duckdb")`` or ``python -m labkit.data.acme_db acme.duckdb``.

What is fixed and what moves: seed, anchor and build day
---------------------------------------------------------
Every random choice (names, countries, plans, amounts, statuses, which month and which
part of the month each event falls in) comes from ``random.Random(seed)``, so it is the
same in every build. Only the *calendar* moves: each event sits on a 25-month timeline
made of the 24 whole months before ``anchor`` plus the anchor month itself.
``anchor`` is the first day of the current month by default, and the anchor month runs
from that day up to the build day (today). An event is stored as "k months before the
anchor, at fraction f of that month", so the same rows always land in "last month", "this
year" and so on. That is why the gold queries can use ``CURRENT_DATE`` and
``DATE_TRUNC('month', CURRENT_DATE - INTERVAL '1 month')`` and still return rows whatever
month you build the database in.

Rules that follow from this:

* Build the database the day you query it (building takes about a second). A file built
  in May and queried in July answers "last month" with June's data, and June is the
  anchor month of that file, i.e. only partly filled.
* Two builds with the same seed and anchor on the same day are identical. For a past
  anchor (e.g. ``date(2025, 1, 1)``) the whole anchor month counts as elapsed, so the
  build is identical on any day.
* Nothing is dated after the build day: a payment or a ticket resolution that would come
  later is left empty (``paid_at``/``resolved_at`` NULL, invoice unpaid, ticket open).
  Only the rows of the last few weeks are affected.
"""

from __future__ import annotations

import argparse
import calendar
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

# ---------------------------------------------------------------------------------------
# Schema. Keys are declared, so they can be read back from the file (duckdb_constraints());
# `build` also stores each `--` comment as the column's comment (COMMENT ON COLUMN) and
# TABLE_COMMENTS as the tables' comments: labkit.nl2sql.schema describes the database for
# a prompt from the file alone.
# ---------------------------------------------------------------------------------------
SCHEMA = """\
CREATE TABLE plans (
    id INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL UNIQUE,       -- 'Basic', 'Pro', 'Enterprise'
    monthly_price DECIMAL(10,2),        -- USD; NULL for Enterprise (custom pricing)
    annual_price DECIMAL(10,2),         -- USD per year; NULL for Enterprise
    projects_limit INTEGER,             -- NULL = unlimited
    storage_gb INTEGER NOT NULL,
    seats_limit INTEGER,                -- NULL = unlimited
    api_requests_per_minute INTEGER NOT NULL
);
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL,
    email VARCHAR NOT NULL UNIQUE,
    country VARCHAR NOT NULL,           -- billing country, e.g. 'Germany'
    created_at TIMESTAMP NOT NULL,      -- sign-up time
    plan VARCHAR REFERENCES plans (name)  -- current plan name; NULL = no running subscription
);
CREATE TABLE subscriptions (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    plan VARCHAR NOT NULL REFERENCES plans (name),
    status VARCHAR NOT NULL,            -- 'active', 'past_due', 'cancelled',
                                        -- 'switched' (replaced by another plan)
    started_at DATE NOT NULL,
    ended_at DATE,                      -- NULL while active or past_due
    billing_cycle VARCHAR NOT NULL      -- 'monthly' or 'annual'
);
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    product VARCHAR NOT NULL,           -- 'Basic monthly', 'Basic annual', 'Pro monthly', 'Pro annual',
                                        -- 'Storage add-on', 'Enterprise onboarding'
    total_amount DECIMAL(10,2) NOT NULL,  -- USD including VAT/GST of the user's country
    status VARCHAR NOT NULL             -- 'completed', 'refunded', 'failed', 'pending'
);
CREATE TABLE invoices (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    order_id INTEGER REFERENCES orders (id),  -- NULL for subscription invoices
    subscription_id INTEGER REFERENCES subscriptions (id),  -- Enterprise contract year;
                                        -- NULL for order invoices
    issued_at DATE NOT NULL,
    due_at DATE NOT NULL,
    amount DECIMAL(10,2) NOT NULL,      -- USD including VAT/GST
    paid BOOLEAN NOT NULL,
    paid_at DATE                        -- NULL when unpaid
);
CREATE TABLE tickets (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    category VARCHAR NOT NULL,          -- 'billing', 'login', 'sync', 'api', 'export',
                                        -- 'performance', 'account', 'integrations'
    priority VARCHAR NOT NULL,          -- 'low', 'normal', 'high', 'urgent'
    channel VARCHAR NOT NULL,           -- 'email', 'chat' (Pro, Enterprise), 'phone' (Enterprise)
    status VARCHAR NOT NULL,            -- 'open', 'pending' (waiting for the customer), 'resolved'
    resolved_at TIMESTAMP               -- NULL unless status = 'resolved'
);
"""
TABLE_COMMENTS = {
    "plans": "the three price plans of Acme Workspace",
    "users": "one row per customer (workspace owner), with billing country and current plan",
    "subscriptions": "plan history: each user has 1-3 consecutive subscriptions",
    "orders": "web-shop purchases: plan payments, storage add-ons, Enterprise onboarding",
    "invoices": "one per charged order, plus one per Enterprise contract year",
    "tickets": "support tickets with category, priority, channel and resolution time",
}


def column_comments(schema: str = SCHEMA) -> dict[tuple[str, str], str]:
    """{(table, column): comment} from the `--` comments of `schema`; a line holding only a comment
    continues the comment of the column above it."""
    comments: dict[tuple[str, str], str] = {}
    table = column = None
    for line in schema.splitlines():
        code, _, comment = line.partition("--")
        words = code.split()
        if code.startswith("CREATE TABLE"):
            table, column = words[2], None
        elif words and table:
            column = words[0]
        if comment.strip() and table and column:
            key = (table, column)
            comments[key] = f"{comments[key]} {comment.strip()}" if key in comments else comment.strip()
    return comments

# ---------------------------------------------------------------------------------------
# Fixed facts from the AcmeCorp world.
# ---------------------------------------------------------------------------------------
PLANS = [  # id, name, monthly, annual, projects, storage GB, seats, API requests/minute
    (1, "Basic", 9.00, 90.00, 10, 5, 3, 60),
    (2, "Pro", 29.00, 290.00, None, 50, 25, 600),
    (3, "Enterprise", None, None, None, 1000, None, 3000),
]

PRICES = {("Basic", "monthly"): 9.0, ("Basic", "annual"): 90.0,
          ("Pro", "monthly"): 29.0, ("Pro", "annual"): 290.0}

# Exact user counts per country: skewed and all different, so GROUP BY country never ties.
COUNTRY_COUNTS = {
    "United States": 62, "United Kingdom": 45, "Germany": 36, "India": 30, "Canada": 25,
    "France": 21, "Brazil": 18, "Netherlands": 16, "Australia": 14, "Spain": 12,
    "Japan": 11, "Sweden": 10,
}
VAT = {  # VAT/GST added to every charge, by billing country
    "United States": 0.0, "United Kingdom": 0.20, "Germany": 0.19, "India": 0.18,
    "Canada": 0.05, "France": 0.20, "Brazil": 0.0, "Netherlands": 0.21, "Australia": 0.10,
    "Spain": 0.21, "Japan": 0.10, "Sweden": 0.25,
}
# Exact ticket counts per category and priority (again: no ties).
CATEGORY_COUNTS = {"billing": 96, "login": 69, "sync": 58, "api": 49, "export": 41,
                   "performance": 33, "account": 30, "integrations": 24}
PRIORITY_COUNTS = {"low": 112, "normal": 181, "high": 79, "urgent": 28}
RESOLUTION_HOURS = {"urgent": (1, 12), "high": (4, 36), "normal": (8, 96), "low": (24, 240)}

FIRST_NAMES = [
    "Ada", "Aiko", "Alice", "Amara", "Ana", "Anders", "Arjun", "Astrid", "Ben", "Bruno", "Camille",
    "Carlos", "Chloe", "Chen", "Clara", "Daniel", "Diego", "Elena", "Elif", "Emma", "Erik",
    "Fatima", "Felix", "Freya", "Gabriel", "Grace", "Hannah", "Hiro", "Ines", "Isaac", "Ivan",
    "Jack", "Jonas", "Julia", "Kai", "Karin", "Lars", "Laura", "Leo", "Lina", "Lucas", "Maya",
    "Mei", "Mateo", "Nadia", "Noah", "Nora", "Olivia", "Omar", "Priya", "Rafael", "Ravi", "Rosa",
    "Sam", "Sara", "Sofia", "Tom", "Valentina", "Yuki", "Zoe"
]
LAST_NAMES = [
    "Alvarez", "Andersson", "Bakker", "Becker", "Bernard", "Brown", "Chen", "Costa", "Das",
    "Dubois", "Evans", "Fischer", "Garcia", "Gupta", "Hansen", "Hoffmann", "Ito", "Jansen",
    "Johnson", "Kim", "Kumar", "Lambert", "Lee", "Lopez", "Martin", "Meyer", "Miller", "Moreau",
    "Muller", "Nakamura", "Nguyen", "Novak", "Olsen", "Patel", "Perez", "Reddy", "Rossi", "Santos",
    "Sato", "Schmidt", "Silva", "Singh", "Smith", "Suzuki", "Tanaka", "Taylor", "Thomas", "Visser",
    "Wagner", "Walker", "Weber", "Williams", "Wilson", "Wright", "Young"
]
EMAIL_DOMAINS = ["example.com", "example.org", "example.net", "mail.example", "northwind.example",
                 "globex.example", "initech.example", "contoso.example", "umbrella.example"]

N_USERS = sum(COUNTRY_COUNTS.values())      # 300
N_ORDERS = 600
N_TICKETS = sum(CATEGORY_COUNTS.values())   # 400
MONTHS = 24       # whole months of history before the anchor month
# Bumped when the file's layout changes (here: 2 = declared foreign keys and comments), so
# labkit.data.sql_db_path() does not reuse a cached file built by an older version.
FORMAT_VERSION = 2
GROWTH = 0.06     # activity grows by about 6% per month


# ---------------------------------------------------------------------------------------
# The timeline: a position x in [0, 25) = month index floor(x) (0 = 24 months before the
# anchor, 24 = anchor month) plus the fraction of that month. Random draws give positions;
# only `Calendar.at()` turns them into real timestamps.
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Calendar:
    anchor: date    # first day of the anchor month
    horizon: date   # last day that may hold data (the build day, or the anchor month's end)

    def at(self, x: float) -> datetime:
        """Timestamp of timeline position ``x`` (whole seconds)."""
        k = min(int(x), MONTHS)
        start = add_months(self.anchor, k - MONTHS)
        if k < MONTHS:
            days = calendar.monthrange(start.year, start.month)[1]
        else:  # the anchor month only runs up to the horizon day
            days = (self.horizon - self.anchor).days + 1
        seconds = int((x - k) * days * 86400)
        return datetime.combine(start, datetime.min.time()) + timedelta(seconds=seconds)

    def end(self) -> datetime:
        """The last moment that may hold data."""
        return datetime.combine(self.horizon, datetime.max.time()).replace(microsecond=0)


def add_months(d: date, months: int) -> date:
    """First day of the month `months` away from the month of `d`."""
    index = d.year * 12 + d.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def growth_point(rng: random.Random, lo: float = 0.0, hi: float = MONTHS + 1) -> float:
    """A random timeline position in [lo, hi), more likely late (the company grows)."""
    a, b = math.exp(GROWTH * lo), math.exp(GROWTH * hi)
    return min(math.log(a + rng.random() * (b - a)) / GROWTH, hi - 1e-9)


def exact_shuffle(rng: random.Random, counts: dict[str, int]) -> list[str]:
    """Each key repeated `count` times, in random order."""
    values = [key for key, n in counts.items() for _ in range(n)]
    rng.shuffle(values)
    return values


# ---------------------------------------------------------------------------------------
# Generators. Each works on timeline positions; rows are produced at the end.
# ---------------------------------------------------------------------------------------
@dataclass
class Sub:
    user: int
    plan: str
    cycle: str
    start: float
    end: float | None   # timeline position; None while running
    status: str
    price: float = 0.0  # Enterprise contract price per year (before VAT)
    id: int = 0


def make_users(rng: random.Random) -> list[dict]:
    """300 users: unique names and e-mails, exact country counts, sign-up positions."""
    countries = exact_shuffle(rng, COUNTRY_COUNTS)
    names: set[str] = set()
    while len(names) < N_USERS:
        names.add(f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}")
    ordered_names = sorted(names)
    rng.shuffle(ordered_names)
    signups = sorted(growth_point(rng) for _ in range(N_USERS))  # ids follow sign-up order
    users = []
    for i, (name, country, x) in enumerate(zip(ordered_names, countries, signups, strict=True), start=1):
        email = name.lower().replace(" ", ".") + "@" + rng.choice(EMAIL_DOMAINS)
        users.append({"id": i, "name": name, "email": email, "country": country, "x": x,
                      "activity": rng.lognormvariate(0, 0.7)})  # some customers buy more
    return users


def make_subscriptions(rng: random.Random, users: list[dict]) -> list[Sub]:
    """Plan history: 1-3 subscriptions per user, each starting when the previous one ends."""
    next_plan = {"Basic": (["Pro", "Enterprise"], [0.8, 0.2]),
                 "Pro": (["Enterprise", "Basic"], [0.35, 0.65]),
                 "Enterprise": (["Pro"], [1.0])}
    subs: list[Sub] = []
    for u in users:
        # plan changes: a few months apart (at least a week), never in the anchor month
        starts = [u["x"]]
        while len(starts) < 3:
            nxt = starts[-1] + 0.25 + rng.expovariate(1 / 5)
            if nxt >= MONTHS:
                break
            starts.append(nxt)
        plan = rng.choices(["Basic", "Pro", "Enterprise"], weights=[0.55, 0.37, 0.08])[0]
        for j, start in enumerate(starts):
            last = j == len(starts) - 1
            cycle = "annual" if plan == "Enterprise" or rng.random() < 0.3 else "monthly"
            if not last:
                status, end = "switched", starts[j + 1]
            else:
                # the last one may be cancelled after a random time; if that lies beyond
                # the anchor month it is still running (a few of those fail to pay)
                end = start + 0.1 + rng.expovariate(1 / 12)
                status = "past_due" if rng.random() < 0.07 else "active"
                if end < MONTHS + 1:
                    status = "cancelled"
                else:
                    end = None
            price = rng.randrange(12_000, 60_001, 500) if plan == "Enterprise" else 0.0
            subs.append(Sub(u["id"], plan, cycle, start, end, status, price))
            options, weights = next_plan[plan]
            plan = rng.choices(options, weights=weights)[0]
    subs.sort(key=lambda s: (s.start, s.user))
    for i, s in enumerate(subs, start=1):
        s.id = i
    return subs


def running_at(subs: list[Sub], x: float) -> list[Sub]:
    """The subscriptions that are running at timeline position `x`."""
    return [s for s in subs if s.start <= x and (s.end is None or x < s.end)]


def make_orders(rng: random.Random, users: list[dict], subs: list[Sub]) -> list[dict]:
    """600 purchases: an onboarding package for most Enterprise contracts, then purchases
    at growing monthly volume, each by a customer whose subscription is running then."""
    activity = {u["id"]: u["activity"] for u in users}
    picks: list[tuple[Sub, float, str, float]] = []  # (subscription, position, product, price)
    for s in subs:
        if s.plan == "Enterprise" and rng.random() < 0.6:
            last = (s.end if s.end is not None else MONTHS + 1) - 1e-6
            x = min(s.start + rng.uniform(0, 0.2), last)
            picks.append((s, x, "Enterprise onboarding", float(rng.randrange(1500, 6001, 250))))
    while len(picks) < N_ORDERS:
        x = growth_point(rng)
        running = running_at(subs, x)
        if not running:  # nobody to buy anything yet
            continue
        s = rng.choices(running, weights=[activity[r.user] for r in running])[0]
        if s.plan == "Enterprise":
            product, price = "Storage add-on", 5.0 * rng.randint(2, 20) * 12
        elif s.plan == "Pro" and rng.random() < 0.25:
            product, price = "Storage add-on", 5.0 * rng.randint(1, 4) * rng.choice([1, 1, 12])
        else:
            product, price = f"{s.plan} {s.cycle}", PRICES[s.plan, s.cycle]
        picks.append((s, x, product, price))
    country = {u["id"]: u["country"] for u in users}
    orders: list[dict[str, Any]] = []
    for s, x, product, price in picks:
        status = rng.choices(["completed", "refunded", "failed", "pending"],
                             weights=[0.82, 0.05, 0.08, 0.05])[0]
        amount = round(price * (1 + VAT[country[s.user]]) + 1e-9, 2)
        orders.append({"user_id": s.user, "x": x, "product": product,
                       "total_amount": amount, "status": status})
    orders.sort(key=lambda o: o["x"])
    return orders


def make_tickets(rng: random.Random, users: list[dict], subs: list[Sub]) -> list[dict]:
    """400 tickets with exact category/priority counts; the channel depends on the plan."""
    categories = exact_shuffle(rng, CATEGORY_COUNTS)
    priorities = exact_shuffle(rng, PRIORITY_COUNTS)
    channels: dict[str | None, list[str]] = {"Pro": ["email", "chat"], "Enterprise": ["email", "chat", "phone"]}
    tickets = []
    for category, priority in zip(categories, priorities, strict=True):
        x = growth_point(rng)
        signed_up = [u for u in users if u["x"] <= x]
        while not signed_up:
            x = growth_point(rng)
            signed_up = [u for u in users if u["x"] <= x]
        user = rng.choices(signed_up, weights=[u["activity"] for u in signed_up])[0]
        plan = next((s.plan for s in running_at(subs, x) if s.user == user["id"]), None)
        channel = rng.choice(channels.get(plan, ["email"]))
        lo, hi = RESOLUTION_HOURS[priority]
        hours = rng.uniform(lo, hi) * (0.5 if plan == "Enterprise" else 1.0)
        status = rng.choices(["resolved", "open", "pending"], weights=[0.9, 0.05, 0.05])[0]
        tickets.append({"user_id": user["id"], "x": x, "category": category,
                        "priority": priority, "channel": channel, "status": status,
                        "hours": hours})
    tickets.sort(key=lambda t: t["x"])
    return tickets


def unique_times(cal: Calendar, xs: list[float]) -> list[datetime]:
    """Timestamps for sorted positions, nudged by a second where two would coincide."""
    out: list[datetime] = []
    for x in xs:
        t = cal.at(x)
        if out and t <= out[-1]:
            t = out[-1] + timedelta(seconds=1)
        out.append(t)
    return out


# ---------------------------------------------------------------------------------------
# Putting it together.
# ---------------------------------------------------------------------------------------
def build(path: str | Path, seed: int = 7, anchor: date | None = None) -> Path:
    """Create (or overwrite) the AcmeCorp DuckDB database at `path` and return its path.

    `seed` fixes every random value; `anchor` (default: the first day of the current
    month; any other day is moved to the 1st of its month) only places the rows on the
    calendar, see the module docstring.
    """
    path = Path(path)
    anchor = (anchor or date.today()).replace(day=1)
    month_end = anchor.replace(day=calendar.monthrange(anchor.year, anchor.month)[1])
    cal = Calendar(anchor, max(anchor, min(date.today(), month_end)))
    rng = random.Random(seed)

    users = make_users(rng)
    subs = make_subscriptions(rng, users)
    orders = make_orders(rng, users, subs)
    tickets = make_tickets(rng, users, subs)
    country = {u["id"]: u["country"] for u in users}
    last_moment = cal.end()

    # users: current plan = plan of the last subscription if it is still running
    current = {s.user: (s.plan if s.status in ("active", "past_due") else None) for s in subs}
    user_times = unique_times(cal, [u["x"] for u in users])
    user_rows = [(u["id"], u["name"], u["email"], u["country"], t, current[u["id"]])
                 for u, t in zip(users, user_times, strict=True)]

    sub_rows = [(s.id, s.user, s.plan, s.status, cal.at(s.start).date(),
                 cal.at(s.end).date() if s.end is not None else None, s.cycle) for s in subs]

    order_times = unique_times(cal, [o["x"] for o in orders])
    order_rows = [(i, o["user_id"], t, o["product"], o["total_amount"], o["status"])
                  for i, (o, t) in enumerate(zip(orders, order_times, strict=True), start=1)]

    # invoices: one per charged order (not 'pending') + one per Enterprise contract year
    # (issued, user, order_id, subscription_id, amount, net_days, pay_after_days)
    invoice_drafts: list[tuple[date, int, int | None, int | None, float, int, int | None]] = []
    for oid, uid, created, product, amount, status in order_rows:
        if status == "pending":
            continue
        net = 30 if product == "Enterprise onboarding" else 14
        if status == "failed":
            pay_after = None
        elif product == "Enterprise onboarding":
            pay_after = rng.randint(3, 45)  # bank transfer, sometimes late
        else:
            pay_after = 0  # card payment on the day
        invoice_drafts.append((created.date(), uid, oid, None, amount, net, pay_after))
    for s in subs:
        if s.plan != "Enterprise":
            continue
        # one invoice at the start of each contract year (12 months on the timeline)
        stop = s.end if s.end is not None else MONTHS + 1
        starts = [s.start + 12 * year for year in range(3) if s.start + 12 * year < stop]
        amount = round(s.price * (1 + VAT[country[s.user]]) + 1e-9, 2)
        for x in starts:
            unpaid = s.status == "past_due" and x == starts[-1]
            invoice_drafts.append((cal.at(x).date(), s.user, None, s.id, amount, 30,
                                   None if unpaid else rng.randint(3, 45)))
    invoice_drafts.sort(key=lambda d: (d[0], d[2] or 0, d[3] or 0))
    invoice_rows = []
    for i, (issued, uid, order_id, sid, amount, net, pay_after) in enumerate(invoice_drafts, 1):
        paid_at = issued + timedelta(days=pay_after) if pay_after is not None else None
        if paid_at is not None and paid_at > cal.horizon:
            paid_at = None  # would be paid after the build day
        invoice_rows.append((i, uid, order_id, sid, issued, issued + timedelta(days=net), amount,
                             paid_at is not None, paid_at))

    ticket_rows = []
    ticket_times = unique_times(cal, [tk["x"] for tk in tickets])
    for i, (tk, t) in enumerate(zip(tickets, ticket_times, strict=True), start=1):
        resolved = t + timedelta(seconds=int(tk["hours"] * 3600))
        status = tk["status"]
        if status == "resolved" and resolved > last_moment:
            status = "open"  # would be resolved after the build day
        ticket_rows.append((i, tk["user_id"], t, tk["category"], tk["priority"], tk["channel"],
                            status, resolved if status == "resolved" else None))

    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    try:
        con.execute(SCHEMA)
        for table, comment in TABLE_COMMENTS.items():
            con.execute(f"COMMENT ON TABLE {table} IS '{comment}'")
        for (table, column), comment in column_comments().items():
            con.execute(f"COMMENT ON COLUMN {table}.{column} IS '{comment.replace(chr(39), chr(39) * 2)}'")
        tables: list[tuple[str, Sequence[Sequence[object]]]] = [
            ("plans", PLANS), ("users", user_rows), ("subscriptions", sub_rows), ("orders", order_rows),
            ("invoices", invoice_rows), ("tickets", ticket_rows)]
        for table, rows in tables:
            # one multi-row INSERT per table: much faster than executemany
            row_marks = "(" + ", ".join("?" * len(rows[0])) + ")"
            con.execute(f"INSERT INTO {table} VALUES " + ", ".join([row_marks] * len(rows)),
                        [value for row in rows for value in row])
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return path


def main(argv: list[str] | None = None) -> None:
    """Command line: ``python -m labkit.data.acme_db OUT.duckdb [--seed 7] [--anchor YYYY-MM-DD]``."""
    parser = argparse.ArgumentParser(description="Build the AcmeCorp DuckDB database.")
    parser.add_argument("out", type=Path, help="database file to create (overwritten)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--anchor", type=date.fromisoformat, default=None,
                        help="first day of the anchor month (default: this month)")
    args = parser.parse_args(argv)
    path = build(args.out, seed=args.seed, anchor=args.anchor)
    con = duckdb.connect(str(path), read_only=True)
    for (table,) in con.execute("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall():
        count = con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
        assert count is not None  # COUNT(*) returns one row
        print(f"{table:14} {count[0]:5} rows")
    con.close()
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
