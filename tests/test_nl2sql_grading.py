"""Bad input in SQL grading (labkit.sqlcheck, as labkit.nl2sql uses it): every kind of bad candidate is a clear
non-match with DuckDB's message, never an exception, never a change to the database file."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest

from labkit import sqlcheck
from labkit.data import acme_db

COUNT_BY_COUNTRY = "SELECT country, COUNT(*) AS user_count FROM users GROUP BY country ORDER BY user_count DESC"
TOP3 = "SELECT country, COUNT(*) AS n FROM users GROUP BY country ORDER BY n DESC LIMIT 3"
SLOW = "SELECT SUM(a.id * b.id * c.id * d.id) FROM orders a, orders b, orders c, orders d"

# (candidate, words the reason must contain): not a SELECT, several statements, writes, side effects
BAD = [
    ("DELETE FROM users", ["only SELECT", "DELETE"]),
    ("UPDATE orders SET total_amount = 0", ["only SELECT", "UPDATE"]),
    ("INSERT INTO plans VALUES (4, 'Free', 0, 0, 1, 1, 1, 1)", ["only SELECT", "INSERT"]),
    ("DROP TABLE users", ["only SELECT", "DROP"]),
    ("CREATE TEMP TABLE t AS SELECT 1", ["only SELECT", "CREATE"]),
    ("SET GLOBAL default_order = 'DESC'", ["only SELECT", "SET"]),
    ("ATTACH 'other.duckdb' AS other", ["only SELECT", "ATTACH"]),
    ("COPY users TO 'users.csv'", ["only SELECT", "COPY"]),
    ("INSTALL httpfs", ["only SELECT"]),
    ("CHECKPOINT", ["only SELECT"]),
    ("PRAGMA enable_profiling", ["only SELECT"]),
    ("SELECT 1; DELETE FROM users", ["only SELECT", "2 statements", "SELECT, DELETE"]),
    ("SELECT 1; SELECT 2", ["only SELECT", "2 statements"]),
    ("", ["only SELECT", "0 statements"]),
    ("FROM users SELECT country", ["only SELECT", "FROM"]),
    ("SELECT * FROM query('DELETE FROM users RETURNING id')", ["Parser Error"]),
    ("SELECT * FROM read_csv('/etc/hostname')", ["Permission Error"]),
    ("SELECT * FROM 'https://example.com/users.parquet'", ["Permission Error"]),
    ("SELEC country FROM users", ["syntax error"]),
    ("SELECT * FROM customers", ["Catalog Error", "customers"]),
]


def fingerprint(path: Path) -> tuple[str, int, bool]:
    """Contents hash, modification time, and whether a write-ahead log appeared beside the file."""
    return (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns,
            path.with_name(path.name + ".wal").exists())


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return acme_db.build(tmp_path_factory.mktemp("grading") / "acme.duckdb", anchor=date(2025, 1, 1))


@pytest.mark.parametrize("candidate,words", BAD, ids=[c[:30] or "empty" for c, _ in BAD])
def test_bad_candidate_is_a_non_match_with_a_message(db: Path, candidate: str, words: list[str]) -> None:
    verdict = sqlcheck.compare(COUNT_BY_COUNTRY, candidate, db)
    assert not verdict.match
    assert verdict.error == verdict.reason and verdict.candidate_rows == 0 and verdict.gold_rows == 12
    for word in words:
        assert word in verdict.reason, (word, verdict.reason)


def test_bad_candidates_leave_the_file_byte_identical(db: Path) -> None:
    before = fingerprint(db)
    for candidate, _ in BAD:
        sqlcheck.compare(COUNT_BY_COUNTRY, candidate, db)
    assert fingerprint(db) == before
    # and nothing leaked into later grading: the table is whole and sorts as usual
    assert sqlcheck.run("SELECT COUNT(*) FROM users", db).rows == [(300,)]
    assert sqlcheck.compare(TOP3, TOP3, db, ordered=True).match


def test_a_query_that_runs_too_long_is_stopped(db: Path) -> None:
    before = fingerprint(db)
    verdict = sqlcheck.compare(COUNT_BY_COUNTRY, SLOW, db, timeout_s=0.5)
    assert not verdict.match
    assert "longer than 0.5 s" in verdict.reason and "Interrupt" in verdict.reason  # ours and DuckDB's words
    assert fingerprint(db) == before


def test_right_rows_in_the_wrong_order_fail_only_when_the_question_asks_for_an_order(db: Path) -> None:
    ascending = "SELECT country, COUNT(*) AS n FROM users GROUP BY country ORDER BY n ASC"
    descending = COUNT_BY_COUNTRY
    assert sqlcheck.compare(descending, ascending, db, ordered=False).match
    verdict = sqlcheck.compare(descending, ascending, db, ordered=True)
    assert not verdict.match and "different order" in verdict.reason
    assert verdict.error is None  # it ran: wrong, not invalid
    assert sqlcheck.compare(descending, descending, db, ordered=True).match


def test_a_wrong_but_valid_query_has_no_error(db: Path) -> None:
    verdict = sqlcheck.compare(COUNT_BY_COUNTRY, "SELECT country, COUNT(*) FROM users WHERE plan = 'Pro' "
                               "GROUP BY country", db)
    assert not verdict.match and verdict.error is None and verdict.candidate_rows == 12
