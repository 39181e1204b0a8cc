"""labkit.finetune.train / model: a tiny LoRA run offline, reloading it, serving "ft:" ids, scoring format.

The run is deliberately tiny (4 short examples, 2 steps): it proves the pipeline works, not that it learns.
`make finetune` runs the real one and prints the before/after table.
"""

from __future__ import annotations

import math

import anthropic
import pytest

from labkit import finetune as ft
from labkit.data import load_tickets
from labkit.finetune import model as ftmodel
from labkit.finetune.train import IGNORE, encode
from labkit.llm import get_client
from labkit.local_model import LocalModelError
from labkit.models import SEED_FINETUNED_MODEL

pytestmark = pytest.mark.slow
TICKETS = load_tickets()


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("adapter") / "tiny"
    return ft.train_lora(TICKETS[:4], TICKETS[4:6], out_dir=out, max_steps=2, batch_size=2, max_length=160)


def test_encode_masks_everything_but_the_reply():
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(ftmodel.base_model_dir())
    messages = TICKETS[0]["messages"]
    ids, labels = encode(tokenizer, messages, max_length=1000)
    n_prompt = labels.count(IGNORE)
    assert len(ids) == len(labels) and labels[:n_prompt] == [IGNORE] * n_prompt
    assert tokenizer.decode(ids[n_prompt:]) == messages[-1]["content"] + tokenizer.eos_token
    assert tokenizer.decode(ids[:n_prompt]).endswith("<|im_start|>assistant\n")


def test_tiny_run_completes_with_finite_loss(trained):
    assert trained.steps == 2 and len(trained.losses) == 2 and trained.n_train == 4
    assert all(math.isfinite(x) and x > 0 for x in trained.losses) and math.isfinite(trained.val_loss)
    assert (trained.adapter_dir / "adapter_config.json").exists()
    assert 0 < trained.trainable_params < trained.total_params / 20  # LoRA trains a few % of the weights
    assert trained.settings["target_modules"] == list(ft.train.ALL_LINEAR) and trained.settings["r"] == 16
    assert trained.wall_seconds > 0 and trained.cpu_seconds > 0 and trained.peak_rss_mb > 100


def test_a_prompt_longer_than_max_length_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="raise max_length"):
        ft.train_lora(TICKETS[:1], out_dir=tmp_path, max_steps=1, max_length=16)


def test_adapter_reloads_offline_and_generates(trained):
    model = ft.load_finetuned(trained.adapter_dir)
    g = model.generate("You are AcmeCorp support.", [("user", "How do I reset my password?")], 6)
    assert g.output_tokens == 6 and g.stop_reason == "max_tokens" and g.text
    assert g.input_tokens == model.count_tokens("You are AcmeCorp support.",
                                                [("user", "How do I reset my password?")])


def test_ft_model_id_is_answered_through_the_sdk(trained):
    ft.register_finetuned(SEED_FINETUNED_MODEL, trained.adapter_dir)
    client = get_client("local")
    message = client.messages.create(model=SEED_FINETUNED_MODEL, max_tokens=5,
                                     system="You are AcmeCorp support.",
                                     messages=[{"role": "user", "content": "Can I get a refund?"}])
    assert isinstance(message, anthropic.types.Message)
    assert message.model.startswith("smollm2-135m+lora") and message.content[0].text
    assert message.usage.output_tokens == 5 and message.stop_reason == "max_tokens"
    count = client.messages.count_tokens(model=SEED_FINETUNED_MODEL,
                                         messages=[{"role": "user", "content": "Hi"}])
    assert count.input_tokens > 0


def test_unknown_ft_id_without_adapters_is_a_clear_400(monkeypatch, tmp_path):
    monkeypatch.setattr(ftmodel, "adapters_dir", lambda: tmp_path)
    with pytest.raises(anthropic.BadRequestError, match="no fine-tuned adapter"):
        get_client("local").messages.create(model="ft:nobody:trained-this", max_tokens=5,
                                            messages=[{"role": "user", "content": "Hi"}])


def test_register_rejects_ids_and_folders_that_are_not_adapters(tmp_path):
    with pytest.raises(ValueError, match="start with 'ft:'"):
        ft.register_finetuned("claude-sonnet-4-6", tmp_path)
    with pytest.raises(LocalModelError, match="adapter_config.json"):
        ft.register_finetuned("ft:x", tmp_path)


def test_evaluate_format_scores_format_and_cited_doc():
    class Echo:  # a stand-in model: replies with the gold reply, or a bad one
        def __init__(self, good):
            self.good = good

        def generate(self, system, turns, max_tokens):
            golds = {t["messages"][1]["content"]: t["messages"][2]["content"] for t in TICKETS[:4]}
            gold = golds[turns[0][1]]
            text = gold if self.good else "Sorry, I do not know. Source: [nowhere] Nothing"
            return ftmodel.Generation(text, 1, 1, "end_turn")

    good = ft.evaluate_format(Echo(True), TICKETS[:4])
    bad = ft.evaluate_format(Echo(False), TICKETS[:4])
    assert (good.adherence, good.key_fact_accuracy, good.n) == (1.0, 1.0, 4)
    assert (bad.adherence, bad.key_fact_accuracy) == (0.0, 0.0)
    assert bad.per_example[0].cited_doc == "nowhere" and bad.per_example[0].format_problem


def test_command_line_run_writes_a_record_that_load_run_reads(tmp_path, capsys):
    from labkit.finetune.train import RUN_RECORD, load_run, main

    out = tmp_path / "cli-lora"
    record = main(["--train", "2", "--steps", "1", "--eval", "1", "--max-tokens", "3", "--out", str(out),
                   "--record", str(tmp_path / "copy.json")])
    assert (out / RUN_RECORD).exists() and (tmp_path / "copy.json").exists()
    assert load_run(out) == record and load_run(tmp_path / "nothing-here") is None
    assert record["train"]["steps"] == 1 and record["before"]["n"] == record["after"]["n"] == 1
    assert record["train"]["settings"]["r"] == 16 and "format adherence" in capsys.readouterr().out
