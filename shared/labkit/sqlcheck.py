"""Grade generated SQL by running it: does the candidate return the same rows as the gold query?

Two queries can be written very differently and still be equally right, so we do not compare
the SQL text. We run both on the AcmeCorp DuckDB database and compare what comes back:

* rows are compared as a multiset (order ignored) unless ``ordered=True``, which is meant for
  questions that ask for an order ("top 5", "most recent first");
* column names are ignored (``COUNT(*)`` and ``COUNT(*) AS n`` are the same), column order is not;
* numbers are rounded to 2 decimals, and a timestamp at midnight counts as the date
  (``DATE_TRUNC`` returns timestamps);
* a candidate that does not parse, fails, runs too long or is not a SELECT is simply a
  non-match, with DuckDB's error message as the reason: ``compare`` never raises for it.

Bad input never changes the database: the file is opened read-only, with file access and
extension loading switched off and the configuration locked, and only a single SELECT (or
WITH ... SELECT) is ever executed. Anything else is refused *before* it runs, with what
DuckDB's parser found as the reason ("DuckDB parsed a DELETE statement", "DuckDB found 2
statements: SELECT, DELETE"): even on a read-only file DuckDB would execute `SET GLOBAL ...`
or `CREATE TEMP TABLE ...`, and a setting such as `default_order` would change how later
queries sort. A query that runs longer than the timeout is interrupted; its reason says so
and carries DuckDB's own message. The NL->SQL lesson (labkit.nl2sql) grades every model
answer through `compare`; `Comparison.error` tells "did not run" from "ran, wrong rows".

    >>> from labkit import sqlcheck
    >>> c = sqlcheck.compare(gold_sql, model_sql, "acme.duckdb")
    >>> c.match, c.reason

Note: DuckDB opens a file only once per process with one set of options. Close your own
connections to the database file before grading (or open yours with the same options as
``connect`` below), otherwise the connection fails with "different configuration".
"""

from __future__ import annotations

import datetime
import decimal
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import duckdb

TIMEOUT_S = 10.0      # stop runaway queries, e.g. a join without its ON condition
MAX_ROWS = 100_000    # refuse absurdly large results instead of filling the memory
ONLY_SELECT = "only SELECT queries are graded"


@dataclass
class Result:
    """What a query returned: column names and rows, or the error message."""
    columns: list[str]
    rows: list[tuple]
    error: str | None = None


@dataclass
class Comparison:
    """The verdict of `compare`. `error` is the candidate's failure (refused, did not parse, failed,
    timed out); None when it ran, whether or not its rows match."""
    match: bool
    reason: str
    gold_rows: int
    candidate_rows: int
    error: str | None = None


# Read-only file, no other files (read_csv, COPY, ATTACH), no extensions fetched or loaded behind
# our back, no SET afterwards. Every connection to the file in one process must use these options.
CONFIG = {"enable_external_access": False, "autoinstall_known_extensions": False,
          "autoload_known_extensions": False, "lock_configuration": True}


def connect(db_path: str | Path) -> duckdb.DuckDBPyConnection:
    """A connection that cannot change anything (see CONFIG)."""
    return duckdb.connect(str(db_path), read_only=True, config=dict(CONFIG))


def check_select(sql: str) -> str | None:
    """None if `sql` is one SELECT (or WITH ... SELECT) statement, else why it is refused."""
    try:
        statements = duckdb.extract_statements(sql)
    except Exception as e:  # noqa: BLE001 - a syntax error: DuckDB's parser explains it
        return str(e)
    if len(statements) != 1:
        kinds = ", ".join(s.type.name for s in statements)
        return f"{ONLY_SELECT}: DuckDB found {len(statements)} statements" + (f" ({kinds})" if kinds else "")
    words = statements[0].query.lstrip("( \t\r\n").split(None, 1)
    first = words[0].upper() if words else ""
    if statements[0].type != duckdb.StatementType.SELECT:
        return f"{ONLY_SELECT}: DuckDB parsed a {statements[0].type.name} statement"
    if first not in ("SELECT", "WITH"):  # DuckDB-only forms such as FROM-first, SUMMARIZE, DESCRIBE
        return f"{ONLY_SELECT}: the statement starts with {first}, not SELECT or WITH"
    return None


def execute(con: duckdb.DuckDBPyConnection, sql: str, timeout_s: float = TIMEOUT_S) -> Result:
    """Run one query on an open connection; any failure is returned, not raised."""
    problem = check_select(sql)
    if problem:
        return Result([], [], problem)
    timer = threading.Timer(timeout_s, con.interrupt)  # cancels the query when it fires
    started = time.monotonic()
    timer.start()
    try:
        cursor = con.execute(sql)
        columns = [d[0] for d in cursor.description]
        rows = cursor.fetchmany(MAX_ROWS + 1)
    except Exception as e:  # noqa: BLE001 - whatever goes wrong, the candidate fails
        if time.monotonic() - started >= timeout_s:
            return Result([], [], f"query took longer than {timeout_s:g} s and was stopped ({e})")
        return Result([], [], str(e))
    finally:
        timer.cancel()
    if len(rows) > MAX_ROWS:
        return Result(columns, [], f"more than {MAX_ROWS} rows")
    return Result(columns, rows)


def run(sql: str, db_path: str | Path, timeout_s: float = TIMEOUT_S) -> Result:
    """Run one query read-only on the database file at `db_path`."""
    con = connect(db_path)
    try:
        return execute(con, sql, timeout_s)
    finally:
        con.close()


def normalize(value: object) -> object:
    """Make equal-looking values compare equal (and hashable, for counting)."""
    if isinstance(value, (float, decimal.Decimal)):
        return round(float(value), 2) + 0.0  # Decimal('9.00') == 9.0; + 0.0 turns -0.0 into 0.0
    if isinstance(value, datetime.datetime) and value.time() == datetime.time(0) and value.tzinfo is None:
        return value.date()
    if isinstance(value, (list, tuple)):  # LIST columns, e.g. from array_agg
        return tuple(normalize(v) for v in value)
    if isinstance(value, dict):  # STRUCT and MAP columns
        return tuple((k, normalize(v)) for k, v in value.items())
    return value


def compare(gold_sql: str, candidate_sql: str, db_path: str | Path,
            ordered: bool = False, timeout_s: float = TIMEOUT_S) -> Comparison:
    """Does `candidate_sql` return the same rows as `gold_sql`? See the module docstring.

    Raises ValueError only if the gold query itself fails: that is a bug in the data set.
    """
    con = connect(db_path)
    try:
        gold = execute(con, gold_sql)
        cand = execute(con, candidate_sql, timeout_s)
    finally:
        con.close()
    if gold.error:
        raise ValueError(f"gold query failed: {gold.error}")

    def verdict(match: bool, reason: str) -> Comparison:
        return Comparison(match, reason, len(gold.rows), len(cand.rows))

    if cand.error:
        return Comparison(False, cand.error, len(gold.rows), 0, cand.error)
    if len(cand.columns) != len(gold.columns):
        return verdict(False, f"expected {len(gold.columns)} columns, got {len(cand.columns)}")
    gold_rows = [tuple(normalize(v) for v in row) for row in gold.rows]
    cand_rows = [tuple(normalize(v) for v in row) for row in cand.rows]
    if ordered and gold_rows == cand_rows:
        return verdict(True, "same rows in the same order")
    if Counter(gold_rows) == Counter(cand_rows):
        if ordered:
            return verdict(False, "same rows but in a different order")
        return verdict(True, "same rows")
    if len(gold_rows) != len(cand_rows):
        return verdict(False, f"expected {len(gold_rows)} rows, got {len(cand_rows)}")
    # the smallest missing row by its text, not the first: an unordered query's rows come back in whatever
    # order DuckDB's threads finish, and the reason must not change from one run to the next
    missing = min(Counter(gold_rows) - Counter(cand_rows), key=repr)
    return verdict(False, f"same number of rows but different values, e.g. {missing!r} is missing")
