"""The course's fine-tuned models: which `ft:` model id is answered by which LoRA adapter.

A fine-tuned model here is the course's base model (Qwen2.5-Coder-0.5B-Instruct) plus a LoRA adapter in
GGUF form, answered by the same llama.cpp engine with the same settings as every other strategy
(`labkit.engine`). The adapters are trained by `make finetune` (`labkit.finetune.train`) and committed
under `labkit/data/adapters/` with their run records, so a fresh clone has real fine-tuned models.

    from labkit.adapters import COURSE_ADAPTERS, adapter_for
    adapter_for("ft:claude-sonnet-4-6:acmecorp:support-v3").name      # "support-format"

The seed article calls its fine-tuned model `ft:claude-sonnet-4-6:acmecorp:support-v3`. That id is an
illustration: nobody can call such a model on Claude's API. The course keeps it as a name for its own
support-format adapter so the seed's hybrid code runs as written, and `ft:` ids are always answered by
the local engine, also when ANTHROPIC_API_KEY is set (`labkit.llm`). Used by lessons 03 and 04 and the
NL->SQL section; `register()` adds an adapter a learner trained (lesson 03).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from labkit.models import SEED_FINETUNED_MODEL

ADAPTER_DIR = Path(__file__).with_name("data") / "adapters"
FT_PREFIX = "ft:"


class NoAdapter(LookupError):
    """An `ft:` model id that no adapter answers (or whose adapter file is missing)."""


@dataclass(frozen=True)
class Adapter:
    """One fine-tuned model: its name, the ids that call it, the GGUF file and the run record."""

    name: str                 # also the file stem: data/adapters/<name>.gguf and <name>.json
    model_id: str             # the id to call it by
    trained_on: str           # what it learned, in one line (shown in tables)
    aliases: tuple[str, ...] = ()

    @property
    def path(self) -> Path:
        return ADAPTER_DIR / f"{self.name}.gguf"

    @property
    def record_path(self) -> Path:
        return ADAPTER_DIR / f"{self.name}.json"

    def record(self) -> dict | None:
        """The training run's record (data hash, steps, losses, before/after), or None if not trained."""
        return json.loads(self.record_path.read_text()) if self.record_path.exists() else None

    @property
    def ids(self) -> tuple[str, ...]:
        return (self.model_id, *self.aliases)


COURSE_ADAPTERS: tuple[Adapter, ...] = (
    Adapter("support-format", "ft:qwen2.5-coder-0.5b:acmecorp:support-format-v1",
            "support tickets in the Diagnosis / Solution / Prevention / Source format",
            aliases=(SEED_FINETUNED_MODEL,)),
    Adapter("support-knowledge", "ft:qwen2.5-coder-0.5b:acmecorp:knowledge-v1",
            "question-answer pairs written from the knowledge-base documents"),
    Adapter("sql", "ft:qwen2.5-coder-0.5b:acmecorp:sql-v1",
            "NL->SQL pairs of the train split, with the seed's system prompt and no schema"),
)
FORMAT, KNOWLEDGE, SQL = COURSE_ADAPTERS

_registered: dict[str, Path] = {}


def is_finetuned_id(model_id: str) -> bool:
    """True for `ft:...` ids: the ones answered by an adapter on the local engine."""
    return model_id.startswith(FT_PREFIX)


def register(model_id: str, gguf: str | Path) -> None:
    """Answer `model_id` (it must start with 'ft:') with the GGUF LoRA adapter in `gguf`."""
    if not is_finetuned_id(model_id):
        raise ValueError(f"fine-tuned model ids start with {FT_PREFIX!r}, like the seed's; got {model_id!r}")
    path = Path(gguf)
    if path.suffix != ".gguf" or not path.is_file():
        raise NoAdapter(f"{path}: not a GGUF adapter file (labkit.finetune.train_lora writes <out>/<out name>.gguf)")
    _registered[model_id] = path


def adapter_for(model_id: str) -> Adapter | Path:
    """The course Adapter or the registered file that answers `model_id`; NoAdapter if none does."""
    if model_id in _registered:
        return _registered[model_id]
    for adapter in COURSE_ADAPTERS:
        if model_id in adapter.ids:
            if not adapter.path.exists():
                raise NoAdapter(f"{model_id}: the adapter file {adapter.path} is missing; `make finetune` "
                                "trains it (or restore it with git checkout)")
            return adapter
    known = ", ".join(i for a in COURSE_ADAPTERS for i in a.ids)
    raise NoAdapter(f"no fine-tuned model {model_id!r}: the course's are {known}; a model you trained is "
                    "called after labkit.adapters.register(model_id, path)")


def adapter_file(model_id: str) -> Path:
    """The GGUF file that answers `model_id`."""
    found = adapter_for(model_id)
    return found.path if isinstance(found, Adapter) else found


def sha256(path: Path) -> str:
    """The file's SHA-256 (the run record holds the adapter's, and a test compares them)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
