"""labkit.finetune.train / gguf_lora / heldout / runs: a tiny LoRA run on the course model, exported as a
GGUF LoRA, answered by the same llama.cpp engine through the SDK, and scored.

The run is deliberately tiny (a few short examples, 1-2 steps): it proves the pipeline works, not that it
learns. `make finetune` runs the real ones; tests/test_adapters.py checks what they produced.
"""

from __future__ import annotations

import json
import math

import anthropic
import gguf
import pytest

from labkit import adapters, engine
from labkit import finetune as ft
from labkit.data import load_tickets
from labkit.finetune import model as ftmodel
from labkit.finetune.train import IGNORE, encode
from labkit.llm import get_client

pytestmark = pytest.mark.slow
TICKETS = load_tickets()


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("adapter") / "tiny-lora"
    return ft.train_lora(TICKETS[:4], TICKETS[4:6], out_dir=out, max_steps=2, batch_size=2, max_length=256)


def test_encode_masks_everything_but_the_reply_and_ends_the_turn():
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(ftmodel.base_model_dir())
    messages = TICKETS[0]["messages"]
    ids, labels = encode(tokenizer, messages, max_length=1000)
    n_prompt = labels.count(IGNORE)
    assert len(ids) == len(labels) and labels[:n_prompt] == [IGNORE] * n_prompt
    assert tokenizer.decode(ids[n_prompt:]) == messages[-1]["content"] + "<|im_end|>"
    assert tokenizer.decode(ids[:n_prompt]).endswith("<|im_start|>assistant\n")


def test_tiny_run_completes_with_finite_loss(trained):
    assert trained.steps == 2 and len(trained.losses) == 2 and trained.n_train == 4
    assert all(math.isfinite(x) and x > 0 for x in trained.losses) and math.isfinite(trained.val_loss)
    assert (trained.adapter_dir / "adapter_config.json").exists() and trained.gguf.exists()
    assert 0 < trained.trainable_params < trained.total_params / 20  # LoRA trains a few % of the weights
    assert trained.settings["target_modules"] == list(ft.train.ALL_LINEAR) and trained.settings["r"] == 16
    assert trained.settings["gradient_checkpointing"] is True
    assert trained.wall_seconds > 0 and trained.cpu_seconds > 0 and trained.peak_rss_mb > 100


def test_the_gguf_is_a_llama_cpp_lora_adapter(trained):
    reader = gguf.GGUFReader(str(trained.gguf))
    fields = {name: reader.fields[name] for name in ("general.type", "adapter.type", "adapter.lora.alpha")}
    assert bytes(fields["general.type"].parts[-1]).decode() == "adapter"
    assert bytes(fields["adapter.type"].parts[-1]).decode() == "lora"
    assert float(fields["adapter.lora.alpha"].parts[-1][0]) == 32.0
    names = {t.name for t in reader.tensors}
    assert len(names) == 24 * 7 * 2  # 24 blocks x 7 linear layers x (A, B)
    assert {"blk.0.attn_q.weight.lora_a", "blk.23.ffn_down.weight.lora_b"} <= names


def test_a_prompt_longer_than_max_length_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="raise max_length"):
        ft.train_lora(TICKETS[:1], out_dir=tmp_path, max_steps=1, max_length=16)


def test_a_registered_adapter_is_answered_by_the_same_engine_through_the_sdk(trained):
    adapters.register("ft:test:tiny", trained.gguf)
    client = get_client("local")
    message = client.messages.create(model="ft:test:tiny", max_tokens=5, system="You are AcmeCorp support.",
                                     messages=[{"role": "user", "content": "Can I get a refund?"}])
    assert isinstance(message, anthropic.types.Message)
    assert message.model == f"{engine.MODEL_NAME}+tiny-lora" and message.content[0].text
    assert message.usage.output_tokens == 5 and message.stop_reason == "max_tokens"
    assert client.messages.count_tokens(model="ft:test:tiny", messages=[{"role": "user", "content": "Hi"}]).input_tokens


def test_register_rejects_ids_and_files_that_are_not_adapters(tmp_path):
    with pytest.raises(ValueError, match="start with 'ft:'"):
        adapters.register("claude-sonnet-4-6", tmp_path / "x.gguf")
    with pytest.raises(adapters.NoAdapter, match="not a GGUF adapter file"):
        adapters.register("ft:x", tmp_path / "missing.gguf")


def test_an_adapter_for_another_base_model_is_a_clear_engine_error(tmp_path):
    bad = tmp_path / "wrong.gguf"
    writer = gguf.GGUFWriter(str(bad), "llama")
    writer.add_string("general.type", "adapter")
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    with pytest.raises(engine.EngineError, match="could not load"):
        engine.start(engine.model_path(), bad)


def test_evaluate_format_on_the_base_model_scores_each_reply(local_client):
    _, held_out = ft.default_split(10, 2)
    score = ft.evaluate_format(local_client, held_out, model="claude-sonnet-4-6", max_tokens=40)
    assert score.n == 2 and score.model == engine.MODEL_NAME and len(score.per_example) == 2
    for result in score.per_example:
        assert (result.format_problem is None) == (ft.strict_support_format(result.reply) is None)
        assert result.gold_doc and result.output_tokens <= 40
    assert score.adherence == score.passed / 2


def test_runs_cli_writes_the_adapter_and_its_record(tmp_path):
    from labkit.finetune import runs

    runs.main(["--adapter", "support-format", "--steps", "1", "--train", "2", "--eval", "1", "--out", str(tmp_path)])
    record = json.loads((tmp_path / "support-format.json").read_text())
    assert record["adapter_sha256"] == adapters.sha256(tmp_path / "support-format.gguf")
    assert record["train"]["steps"] == 1 and record["data"]["n_train"] == 2
    assert record["before"]["n"] == record["after"]["n"] == 1
    assert record["before"]["model"] == engine.MODEL_NAME and record["after"]["model"].endswith("+support-format")
    assert not (tmp_path / "support-format").exists()  # the peft working copy is not kept


def test_micro_batches_give_the_same_step_as_one_batch():
    """train_lora(micro_batch=...) slices a step's batch to save memory; its gradient and loss must be the
    batch's own (weighted by reply tokens, so slices with few reply tokens do not count extra)."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    from labkit.finetune.train import _accumulate

    torch.manual_seed(0)
    model = Qwen2ForCausalLM(Qwen2Config(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                         num_attention_heads=4, num_key_value_heads=2))
    rows = [([1, 2, 3, 4, 5, 6], [IGNORE, IGNORE, 3, 4, 5, 6]), ([7, 8, 9], [IGNORE, 8, 9]),
            ([3, 3, 3, 3, 3], [IGNORE] * 4 + [3]), ([5, 6, 7, 8], [IGNORE, IGNORE, 7, 8])]

    def step(micro: int) -> tuple[float, list]:
        model.zero_grad()
        loss = _accumulate(model, rows, pad_id=0, micro_batch=micro)
        return loss, [p.grad.clone() for p in model.parameters()]

    whole_loss, whole = step(4)
    for micro in (1, 3):
        loss, grads = step(micro)
        assert loss == pytest.approx(whole_loss, rel=1e-5)
        assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(grads, whole, strict=True))
