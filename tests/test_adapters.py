"""The committed course adapters (labkit/data/adapters/): each matches its run record, loads on the engine,
and changes what the model does. `make finetune` reproduces them (labkit.finetune.runs)."""

from __future__ import annotations

import pytest

from labkit import adapters, engine
from labkit import finetune as ft
from labkit.finetune.runs import RECIPES, data_sha256

TRAINED = [a for a in adapters.COURSE_ADAPTERS if a.name in RECIPES]


@pytest.mark.parametrize("adapter", TRAINED, ids=lambda a: a.name)
def test_each_committed_adapter_matches_its_run_record(adapter):
    record = adapter.record()
    assert record is not None, f"{adapter.record_path} is missing: run `make finetune`"
    assert record["adapter"] == adapter.name and record["model_id"] == adapter.model_id
    assert adapters.sha256(adapter.path) == record["adapter_sha256"]
    assert adapter.path.stat().st_size == record["adapter_bytes"]
    assert record["base_model"] == engine.MODEL_NAME
    train = record["train"]
    assert train["steps"] == len(train["losses"]) == RECIPES[adapter.name].steps
    assert train["losses"][-1] < train["losses"][0]
    assert train["peak_rss_mb"] < 8 * 1024  # the laptop limit: 8 GB


@pytest.mark.parametrize("adapter", TRAINED, ids=lambda a: a.name)
def test_the_record_names_the_data_it_was_trained_on(adapter):
    recipe = RECIPES[adapter.name]
    record = adapter.record()
    train, held_out = recipe.data(record["data"]["n_train"], record["data"]["n_held_out"])
    assert data_sha256(train) == record["data"]["sha256"]
    assert len(held_out) == record["data"]["n_held_out"] == record["after"]["n"]


@pytest.mark.slow
def test_the_format_adapter_loads_and_changes_the_reply_format_on_held_out_tickets(local_client):
    _, held_out = ft.default_split(10, 3)
    before = ft.evaluate_format(local_client, held_out, model="claude-sonnet-4-6")
    after = ft.evaluate_format(local_client, held_out, model=adapters.FORMAT.model_id)
    assert after.model == f"{engine.MODEL_NAME}+support-format" and before.model == engine.MODEL_NAME
    assert [r.reply.startswith("1. Diagnosis:") for r in after.per_example] == [True, True, True]
    # the base model, given the format in its system prompt, sometimes follows it: the adapter must do better
    assert after.adherence > before.adherence
    assert after.adherence > before.adherence


@pytest.mark.slow
def test_the_sql_adapter_loads_and_writes_bare_sql_without_a_schema(local_client):
    from labkit.nl2sql import FineTuned, evaluate, load_split

    questions = load_split().validation[:3]
    run = evaluate(FineTuned(model=adapters.SQL.model_id, client=local_client), questions)
    assert [r.format_ok for r in run.records] == [True, True, True], [r.text for r in run.records]
    # it learned the schema from examples alone: some answers return the right rows (the base model, with the
    # same prompt, writes prose or fenced SQL: see the record's "before")
    assert any(r.correct for r in run.records), [r.message for r in run.records]
