"""Public checks for lab 3b (NL->SQL, graded by running the SQL). Each runs a few fixed cases on the learner's
function and prints one banner line (see labkit.checks.run_check); it never raises. The graders are stricter."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal

from labkit import sqlcheck
from labkit.checks import run_check
from labkit.data import SqlPair, sql_db_path


def check_3b_1(schema_prompt: Callable) -> bool:
    """Exercise 3b.1: one line per table, `table(column TYPE, ...)` in the table's column order."""
    def body() -> None:
        got = schema_prompt(["plans"])
        assert isinstance(got, str) and got.startswith("plans(id INTEGER, name VARCHAR, "), \
            f"the plans line should start 'plans(id INTEGER, name VARCHAR, ', got {str(got)[:60]!r}"
        assert "monthly_price DECIMAL(10,2)" in got, "DuckDB's own type names: monthly_price is DECIMAL(10,2)"
        two = schema_prompt(["users", "plans"])
        assert two.splitlines()[0].startswith("users(") and len(two.splitlines()) == 2, \
            "two tables give two lines, in the order asked"
        try:
            schema_prompt(["customers"])
        except ValueError as exc:
            assert "customers" in str(exc), "the error should name the table that does not exist"
        else:
            raise AssertionError("a table that does not exist should raise ValueError naming it")
    return run_check("3b.1", body)


def _pair(i: int, question: str) -> SqlPair:
    return SqlPair(f"x{i}", question, "SELECT 1", False, "easy", [], "check", [])


def check_3b_2(similar_pairs: Callable) -> bool:
    """Exercise 3b.2: word-overlap (Jaccard) ranking, ties in file order, k results."""
    def body() -> None:
        pairs = [_pair(0, "Count users by plan"), _pair(1, "List all invoices"), _pair(2, "Count users by country"),
                 _pair(3, "How many users per plan?")]
        got = [p.id for p in similar_pairs("count the users per plan", pairs, 2)]
        assert got == ["x0", "x3"], f"expected ['x0', 'x3'] (Jaccard 3/6, then 3/7), got {got}"
        twins = [_pair(0, "List all invoices"), _pair(1, "Count users by plan"), _pair(2, "count users by plan!")]
        got = [p.id for p in similar_pairs("users by plan", twins, 1)]
        assert got == ["x1"], f"a tie goes to the pair that comes first in the list: expected ['x1'], got {got}"
        assert len(similar_pairs("anything", pairs, 3)) == 3, "k=3 returns three pairs"
    return run_check("3b.2", body)


def check_3b_3(same_result: Callable) -> bool:
    """Exercise 3b.3: rows as a multiset unless ordered; numbers to 2 decimals."""
    def body() -> None:
        a, b = [("Pro", 2), ("Basic", 5)], [("Basic", 5), ("Pro", 2)]
        assert same_result(a, b, False) is True, "the same rows in another order match when the order is not asked"
        assert same_result(a, b, True) is False, "...and do not match when the question asks for an order"
        assert same_result([(Decimal("9.00"),)], [(9.001,)], False) is True, "9.00 and 9.001 agree to 2 decimals"
        assert same_result([("a",), ("a",)], [("a",)], False) is False, "a repeated row counts twice"
    return run_check("3b.3", body)


# (columns, rows) each answer of exercise 3b.4 returns: a shape, not the answer (the grader compares rows)
SHAPES = {"plans": (2, 3), "countries": (2, 5), "revenue": (2, 6)}


def check_3b_4(answers: Mapping[str, str]) -> bool:
    """Exercise 3b.4: each query runs read-only as one SELECT and returns as many columns and rows as asked."""
    def body() -> None:
        if all(answers.get(key) is None for key in SHAPES):
            raise NotImplementedError  # still the lab's stub: "not attempted yet"
        for key, (n_columns, n_rows) in SHAPES.items():
            sql = answers.get(key) or ""
            assert isinstance(sql, str) and sql.strip(), f"question {key!r} has no SQL yet"
            result = sqlcheck.run(sql, sql_db_path())
            assert result.error is None, f"question {key!r}: the query did not run ({result.error})"
            got = (len(result.columns), len(result.rows))
            assert got == (n_columns, n_rows), \
                f"question {key!r}: expected {n_columns} columns and {n_rows} rows, got {got[0]} and {got[1]}"
    return run_check("3b.4", body)


def check_3b_5(choose_budget: Callable) -> bool:
    """Exercise 3b.5: the smallest training set the paired intervals do not show worse than the best."""
    def body() -> None:
        ids = [f"q{i}" for i in range(20)]
        runs = {"10 pairs": {"n_train": 10, "outcomes": {q: k < 2 for k, q in enumerate(ids)}},
                "100 pairs": {"n_train": 100, "outcomes": {q: k < 16 for k, q in enumerate(ids)}},
                "60 pairs": {"n_train": 60, "outcomes": {q: k < 14 for k, q in enumerate(ids)}}}
        got = choose_budget(runs)
        assert got == "60 pairs", f"14/20 vs 16/20 on the same questions cannot tell them apart, 2/20 is " \
                                  f"clearly worse: expected '60 pairs', got {got!r}"
    return run_check("3b.5", body)
