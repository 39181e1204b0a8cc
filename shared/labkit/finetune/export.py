"""Write cleaned examples in the format each trainer expects.

- OpenAI chat fine-tuning:  {"messages": [{"role": "system"|"user"|"assistant", "content": "..."}, ...]}
  (platform.openai.com/docs/guides/fine-tuning; messages may also carry "name" and "weight").
- Amazon Bedrock, Claude fine-tuning: {"system": "...", "messages": [{"role": "user", ...},
  {"role": "assistant", ...}, ...]}: system is an optional string, at least two messages, user first,
  assistant last, strictly alternating, no other keys (Anthropic cookbook "Finetuning Claude 3 Haiku on
  Bedrock", platform.claude.com/cookbook/finetuning-finetuning-on-bedrock).
- Hugging Face TRL, conversational language modeling: {"messages": [{"role": ..., "content": ...}]};
  SFTTrainer applies the model's chat template itself (huggingface.co/docs/trl/dataset_formats).

Every exporter refuses an example that is not well formed (see `validate.check_example`) with an
ExportError naming its line, rather than writing a file the trainer rejects hours later.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from labkit.finetune.examples import Example, as_examples
from labkit.finetune.validation import check_example


class ExportError(ValueError):
    """An example cannot be written in the requested format; the message names its line."""


def _checked(examples: Iterable[Example | dict], target: str) -> list[Example]:
    out = as_examples(examples)
    for ex in out:
        problems = check_example(ex.to_dict())
        if problems:
            kind, message = problems[0]
            raise ExportError(f"line {ex.line}: cannot export to {target}: {kind}: {message} "
                              "(run labkit.finetune.validate or clean first)")
    return out


def to_openai(examples: Iterable[Example | dict]) -> list[dict]:
    """OpenAI chat fine-tuning rows: {"messages": [...]}, keeping "name"/"weight" where present."""
    return [{"messages": [dict(m) for m in ex.messages]} for ex in _checked(examples, "OpenAI")]


def to_trl(examples: Iterable[Example | dict]) -> list[dict]:
    """TRL conversational rows: {"messages": [{"role", "content"}, ...]} (only those two keys)."""
    return [{"messages": [{"role": m["role"], "content": m["content"]} for m in ex.messages]}
            for ex in _checked(examples, "TRL")]


def to_bedrock(examples: Iterable[Example | dict]) -> list[dict]:
    """Bedrock Claude fine-tuning rows: the system message moves to a top-level "system" string."""
    rows = []
    for ex in _checked(examples, "Bedrock"):
        system = [m["content"] for m in ex.messages if m["role"] == "system"]
        row = {"system": system[0]} if system else {}
        row["messages"] = [{"role": m["role"], "content": m["content"]} for m in ex.messages
                           if m["role"] != "system"]
        rows.append(row)
    return rows


def write_jsonl(rows: Iterable[dict | Example], path: str | Path) -> Path:
    """Write one JSON object per line (UTF-8, non-ASCII kept as is); creates the folder; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as out:
        for row in rows:
            row = row.to_dict() if isinstance(row, Example) else row
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path
