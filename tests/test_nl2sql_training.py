"""The NL->SQL training file (labkit.nl2sql.training), its corrupted copy, and the `labkit sql` commands."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from labkit import cli, sqlcheck
from labkit.data import acme_db
from labkit.finetune.validation import validate
from labkit.nl2sql.output import format_problem
from labkit.nl2sql.schema import describe
from labkit.nl2sql.split import load_split
from labkit.nl2sql.training import corrupt, training_rows, write_training_file


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return acme_db.build(tmp_path_factory.mktemp("training") / "acme.duckdb")


@pytest.fixture(scope="module")
def train():
    return load_split().train


@pytest.fixture(scope="module")
def schema(db: Path):
    return describe(db)


def test_training_file_is_the_seeds_format(tmp_path: Path, train) -> None:
    path = write_training_file(train, tmp_path / "sql" / "train.jsonl")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert rows == training_rows(train) and len(rows) == 119
    assert rows[:2] == [{"messages": train[0].messages}, {"messages": train[1].messages}]  # the seed's lines
    for row, pair in zip(rows, train, strict=True):
        assert list(row) == ["messages"]
        assert [m["role"] for m in row["messages"]] == ["system", "user", "assistant"]
        assert row["messages"][0]["content"] == "You generate SQL from natural language."  # no schema
        assert row["messages"][1:] == [{"role": "user", "content": pair.question},
                                       {"role": "assistant", "content": pair.sql}]


def test_training_file_validates(tmp_path: Path, train) -> None:
    path = write_training_file(train, tmp_path / "train.jsonl")
    report = validate(path, format=format_problem, counter="estimate")
    assert report.ok and report.n_valid == 119 and report.error_lines == set()
    # the one warning is justified: s060 asks for a user by their (fictional, reserved-domain) e-mail address
    warned = [(p.kind, p.line) for p in report.problems]
    line_of_s060 = [p.id for p in train].index("s060") + 1
    assert warned == [("pii_email", line_of_s060)]


def test_labkit_ft_validate_accepts_it_with_the_sql_format(tmp_path: Path, train, capsys) -> None:
    path = write_training_file(train, tmp_path / "train.jsonl")
    assert cli.main(["ft", "validate", str(path), "--format", "sql", "--counter", "estimate"]) == 0
    out = capsys.readouterr().out
    assert "119 valid examples, 0 lines with errors, 1 with warnings" in out
    assert "wrong_format" not in out


def test_corrupt_changes_the_asked_share_with_wrong_rows(train, db: Path, schema) -> None:
    out, done = corrupt(train, 0.25, db, schema=schema)
    assert len(done) == round(0.25 * len(train)) == 30 and len(out) == len(train)
    assert set(Counter(c.kind for c in done)) == {"wrong_join", "wrong_column"}
    by_line = {c.line: c for c in done}
    for line, (before, after) in enumerate(zip(train, out, strict=True), start=1):
        if line not in by_line:
            assert after == before
            continue
        c = by_line[line]
        assert (c.id, c.gold, c.corrupted) == (before.id, before.sql, after.sql) and after.sql != before.sql
        assert after.messages[2]["content"] == after.sql and after.question == before.question
        verdict = sqlcheck.compare(before.sql, after.sql, db, ordered=before.ordered)
        assert verdict.error is None and not verdict.match  # runs, and teaches a wrong answer
    joins = [c for c in done if c.kind == "wrong_join"]
    assert all(".id = " in c.corrupted or ".id\n" in c.corrupted or ".id " in c.corrupted for c in joins)


def test_corrupt_is_deterministic_and_says_which_lines(tmp_path: Path, train, db: Path, schema) -> None:
    first = corrupt(train, 0.1, db, seed=3, schema=schema)
    assert corrupt(train, 0.1, db, seed=3, schema=schema) == first
    assert corrupt(train, 0.1, db, seed=4, schema=schema)[1] != first[1]
    pairs, done = first
    path = write_training_file(pairs, tmp_path / "corrupted.jsonl")
    lines = path.read_text(encoding="utf-8").splitlines()
    for c in done:
        assert json.loads(lines[c.line - 1])["messages"][2]["content"] == c.corrupted
    assert corrupt(train, 0.0, db, schema=schema) == (list(train), [])


def test_corrupt_rejects_impossible_shares(train, db: Path, schema) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        corrupt(train, 1.5, db, schema=schema)
    with pytest.raises(ValueError, match="can be corrupted.*lower the share"):
        corrupt(train, 1.0, db, schema=schema)


def test_sql_commands(tmp_path: Path, capsys) -> None:
    assert cli.main(["sql", "split"]) == 0
    out = capsys.readouterr().out
    assert "train" in out and "119 pairs" in out and "validation" in out
    assert cli.main(["sql", "retrieval"]) == 0
    grid = capsys.readouterr().out.splitlines()
    assert grid[-2].split()[0] == "3" and "0.93 / 2.4" in grid[-2]  # the defaults' figure in labkit.nl2sql.retrieve
    assert cli.main(["sql", "schema", "--tables", "plans"]) == 0
    assert capsys.readouterr().out.startswith("-- plans:")
    assert cli.main(["sql", "schema", "--tables", "customers"]) == 2
    out_file = tmp_path / "bad.jsonl"
    assert cli.main(["sql", "train-file", str(out_file), "--corrupt", "0.1"]) == 0
    out = capsys.readouterr().out
    assert "12 corrupted" in out and len(out_file.read_text(encoding="utf-8").splitlines()) == 119
    assert cli.main(["sql", "eval", "--strategy", "prompt-only", "--split", "test"]) == 2
    assert "--json" in capsys.readouterr().err
    assert cli.main(["sql", "eval", "--strategy", "fine-tuned"]) == 2
    assert "--model" in capsys.readouterr().err
