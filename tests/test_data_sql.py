"""Tests for the NL->SQL course data: the AcmeCorp DuckDB database (labkit.data.acme_db),
the NL->SQL pairs (labkit/data/sql/pairs.jsonl) and the grader (labkit.sqlcheck).

Run: PYTHONPATH=/work/main/shared python3 -m pytest /work/main/tests/test_data_sql.py -q
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from datetime import date, datetime, time
from pathlib import Path

import duckdb
import pytest

from labkit import sqlcheck
from labkit.data import acme_db

PAIRS_PATH = Path(acme_db.__file__).parent / "sql" / "pairs.jsonl"
TABLES = ["plans", "users", "subscriptions", "orders", "invoices", "tickets"]
SYSTEM_PROMPT = "You generate SQL from natural language."
SEED_PAIRS = [
    ("Show me all orders from last month over $100",
     ("SELECT * FROM orders WHERE created_at >= DATE_TRUNC('month', CURRENT_DATE - INTERVAL '1 month') "
      "AND created_at < DATE_TRUNC('month', CURRENT_DATE) AND total_amount > 100 ORDER BY created_at DESC;")),
    ("Count users by country",
     "SELECT country, COUNT(*) as user_count FROM users GROUP BY country ORDER BY user_count DESC;"),
]
COUNT_BY_COUNTRY = SEED_PAIRS[1][1]


# ------------------------------------------------------------------------------ helpers
@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database built today with the default seed and anchor, as a learner would."""
    return acme_db.build(tmp_path_factory.mktemp("acme") / "acme.duckdb")


@pytest.fixture(scope="module")
def pairs() -> list[dict]:
    return [json.loads(line) for line in PAIRS_PATH.read_text(encoding="utf-8").splitlines() if line.strip()]


def query(path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def dump(path: Path) -> dict[str, list[tuple]]:
    """Every table's schema and rows, in id order."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {t: (con.execute(f"DESCRIBE {t}").fetchall(),
                    con.execute(f"SELECT * FROM {t} ORDER BY id").fetchall()) for t in TABLES}
    finally:
        con.close()


def gold(pair: dict) -> str:
    return pair["messages"][2]["content"]


# ------------------------------------------------------------------------------ database
def test_build_twice_gives_identical_contents(tmp_path: Path) -> None:
    anchor = date.today().replace(day=1)
    a = acme_db.build(tmp_path / "a.duckdb", anchor=anchor)
    b = acme_db.build(tmp_path / "b.duckdb", anchor=anchor)
    assert dump(a) == dump(b)
    other_seed = acme_db.build(tmp_path / "c.duckdb", seed=8, anchor=anchor)
    assert dump(other_seed)["users"] != dump(a)["users"]  # the comparison can tell builds apart


def test_anchor_moves_only_the_calendar(tmp_path: Path) -> None:
    a = acme_db.build(tmp_path / "jan.duckdb", anchor=date(2025, 1, 1))
    b = acme_db.build(tmp_path / "jul.duckdb", anchor=date(2026, 7, 1))
    for sql in ["SELECT id, name, email, country, plan FROM users ORDER BY id",
                "SELECT id, user_id, product, total_amount, status FROM orders ORDER BY id",
                "SELECT id, user_id, plan, status, billing_cycle FROM subscriptions ORDER BY id",
                "SELECT id, user_id, category, priority, channel FROM tickets ORDER BY id"]:
        assert query(a, sql) == query(b, sql), sql
    # the same rows land in "the month before the anchor", whichever month that is
    last_month = ("SELECT COUNT(*), SUM(total_amount) FROM orders "
                  "WHERE created_at >= DATE '{s}' AND created_at < DATE '{e}'")
    assert query(a, last_month.format(s="2024-12-01", e="2025-01-01")) == \
        query(b, last_month.format(s="2026-06-01", e="2026-07-01"))
    # 24 whole months before the anchor plus the anchor month (a past one counts as complete)
    first, last = query(a, "SELECT MIN(created_at), MAX(created_at) FROM users")[0]
    assert datetime(2023, 1, 1) <= first < datetime(2023, 3, 1)
    assert last < datetime(2025, 2, 1)


def test_row_counts_are_in_the_hundreds(db: Path) -> None:
    counts = {t: query(db, f"SELECT COUNT(*) FROM {t}")[0][0] for t in TABLES}
    assert counts["plans"] == 3
    assert (counts["users"], counts["orders"], counts["tickets"]) == (300, 600, 400)
    assert 500 <= counts["subscriptions"] <= 750
    assert 500 <= counts["invoices"] <= 750


def test_dates_span_24_months_up_to_today(db: Path) -> None:
    anchor = date.today().replace(day=1)
    earliest = datetime(anchor.year - 2, anchor.month, 1)
    latest = datetime.combine(date.today(), time.max)
    for table, column in [("users", "created_at"), ("orders", "created_at"), ("tickets", "created_at"),
                          ("tickets", "resolved_at"), ("invoices", "paid_at"), ("subscriptions", "ended_at")]:
        first, last = query(db, f"SELECT MIN({column}), MAX({column}) FROM {table}")[0]
        as_datetime = [v if isinstance(v, datetime) else datetime.combine(v, time.min) for v in (first, last)]
        assert earliest <= as_datetime[0] and as_datetime[1] <= latest, (table, column, first, last)
    sql = "SELECT COUNT(*) FROM {} WHERE created_at >= DATE_TRUNC('month', CURRENT_DATE)"
    assert all(query(db, sql.format(table))[0][0] > 0 for table in ("users", "orders", "tickets"))


def test_country_counts_are_skewed_without_ties(db: Path) -> None:
    counts = [n for _, n in query(db, COUNT_BY_COUNTRY)]
    assert len(counts) == 12
    assert len(set(counts)) == len(counts)
    assert counts[0] > 2 * counts[5]


def test_foreign_keys_point_to_existing_rows(db: Path) -> None:
    orphans = """
        SELECT (SELECT COUNT(*) FROM orders WHERE user_id NOT IN (SELECT id FROM users))
             + (SELECT COUNT(*) FROM subscriptions WHERE user_id NOT IN (SELECT id FROM users))
             + (SELECT COUNT(*) FROM tickets WHERE user_id NOT IN (SELECT id FROM users))
             + (SELECT COUNT(*) FROM invoices WHERE order_id NOT IN (SELECT id FROM orders))
             + (SELECT COUNT(*) FROM invoices WHERE subscription_id NOT IN (SELECT id FROM subscriptions))
             + (SELECT COUNT(*) FROM invoices WHERE (order_id IS NULL) = (subscription_id IS NULL))
             + (SELECT COUNT(*) FROM users WHERE plan NOT IN (SELECT name FROM plans))
             + (SELECT COUNT(*) FROM subscriptions WHERE ended_at < started_at)
             + (SELECT COUNT(*) FROM tickets WHERE (status = 'resolved') <> (resolved_at IS NOT NULL))
             + (SELECT COUNT(*) FROM invoices WHERE paid <> (paid_at IS NOT NULL))"""
    assert query(db, orphans)[0][0] == 0


def test_command_line_builds_a_database(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "cli.duckdb"
    acme_db.main([str(out), "--anchor", "2025-03-01"])
    assert out.exists()
    assert "users" in capsys.readouterr().out
    assert query(out, "SELECT COUNT(*) FROM users")[0][0] == 300


# ------------------------------------------------------------------------------ pairs
def test_pairs_are_well_formed(pairs: list[dict]) -> None:
    assert len(pairs) >= 160
    ids = [p["id"] for p in pairs]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"s\d{3}", i) for i in ids)
    questions = [p["messages"][1]["content"] for p in pairs]
    assert len(set(questions)) == len(questions)
    for p in pairs:
        assert set(p) == {"id", "messages", "ordered", "difficulty", "tables", "source"}, p["id"]
        assert [m["role"] for m in p["messages"]] == ["system", "user", "assistant"], p["id"]
        assert p["messages"][0]["content"] == SYSTEM_PROMPT, p["id"]
        assert p["difficulty"] in {"easy", "medium", "hard"}, p["id"]
        assert p["source"] in {"seed", "course"}, p["id"]
        assert isinstance(p["ordered"], bool), p["id"]
        assert p["tables"] and set(p["tables"]) <= set(TABLES), p["id"]
        for table in p["tables"]:
            assert re.search(rf"\b{table}\b", gold(p)), (p["id"], table)
    assert all(Counter(p["difficulty"] for p in pairs)[d] >= 30 for d in ("easy", "medium", "hard"))


def test_seed_pairs_come_first_verbatim(pairs: list[dict]) -> None:
    for pair, (question, sql) in zip(pairs[:2], SEED_PAIRS, strict=True):
        assert pair["source"] == "seed"
        assert pair["messages"][1]["content"] == question
        assert pair["messages"][2]["content"] == sql
        # neither seed question asks for an order, although both gold queries sort
        assert pair["ordered"] is False
    assert [p["source"] for p in pairs[2:]] == ["course"] * (len(pairs) - 2)


def test_ordered_pairs_contain_order_by(pairs: list[dict]) -> None:
    ordered = [p for p in pairs if p["ordered"]]
    assert len(ordered) >= 10
    for p in ordered:
        assert "ORDER BY" in gold(p).upper(), p["id"]


def test_every_gold_query_executes_and_most_return_rows(db: Path, pairs: list[dict]) -> None:
    con = sqlcheck.connect(db)
    try:
        results = {p["id"]: sqlcheck.execute(con, gold(p)) for p in pairs}
    finally:
        con.close()
    errors = {i: r.error for i, r in results.items() if r.error}
    assert errors == {}
    share = sum(bool(r.rows) for r in results.values()) / len(results)
    assert share >= 0.85, share


def test_gold_results_do_not_depend_on_row_order(db: Path, pairs: list[dict], tmp_path: Path) -> None:
    """Top-N with ties or ROW_NUMBER over duplicates would give different answers when the
    rows are stored in another order: rebuild the tables in reverse and compare."""
    reversed_db = tmp_path / "reversed.duckdb"
    con = duckdb.connect(str(reversed_db))
    con.execute(f"ATTACH '{db}' AS src (READ_ONLY)")
    for table in TABLES:
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM src.{table} ORDER BY id DESC")
    con.close()

    def results(path: Path) -> dict[str, object]:
        con = sqlcheck.connect(path)
        try:
            out = {}
            for p in pairs:
                result = sqlcheck.execute(con, gold(p))
                rows = [tuple(sqlcheck.normalize(v) for v in row) for row in result.rows]
                out[p["id"]] = rows if p["ordered"] else Counter(rows)
            return out
        finally:
            con.close()

    normal, backwards = results(db), results(reversed_db)
    assert [i for i in normal if normal[i] != backwards[i]] == []


# ------------------------------------------------------------------------------ sqlcheck
def test_gold_matches_itself(db: Path, pairs: list[dict]) -> None:
    for p in pairs[:20]:
        c = sqlcheck.compare(gold(p), gold(p), db, ordered=p["ordered"])
        assert c.match, (p["id"], c.reason)
        assert c.gold_rows == c.candidate_rows


def test_equivalent_query_in_another_order_matches_when_unordered(db: Path) -> None:
    candidate = "SELECT country, COUNT(id) FROM users GROUP BY 1 ORDER BY country"
    c = sqlcheck.compare(COUNT_BY_COUNTRY, candidate, db)
    assert c.match and c.gold_rows == c.candidate_rows == 12
    c = sqlcheck.compare(COUNT_BY_COUNTRY, candidate, db, ordered=True)
    assert not c.match and "order" in c.reason


def test_numbers_are_compared_to_two_decimals(db: Path) -> None:
    c = sqlcheck.compare("SELECT AVG(total_amount) FROM orders",
                         "SELECT ROUND(AVG(total_amount), 2) AS avg_value FROM orders", db)
    assert c.match, c.reason


def test_wrong_queries_do_not_match(db: Path) -> None:
    wrong_filter = "SELECT country, COUNT(*) FROM users WHERE plan IS NOT NULL GROUP BY country"
    c = sqlcheck.compare(COUNT_BY_COUNTRY, wrong_filter, db)
    assert not c.match and c.candidate_rows == 12
    swapped_columns = "SELECT COUNT(*), country FROM users GROUP BY country"
    assert not sqlcheck.compare(COUNT_BY_COUNTRY, swapped_columns, db).match
    extra_column = "SELECT country, COUNT(*), MIN(created_at) FROM users GROUP BY country"
    assert "columns" in sqlcheck.compare(COUNT_BY_COUNTRY, extra_column, db).reason
    fewer_rows = "SELECT country, COUNT(*) FROM users GROUP BY country LIMIT 5"
    assert "rows" in sqlcheck.compare(COUNT_BY_COUNTRY, fewer_rows, db).reason


def test_the_reason_does_not_depend_on_row_order(db: Path) -> None:
    # an unordered query's rows arrive in any order (DuckDB runs it on several threads); the reason names
    # the same missing row whatever the order, so corrupt() and graded runs reproduce
    candidate = "SELECT x + 10 FROM range(5) t(x)"
    reasons = {sqlcheck.compare(f"SELECT x FROM range(5) t(x) ORDER BY x {way}", candidate, db).reason
               for way in ("ASC", "DESC")}
    assert reasons == {"same number of rows but different values, e.g. (0,) is missing"}


def test_syntax_error_is_a_non_match_with_message(db: Path) -> None:
    c = sqlcheck.compare(COUNT_BY_COUNTRY, "SELEC country FROM users", db)
    assert not c.match
    assert "syntax error" in c.reason.lower()
    assert c.candidate_rows == 0 and c.gold_rows == 12
    c = sqlcheck.compare(COUNT_BY_COUNTRY, "SELECT * FROM customers", db)
    assert not c.match and "customers" in c.reason


@pytest.mark.parametrize("candidate", [
    "DELETE FROM users",
    "DROP TABLE users",
    "UPDATE orders SET total_amount = 0",
    "SELECT 1; DELETE FROM users",
    "COPY users TO 'users.csv'",
    "",
])
def test_only_select_queries_are_graded(db: Path, candidate: str) -> None:
    c = sqlcheck.compare(COUNT_BY_COUNTRY, candidate, db)
    assert not c.match
    assert "only SELECT queries are graded" in c.reason
    assert query(db, "SELECT COUNT(*) FROM users")[0][0] == 300


def test_candidate_cannot_read_other_files(db: Path) -> None:
    c = sqlcheck.compare("SELECT 1", "SELECT * FROM read_csv('/etc/hostname')", db)
    assert not c.match and c.candidate_rows == 0


def test_failing_gold_query_raises(db: Path) -> None:
    with pytest.raises(ValueError, match="gold query failed"):
        sqlcheck.compare("SELECT * FROM no_such_table", COUNT_BY_COUNTRY, db)


def test_run_returns_columns_rows_or_error(db: Path) -> None:
    r = sqlcheck.run(COUNT_BY_COUNTRY, db)
    assert r.error is None and r.columns == ["country", "user_count"] and len(r.rows) == 12
    assert sqlcheck.run("SELECT nope FROM users", db).error


# ------------------------------------------------------------------------------ why DuckDB
def test_seed_examples_run_unchanged_on_duckdb(db: Path) -> None:
    for question, sql in SEED_PAIRS:
        r = sqlcheck.run(sql, db)
        assert r.error is None, (question, r.error)
        assert r.rows, question


def test_sqlite_cannot_run_the_seed_sql() -> None:
    """The seed SQL is PostgreSQL-style (DATE_TRUNC, INTERVAL literals). SQLite has neither,
    which is why the course uses DuckDB: it runs the seed examples as written."""
    con = sqlite3.connect(":memory:")
    con.execute("CREATE TABLE orders (id INTEGER, created_at TEXT, total_amount REAL)")
    with pytest.raises(sqlite3.OperationalError):
        con.execute(SEED_PAIRS[0][1])
    with pytest.raises(sqlite3.OperationalError, match="DATE_TRUNC"):
        con.execute("SELECT DATE_TRUNC('month', CURRENT_DATE)")
    con.close()
