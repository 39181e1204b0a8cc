"""The format criterion, post-processing and per-question records of labkit.nl2sql, on a real DuckDB file."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from labkit import costs
from labkit.data import acme_db, load_sql_pairs
from labkit.evaluate import Reply
from labkit.finetune.validation import validate
from labkit.nl2sql import metrics
from labkit.nl2sql.output import extract_sql, format_ok, format_problem

FENCED = "```sql\nSELECT COUNT(*) FROM users;\n```"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return acme_db.build(tmp_path_factory.mktemp("metrics") / "acme.duckdb")


@pytest.fixture(scope="module")
def pairs() -> dict:
    return {p.id: p for p in load_sql_pairs()}


@pytest.mark.parametrize("text", [
    "SELECT COUNT(*) FROM users",
    "SELECT COUNT(*) FROM users;",
    "\n  SELECT COUNT(*) FROM users;  \n",
    "WITH n AS (SELECT COUNT(*) AS c FROM users) SELECT c FROM n;",
    "SELECT ';' AS semicolon, '-- not a comment' AS dashes;",
])
def test_one_bare_select_passes_the_format(text: str) -> None:
    assert format_problem(text) is None and format_ok(text)


@pytest.mark.parametrize("text,why", [
    (FENCED, "code fence"),
    ("Here is the query: SELECT COUNT(*) FROM users;", "syntax error"),
    ("SELECT COUNT(*) FROM users;\nThis counts every user.", "syntax error"),
    ("SELECT COUNT(*) FROM users; SELECT 1;", "2 statements"),
    ("SELECT COUNT(*) FROM users;;", "more than one trailing semicolon"),
    ("SELECT COUNT(*) FROM users -- all of them", "comment"),
    ("/* count */ SELECT COUNT(*) FROM users", "comment"),
    ("DELETE FROM users;", "DELETE"),
    ("   ", "empty"),
])
def test_anything_else_fails_the_format_and_says_why(text: str, why: str) -> None:
    problem = format_problem(text)
    assert problem is not None and why in problem, problem
    assert not format_ok(text)


def test_extract_sql_only_unwraps_a_fence() -> None:
    assert extract_sql(FENCED) == "SELECT COUNT(*) FROM users;"
    assert extract_sql("Sure!\n```SQL\nSELECT 1\n```\nDone.") == "SELECT 1"
    assert extract_sql("```\nSELECT 1") == "SELECT 1"       # an unclosed fence runs to the end
    assert extract_sql("```SELECT 1```") == extract_sql("```sql SELECT 1```") == "SELECT 1"
    assert extract_sql("  SELECT 1;  ") == "SELECT 1;"
    assert extract_sql("Here: SELECT 1") == "Here: SELECT 1"  # prose is not removed: it stays invalid


def test_the_seed_replies_pass_the_format_as_written(pairs: dict) -> None:
    assert all(format_ok(p.sql) for p in pairs.values())


def test_format_problem_works_as_a_validate_format_check(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    rows = ['{"messages": [{"role": "user", "content": "Count users"}, '
            '{"role": "assistant", "content": "SELECT COUNT(*) FROM users;"}]}',
            '{"messages": [{"role": "user", "content": "Count users"}, '
            '{"role": "assistant", "content": "```sql\\nSELECT COUNT(*) FROM users;\\n```"}]}']
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    report = validate(path, format=format_problem, counter="estimate", duplicates=False)
    assert report.lines_with("wrong_format") == [2]


def test_score_grades_by_running_the_sql(db: Path, pairs: dict) -> None:
    s003 = pairs["s003"]  # How many users do we have in total?
    good = metrics.score(s003, Reply("SELECT COUNT(*) AS n FROM users", 1200, 9), 812.0, db)
    assert (good.correct, good.format_ok, good.valid) == (True, True, True)
    assert good.message == "same rows" and good.format_problem is None
    assert (good.id, good.difficulty, good.latency_ms, good.input_tokens, good.output_tokens) == \
        ("s003", "easy", 812.0, 1200, 9)
    assert good.cost_usd == pytest.approx(costs.cost_per_query("claude-sonnet-4-6", 1200, 9))

    fenced = metrics.score(s003, Reply(FENCED, 1200, 14), 900.0, db)
    assert (fenced.correct, fenced.format_ok, fenced.valid) == (True, False, True)  # right SQL, wrong format
    assert fenced.sql == "SELECT COUNT(*) FROM users;" and "fence" in fenced.format_problem

    prose = metrics.score(s003, Reply("There are 300 users."), 10.0, db)
    assert (prose.correct, prose.format_ok, prose.valid) == (False, False, False)
    assert "syntax error" in prose.message

    two = metrics.score(s003, Reply("SELECT COUNT(*) FROM users; DROP TABLE users;"), 10.0, db)
    assert (two.correct, two.valid) == (False, False) and "2 statements" in two.message

    wrong = metrics.score(s003, Reply("SELECT COUNT(*) FROM users WHERE plan IS NOT NULL"), 10.0, db)
    assert (wrong.correct, wrong.format_ok, wrong.valid) == (False, True, True)


def test_order_counts_when_the_question_asks_for_one(db: Path, pairs: dict) -> None:
    s069 = pairs["s069"]  # the 3 countries with the most users, largest first
    assert s069.ordered
    reversed_order = ("SELECT country, n FROM (SELECT country, COUNT(*) AS n FROM users GROUP BY country "
                      "ORDER BY n DESC LIMIT 3) ORDER BY n")
    record = metrics.score(s069, Reply(reversed_order), 1.0, db)
    assert (record.correct, record.valid) == (False, True) and "order" in record.message
    assert metrics.score(s069, Reply(s069.sql), 1.0, db).correct


def record(i: int, difficulty: str, correct: bool, format_ok: bool = True, valid: bool = True,
           latency_ms: float = 1000.0) -> metrics.SqlRecord:
    return metrics.SqlRecord(id=f"q{i}", difficulty=difficulty, ordered=False, correct=correct, format_ok=format_ok,
                             valid=valid, latency_ms=latency_ms, input_tokens=100 * i, output_tokens=10,
                             cost_usd=0.001 * i, text="", sql="", message="")


def test_summary_and_breakdown_by_difficulty() -> None:
    records = [record(1, "easy", True), record(2, "easy", False, format_ok=False, valid=False, latency_ms=3000),
               record(3, "hard", True), record(4, "medium", False)]
    s = metrics.summarize(records)
    assert (s.n, s.execution_accuracy, s.format_rate, s.invalid_rate) == (4, 0.5, 0.75, 0.25)
    assert s.mean_latency_ms == 1500 and s.seconds_per_question == 1.5 and s.mean_input_tokens == 250
    assert s.cost_per_query == pytest.approx(0.0025) and s.cost_per_million == pytest.approx(2500)
    parts = metrics.by_difficulty(records)
    assert list(parts) == ["easy", "medium", "hard"]
    assert (parts["easy"].n, parts["easy"].execution_accuracy, parts["hard"].execution_accuracy) == (2, 0.5, 1.0)
    assert math.isnan(metrics.summarize([]).execution_accuracy)


def test_paired_lines_up_two_runs_by_question() -> None:
    a = [record(1, "easy", True), record(2, "easy", False)]
    b = [record(2, "easy", True), record(1, "easy", True)]
    assert metrics.paired(a, b) == [("q1", True, True), ("q2", False, True)]
    with pytest.raises(ValueError, match="same questions"):
        metrics.paired(a, b[:1])
