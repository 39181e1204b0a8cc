"""Probes for lab 3b (NL->SQL), run in the sandbox after the learner's notebook.

Inputs only; the expected values are computed in checks.py, which runs the gold SQL itself. Learner SQL runs
here, in the sandbox, read-only (labkit.sqlcheck.run); only its rows, as plain data, reach the scorer.
"""

from __future__ import annotations

import datetime
import decimal
import re

from labkit import sqlcheck
from labkit.data import SqlPair, sql_db_path
from labkit.grading.probing import attempt, probe
from labkit.nl2sql import load_split

TABLES = ["plans", "users", "orders", "subscriptions", "invoices", "tickets"]


def plain_value(value):
    """A value of a result row as plain data, the way checks.py also reads the gold rows."""
    if isinstance(value, float | decimal.Decimal):
        return round(float(value), 2) + 0.0
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    return value


def pair(i: int, question: str, sql: str = "SELECT 1", ordered: bool = False) -> SqlPair:
    return SqlPair(f"p{i}", question, sql, ordered, "easy", [], "grader", [])


# --------------------------------------------------------------------------------- 3b.1 schema prompt
@probe("3b.1", forbid=["labkit.nl2sql.schema.describe"])
def schema_prompts(nb):
    return {"each": [attempt(nb.schema_prompt, [t]) for t in TABLES],
            "two": attempt(nb.schema_prompt, ["tickets", "plans"]),
            "unknown": attempt(nb.schema_prompt, ["customers"]),
            "one_unknown": attempt(nb.schema_prompt, ["plans", "refunds"])}


# --------------------------------------------------------------------------------- 3b.2 retrieval
SYNTHETIC = [pair(0, "List all invoices"), pair(1, "Count users by plan"), pair(2, "count users, by plan!"),
             pair(3, "How many users per plan?"), pair(4, "Users by country"), pair(5, "")]
SYNTHETIC_QUERIES = [("count the users per plan", 2), ("users by plan", 3), ("invoices", 1), ("nothing alike", 2)]
VALIDATION_K = (1, 3, 5)


def _ids(nb, question: str, pairs: list, k: int) -> list:
    return [p.id for p in nb.similar_pairs(question, pairs, k)]


@probe("3b.2")
def retrieved(nb):
    split = load_split()
    return {"synthetic": [attempt(_ids, nb, q, SYNTHETIC, k) for q, k in SYNTHETIC_QUERIES],
            "validation": [attempt(_ids, nb, p.question, split.train, k)
                           for p in split.validation[:8] for k in VALIDATION_K]}


# --------------------------------------------------------------------------------- 3b.3 execution accuracy
D = decimal.Decimal
ROW_CASES = [
    ([("Pro", 2), ("Basic", 5)], [("Basic", 5), ("Pro", 2)], False),
    ([("Pro", 2), ("Basic", 5)], [("Basic", 5), ("Pro", 2)], True),
    ([("Pro", 2), ("Basic", 5)], [("Pro", 2), ("Basic", 5)], True),
    ([(D("9.00"),)], [(9.0,)], False),
    ([(D("9.004"),)], [(9.001,)], True),
    ([(D("9.10"),)], [(9.0,)], False),
    ([("a",), ("a",), ("b",)], [("a",), ("b",), ("b",)], False),
    ([("a",), ("a",)], [("a",)], False),
    ([], [], True),
    ([("x", None)], [("x", None)], False),
    ([(1, 2)], [(2, 1)], False),
]
FAIL = "SELECT no_such_column FROM users"
WRITE = "DELETE FROM users"


def accuracy_cases() -> dict[str, tuple[list, dict]]:
    """{case: (pairs, answers)} on validation pairs: gold answers, order lost, missing, failing, writing."""
    pairs = load_split().validation[:10]
    gold = {p.id: p.sql for p in pairs}
    ordered = next(p for p in pairs if p.ordered)
    key = re.search(r"ORDER BY\s+(\w+)(\s+DESC)?", ordered.sql, re.I)
    other_way = "ASC" if key.group(2) else "DESC"
    reordered = f"SELECT * FROM ({ordered.sql.rstrip(';')}) AS t ORDER BY {key.group(1)} {other_way}"  # same rows
    return {"gold": (pairs, gold),
            "one query for all": (pairs, dict.fromkeys(gold, pairs[0].sql)),
            "order lost": (pairs, {**gold, ordered.id: reordered}),
            "missing answers": (pairs, {p.id: p.sql for p in pairs[:4]}),
            "failing SQL": (pairs, {**gold, pairs[1].id: FAIL, pairs[2].id: WRITE}),
            "duplicated rows": ([pair(0, "users", "SELECT country FROM users")],
                                {"p0": "SELECT DISTINCT country FROM users"})}


REFERENCES = ["labkit.sqlcheck.compare", "labkit.sqlcheck.normalize", "labkit.nl2sql.metrics.score"]


@probe("3b.3", forbid=REFERENCES)
def same_results(nb):
    return [attempt(nb.same_result, gold, rows, ordered) for gold, rows, ordered in ROW_CASES]


@probe("3b.3", forbid=REFERENCES, timeout=120)
def accuracies(nb):
    return {case: attempt(nb.execution_accuracy, pairs, answers) for case, (pairs, answers) in accuracy_cases().items()}


# --------------------------------------------------------------------------------- 3b.4 the learner's SQL
KEYS = ["plans", "countries", "revenue"]


def _run(sql) -> dict:
    if not isinstance(sql, str):
        return {"error": "write_sql did not return a string", "columns": 0, "rows": []}
    result = sqlcheck.run(sql, sql_db_path())
    return {"error": result.error, "columns": len(result.columns),
            "rows": [[plain_value(v) for v in row] for row in result.rows]}


@probe("3b.4")
def learner_sql(nb):
    out = {}
    for key in KEYS:
        written = attempt(nb.write_sql, key)
        out[key] = {"raised": written.raised is not None, **_run(written.value)}
    return out


# --------------------------------------------------------------------------------- 3b.5 data budget
IDS = [f"q{k:02d}" for k in range(30)]


def first(n: int) -> dict[str, bool]:
    """The first n of 30 questions right (so runs' right answers nest)."""
    return {q: k < n for k, q in enumerate(IDS)}


def spread(n: int, offset: int) -> dict[str, bool]:
    """n right answers starting at question `offset` (runs that are right on different questions)."""
    return {q: (k - offset) % 30 < n for k, q in enumerate(IDS)}


BUDGET_CASES = {
    "clear gap": {"25": {"n_train": 25, "outcomes": first(5)}, "119": {"n_train": 119, "outcomes": first(24)}},
    "overlap": {"25": {"n_train": 25, "outcomes": first(20)}, "50": {"n_train": 50, "outcomes": first(22)},
                "119": {"n_train": 119, "outcomes": first(23)}},
    "middle": {"119": {"n_train": 119, "outcomes": first(26)}, "25": {"n_train": 25, "outcomes": first(6)},
               "50": {"n_train": 50, "outcomes": first(24)}},
    "tie goes to fewer": {"a": {"n_train": 80, "outcomes": first(20)}, "b": {"n_train": 40, "outcomes": first(20)}},
    "paired, not two averages": {"10": {"n_train": 10, "outcomes": spread(12, 15)},
                                 "90": {"n_train": 90, "outcomes": first(27)}},
    "smaller is best": {"100": {"n_train": 100, "outcomes": first(10)}, "30": {"n_train": 30, "outcomes": first(12)}},
}
MISMATCHED = {"a": {"n_train": 10, "outcomes": first(5)},
              "b": {"n_train": 20, "outcomes": {q: True for q in IDS[:29]}}}


@probe("3b.5")
def budgets(nb):
    return {"cases": {name: attempt(nb.choose_budget, runs) for name, runs in BUDGET_CASES.items()},
            "mismatched": attempt(nb.choose_budget, MISMATCHED)}
