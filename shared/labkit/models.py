"""Model ids used across the course, defined once.

The course talks to Claude through the real `anthropic` SDK. These ids are the ones the notebooks use;
`claude-sonnet-4-5` is left out on purpose: the SDK marks it deprecated and warns on every call.
Prices live in `labkit/data/prices.csv` (see `labkit.costs`), not here.
"""

from __future__ import annotations

DEFAULT_MODEL = "claude-sonnet-4-6"  # the seed article's model
FAST_MODEL = "claude-haiku-4-5"      # cheaper and faster, for bulk evaluation with a key
STRONG_MODEL = "claude-opus-4-6"

CLAUDE_MODELS: tuple[str, ...] = (STRONG_MODEL, DEFAULT_MODEL, FAST_MODEL)

# The seed's hybrid pipeline calls a fine-tuned model by this id. Offline, labkit answers it with the
# LoRA adapter trained in module 3 (when one has been trained), else with the base local model.
SEED_FINETUNED_MODEL = "ft:claude-sonnet-4-6:acmecorp:support-v3"


def is_claude_model(model: str) -> bool:
    """True for the Claude ids the course knows (exact match or a dated snapshot of one)."""
    return any(model == m or model.startswith(m + "-") for m in CLAUDE_MODELS)
