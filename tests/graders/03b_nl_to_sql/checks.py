"""Checks for lab 3b (NL->SQL), run by the trusted scorer on what probes.py returned.

Expected values live here only, and are computed here: the scorer runs the gold SQL and the reference rules
itself, on its own read-only connection. Messages name the input, never the expected value (nor a gold row).
"""

from __future__ import annotations

import decimal
import re
from collections import Counter
from functools import cache

from labkit import sqlcheck
from labkit.data import sql_db_path
from labkit.grading.checking import check, close
from labkit.nl2sql import load_split
from labkit.paired import paired_rate_diff

from . import probes as p


# --------------------------------------------------------------------------------- 3b.1 schema prompt
@cache
def _schema_line(table: str) -> str:
    con = sqlcheck.connect(sql_db_path())
    try:
        columns = con.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
                              "ORDER BY ordinal_position", [table]).fetchall()
    finally:
        con.close()
    return f"{table}({', '.join(f'{name} {kind}' for name, kind in columns)})"


@check(p.schema_prompts, hint="information_schema.columns WHERE table_name = ?, ORDER BY ordinal_position; "
                              "'name(column TYPE, ...)' per table, lines joined by newlines.")
def schema_prompt_describes_every_table(got):
    for table, out in zip(p.TABLES, got["each"], strict=True):
        assert out.value == _schema_line(table), f"schema_prompt([{table!r}]) is not right"
    assert got["two"].value == f"{_schema_line('tickets')}\n{_schema_line('plans')}", \
        "schema_prompt(['tickets', 'plans']) should give two lines, in that order"


@check(p.schema_prompts)
def an_unknown_table_raises_value_error_naming_it(got):
    for key, table in (("unknown", "customers"), ("one_unknown", "refunds")):
        assert got[key].raised(ValueError), f"a table that does not exist ({table!r}) should raise ValueError"
        assert table in got[key].message, f"the ValueError for {table!r} should name the table"


# --------------------------------------------------------------------------------- 3b.2 retrieval
def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def _similar(question: str, pairs: list, k: int) -> list[str]:
    asked = _words(question)

    def jaccard(pair) -> float:
        theirs = _words(pair.question)
        return len(asked & theirs) / len(asked | theirs) if asked | theirs else 0.0

    return [x.id for x in sorted(pairs, key=jaccard, reverse=True)[:k]]


@check(p.retrieved, hint="Jaccard = |shared words| / |all words|; sort highest first with a stable sort, take k.")
def similar_pairs_on_fixed_questions(got):
    for (question, k), out in zip(p.SYNTHETIC_QUERIES, got["synthetic"], strict=True):
        assert out.value == _similar(question, p.SYNTHETIC, k), f"similar_pairs({question!r}, ..., {k}) is not right"


@check(p.retrieved)
def similar_pairs_on_validation_questions(got):
    split = load_split()
    cases = [(pair, k) for pair in split.validation[:8] for k in p.VALIDATION_K]
    for (pair, k), out in zip(cases, got["validation"], strict=True):
        assert out.value == _similar(pair.question, split.train, k), \
            f"similar_pairs for validation question {pair.id} with k={k} is not right"


# --------------------------------------------------------------------------------- 3b.3 execution accuracy
def _norm(rows) -> list[tuple]:
    """Numbers to 2 decimals, as the exercise asks."""
    def value(v):
        return round(float(v), 2) if isinstance(v, int | float | decimal.Decimal) and not isinstance(v, bool) else v
    return [tuple(value(v) for v in row) for row in rows]


def _same(gold, rows, ordered: bool) -> bool:
    a, b = _norm(gold), _norm(rows)
    return a == b if ordered else Counter(a) == Counter(b)


@check(p.same_results, hint="Normalise numbers to 2 decimals; compare lists when ordered, Counters otherwise.")
def same_result_on_fixed_rows(got):
    for (gold, rows, ordered), out in zip(p.ROW_CASES, got, strict=True):
        assert out.value is _same(gold, rows, ordered), \
            f"same_result({gold!r}, {rows!r}, ordered={ordered}) is not right"


def _accuracy(pairs, answers) -> float:
    db = sql_db_path()
    right = [pair.id in answers and sqlcheck.compare(pair.sql, answers[pair.id], db, ordered=pair.ordered).match
             for pair in pairs]
    return sum(right) / len(right)


@check(p.accuracies, hint="Missing or failing SQL counts as wrong; run gold and answer with sqlcheck.run.")
def execution_accuracy_on_validation_answers(got):
    cases = p.accuracy_cases()
    assert set(got) == set(cases), "execution_accuracy was not run on every case"
    for case, (pairs, answers) in cases.items():
        assert isinstance(got[case].value, int | float) and close(got[case].value, _accuracy(pairs, answers)), \
            f"execution_accuracy is not right in the case '{case}'"


# --------------------------------------------------------------------------------- 3b.4 the learner's SQL
GOLD = {  # (SQL, does the question ask for an order?)
    "plans": ("SELECT plan, COUNT(*) FROM users WHERE plan IS NOT NULL GROUP BY plan", False),
    "countries": ("SELECT country, COUNT(*) AS n FROM users GROUP BY country ORDER BY n DESC LIMIT 5", True),
    "revenue": ("SELECT product, SUM(total_amount) AS total FROM orders WHERE status = 'completed' "
                "GROUP BY product ORDER BY total DESC", True),
}


def _sql_check(key: str):
    def body(got):
        out = got[key]
        assert not out["raised"], f"write_sql({key!r}) raised instead of returning SQL"
        assert out["error"] is None, f"the query for {key!r} did not run: {out['error']}"
        gold_sql, ordered = GOLD[key]
        gold = sqlcheck.run(gold_sql, sql_db_path())
        assert out["columns"] == len(gold.columns), f"the query for {key!r} returns the wrong number of columns"
        want = [tuple(p.plain_value(v) for v in row) for row in gold.rows]
        rows = [tuple(row) for row in out["rows"]]
        if ordered:
            assert Counter(rows) == Counter(want), f"the query for {key!r} returns the wrong rows"
            assert rows == want, f"the query for {key!r} returns the right rows in the wrong order"
        else:
            assert Counter(rows) == Counter(want), f"the query for {key!r} returns the wrong rows"
    body.__name__ = f"the_{key}_query_returns_the_right_rows"
    body.__doc__ = f"The {key} query returns the right rows"
    return body


plans_query = check(p.learner_sql, hint="GROUP BY the plan column; leave out NULL plans.")(_sql_check("plans"))
countries_query = check(p.learner_sql, hint="GROUP BY country, ORDER BY the count DESC, LIMIT 5.")(
    _sql_check("countries"))
revenue_query = check(p.learner_sql, hint="WHERE status = 'completed', SUM(total_amount) per product, highest first.")(
    _sql_check("revenue"))


# --------------------------------------------------------------------------------- 3b.5 data budget
def _budget(runs: dict) -> str:
    ids = sorted(next(iter(runs.values()))["outcomes"])

    def scores(name: str) -> list[bool]:
        return [runs[name]["outcomes"][q] for q in ids]

    best = max(runs, key=lambda name: (sum(scores(name)), -runs[name]["n_train"]))
    kept = [name for name in runs if name == best or paired_rate_diff(scores(best), scores(name)).low <= 0]
    return min(kept, key=lambda name: runs[name]["n_train"])


@check(p.budgets, hint="Best = most right answers (ties: fewer pairs); keep runs whose paired_rate_diff(best, run) "
                       "has low <= 0; return the kept run with the fewest pairs.")
def choose_budget_on_fixed_runs(got):
    assert set(got["cases"]) == set(p.BUDGET_CASES), "choose_budget was not run on every case"
    for case, runs in p.BUDGET_CASES.items():
        assert got["cases"][case].value == _budget(runs), f"choose_budget picks the wrong run in the case '{case}'"


@check(p.budgets)
def runs_on_different_questions_raise_value_error(got):
    assert got["mismatched"].raised(ValueError), "runs on different questions should raise a ValueError"
