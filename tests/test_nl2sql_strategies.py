"""The four NL->SQL strategies and the runner (labkit.nl2sql): what each shows the model, one interface, the
same decoding, and grading on a real DuckDB file. `EchoClient` (labkit.testing) stands in for the model where
only the request matters; tests/test_nl2sql_compare.py runs all four on the real local model."""

from __future__ import annotations

from pathlib import Path

import pytest

from labkit.data import acme_db
from labkit.nl2sql import runner
from labkit.nl2sql.retrieve import Retriever, table_recall
from labkit.nl2sql.schema import describe
from labkit.nl2sql.split import load_split
from labkit.nl2sql.strategies import (
    DECODING,
    FineTuned,
    Hybrid,
    PromptOnly,
    Rag,
    fixed_examples,
    seed_system_prompt,
)
from labkit.testing.echo import EchoClient

FT_MODEL = "ft:claude-sonnet-4-6:acmecorp:sql-test"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return acme_db.build(tmp_path_factory.mktemp("strategies") / "acme.duckdb")


@pytest.fixture(scope="module")
def split():
    return load_split()


@pytest.fixture(scope="module")
def schema(db: Path):
    return describe(db)


@pytest.fixture(scope="module")
def retriever(split, schema) -> Retriever:
    return Retriever(split.train, schema)


@pytest.fixture(scope="module")
def strategies(retriever, schema, split):
    client = EchoClient()
    return client, [PromptOnly(client, schema, fixed_examples(split.train)), Rag(retriever, client),
                    FineTuned(FT_MODEL, client), Hybrid(FT_MODEL, retriever, client)]


def test_one_interface_and_the_same_decoding(strategies, split) -> None:
    client, all_four = strategies
    assert [s.kind for s in all_four] == ["prompt-only", "rag", "fine-tuned", "hybrid"]
    pair = split.validation[0]
    start = len(client.calls)
    replies = [s.answer(pair) for s in all_four]
    calls = client.calls[start:]
    assert [c["max_tokens"] for c in calls] == [DECODING["max_tokens"]] * 4
    assert all(c["messages"] == [{"role": "user", "content": pair.question}] for c in calls)
    assert [c["model"] for c in calls][2:] == [FT_MODEL, FT_MODEL]
    for reply in replies:  # the model's text comes back untouched, with its usage
        assert reply.text == pair.question and reply.input_tokens > 0 and reply.output_tokens > 0
    assert replies[0].retrieval_ms is None and replies[1].retrieval_ms > 0


def test_prompt_only_shows_the_whole_schema_and_fixed_examples(strategies, schema, split) -> None:
    prompt_only = strategies[1][0]
    examples = fixed_examples(split.train)
    assert [p.id for p in examples][:2] == ["s001", "s002"] and len(examples) == 4
    assert {p.id for p in examples} <= {p.id for p in split.train}
    assert schema.text() in prompt_only.system
    assert prompt_only.system.startswith(seed_system_prompt())
    for p in examples:
        assert f"Question: {p.question}\nSQL: {p.sql}" in prompt_only.system
    client = strategies[0]
    prompt_only.answer(split.validation[1])
    prompt_only.answer(split.validation[2])
    assert client.calls[-1]["system"] == client.calls[-2]["system"] == prompt_only.system  # one cached prompt


def test_rag_shows_retrieved_examples_and_only_the_tables_needed(strategies, retriever, split) -> None:
    rag = strategies[1][1]
    pair = next(p for p in split.validation if p.tables == ["tickets"])
    system = rag.prompt(pair)
    examples = retriever.examples(pair.question, rag.k, exclude=[pair.id])
    assert len(examples) == rag.k and all(e.id in {p.id for p in split.train} for e in examples)
    for e in examples:
        assert f"Question: {e.question}\nSQL: {e.sql}" in system
    assert "CREATE TABLE tickets" in system and system.count("CREATE TABLE") < 6


def test_retrieval_never_returns_the_question_itself(retriever, split) -> None:
    train_pair = split.train[5]
    found = retriever.examples(train_pair.question, 5, exclude=[train_pair.id])
    assert train_pair.id not in [p.id for p in found] and len(found) == 5
    near = retriever.examples("How many users signed up in 2020 or earlier?", 1)
    assert near[0].id in {"s055", "s063", "s103"}  # restatements of sign-up counts by period
    assert retriever.examples("anything", 0) == []
    with pytest.raises(ValueError, match="pool is empty"):
        Retriever([], retriever.schema)


def test_table_recall_of_the_default_settings_on_validation(retriever, split) -> None:
    recall, shown = table_recall(retriever, split.validation)
    assert recall >= 0.9 and shown < 3  # the measured 0.93 with 2.4 of 6 tables (labkit.nl2sql.retrieve)
    none, _ = table_recall(retriever, split.validation, k=0, n=0)
    assert none == 0.0


def test_fine_tuned_sends_the_seed_prompt_and_the_bare_question(strategies, split) -> None:
    client, all_four = strategies
    pair = split.validation[3]
    all_four[2].answer(pair)
    call = client.calls[-1]
    assert call["system"] == "You generate SQL from natural language." == seed_system_prompt()
    assert call["messages"] == [{"role": "user", "content": pair.question}]


def test_hybrid_adds_retrieved_schema_parts_but_no_examples(strategies, split) -> None:
    hybrid = strategies[1][3]
    pair = next(p for p in split.validation if p.tables == ["orders"])
    system = hybrid.prompt(pair)
    assert system.startswith(seed_system_prompt() + "\n\nThe database:")
    assert "CREATE TABLE orders" in system and "Question:" not in system


def test_runner_grades_every_pair_and_renders_tables(strategies, split, db: Path) -> None:
    client, all_four = strategies
    pairs = split.validation[:3]
    run = runner.evaluate(all_four[2], pairs, db)  # the echo "model" repeats the question: never SQL
    assert [r.id for r in run.records] == [p.id for p in pairs]
    assert run.summary.n == 3 and run.summary.execution_accuracy == 0.0 and run.summary.invalid_rate == 1.0
    assert run.summary.format_rate == 0.0 and all("syntax error" in r.message for r in run.records)
    assert run.strategy == "fine-tuned" and run.kind == "fine-tuned" and run.wall_seconds > 0
    table = runner.markdown_table({"echo": run})
    assert table.splitlines()[0].startswith("| strategy | n | execution accuracy | format | invalid SQL |")
    assert "| echo | 3 | 0.00 | 0.00 | 1.00 |" in table
    assert "(n=" in runner.difficulty_table({"echo": run})


def test_measure_k_refuses_test_pairs(strategies, split) -> None:
    rag = strategies[1][1]
    with pytest.raises(ValueError, match="test split"):
        runner.measure_k(lambda k: rag, [1], split.test[:2])


def test_best_k_prefers_the_smaller_k_on_a_tie(strategies, split, db: Path) -> None:
    run = runner.evaluate(strategies[1][2], split.validation[:1], db)
    assert runner.best_k({5: run, 1: run, 3: run}) == 1
