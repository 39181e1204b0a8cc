"""The fine-tuning base model in PyTorch: the course model, dequantized once from its GGUF file.

Training needs PyTorch; answering does not. So a LoRA adapter is trained here, on the very model that
answers every other strategy (Qwen2.5-Coder-0.5B-Instruct, read from the course's GGUF file by
transformers and converted once to a float32 folder under the labkit cache, ~50 s and 2.4 GB the first
time), then exported as a GGUF LoRA (`labkit.finetune.gguf_lora`) that llama.cpp applies to the same
quantized weights it always serves (`labkit.engine`). Same base model, same engine, same settings: the
adapter is the only difference. Used by lesson 03 and `make finetune`.

torch and transformers are imported inside the functions: importing labkit.finetune stays fast.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from labkit.paths import cache_dir

N_THREADS = 2  # like the engine: results do not depend on the core count


@contextmanager
def peft_quietly() -> Iterator[None]:
    """peft reads transformers' deprecated `is_gradient_checkpointing` alias, which prints a FutureWarning on
    every adapter load: a note about peft's code, not the learner's, so only that warning is silenced."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="`is_gradient_checkpointing` is deprecated", category=FutureWarning)
        yield


def adapters_dir() -> Path:
    """Where adapters a learner trains go by default (one folder per run)."""
    return cache_dir() / "adapters"


def base_model_dir(gguf: Path | None = None) -> Path:
    """A transformers folder with the dequantized base model, converted from its GGUF file on first use."""
    from labkit.engine import model_path

    gguf = Path(gguf) if gguf else model_path()
    target = cache_dir() / "models" / f"{gguf.stem}-{gguf.stat().st_size}-hf"
    if (target / "model.safetensors").exists():
        return target
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging

    logging.disable_progress_bar()
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    # the weights are plain float32 now; without this save_pretrained refuses
    model.hf_quantizer = None  # type: ignore[assignment]  # torch's Module.__setattr__ hint allows no None
    model.config.__dict__.pop("quantization_config", None)
    partial = target.with_name(target.name + ".partial")
    model.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    partial.rename(target)  # a crash never leaves a half-written folder under the real name
    return target


def load_base(gguf: Path | None = None, checkpointing: bool = True):
    """(model, tokenizer) of the base model in float32 on the CPU, in eval mode.

    checkpointing: recompute activations in the backward pass instead of keeping them: training a batch
    of 4 tickets then peaks near 6 GB instead of ~13 GB, at the cost of about a third more time per step.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging

    logging.disable_progress_bar()  # the "Loading weights" bar is noise in a notebook
    torch.set_num_threads(N_THREADS)
    folder = base_model_dir(gguf)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
    if checkpointing:
        model.activation_checkpointing_enable({"use_reentrant": False})
        model.config.use_cache = False
    return model, AutoTokenizer.from_pretrained(folder)
