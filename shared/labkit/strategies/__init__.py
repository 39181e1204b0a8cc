"""The seed article's strategies as small objects with one interface, and their comparison.

    from labkit.strategies import PromptOnly, Rag, FineTuned, Hybrid, compare
    runs = compare([PromptOnly(), Rag(index)], load_eval("dev")[:8])   # {name: labkit.evaluate.EvalRun}

A strategy is anything with a `name`, a `role` (which of the seed's claims its measurements answer,
labkit.decision.ROLES), an `answer(item) -> labkit.evaluate.Reply` method, a `format_check(text) -> bool`
(the output format it asks for) and an `update(docs) -> str` method (what it takes to learn changed
facts). Add your own by writing one more such dataclass; `compare` and `labkit compare` take it as it is.
Every strategy here is answered by the same base model and engine with the same settings (labkit.llm);
they differ only in the strategy. One file per family, in the order lesson 04 meets them:

| file | what is in it |
|---|---|
| `base.py` | the interface, the shared wording (role, short-answer rule, guardrail), reading a reply |
| `prompting.py` | PromptOnly (curated, or the whole knowledge base in a cached prompt), PromptFormat (few-shot) |
| `retrieval.py` | Rag (module 2's grounded answers) and the shared knowledge-base index |
| `finetuned.py` | FineTuned (the knowledge or the format adapter) and Hybrid (the seed's hybrid pipeline) |
| `running.py` | run, compare, measure_freshness (the knowledge-base update), spread |

Hallucination is judged against the same evidence for every strategy: the knowledge base the question is
about (`labkit.evaluate.run_eval`). A Reply's `evidence` is what that model was shown, for the separate
`hallucinated_shown` check. Used by lesson 04, `labkit compare` and `labkit.effort`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from labkit.adapters import FORMAT, KNOWLEDGE
from labkit.decision import ROLES
from labkit.strategies.base import (
    GUARDRAIL,
    ROLE,
    SHORT_ANSWER,
    SHORT_WORDS,
    Strategy,
    default_client,
    reply_of,
    support_format_ok,
    ticket_system_prompt,
)
from labkit.strategies.finetuned import FineTuned, Hybrid, IfMissing, finetuned_model
from labkit.strategies.prompting import PromptFormat, PromptOnly, Selection, curated_order, pack_documents
from labkit.strategies.retrieval import Rag, kb_index, reindex
from labkit.strategies.running import Freshness, compare, measure_freshness, run, spread

__all__ = [
    "GUARDRAIL", "ROLE", "ROLES", "SHORT_ANSWER", "SHORT_WORDS", "FineTuned", "Freshness", "Hybrid", "IfMissing",
    "PromptFormat", "PromptOnly", "Rag", "Selection", "Strategy", "build", "compare", "curated_order",
    "default_client", "finetuned_model", "kb_index", "measure_freshness", "pack_documents", "reindex", "reply_of",
    "run", "spread", "support_format_ok", "ticket_system_prompt",
]


def build(roles: Sequence[str], client: Any = None, index: Any = None, if_missing: IfMissing = "error",
          **options: Any) -> dict[str, Strategy]:
    """{role: strategy} for `roles` (of ROLES), sharing one client and one knowledge-base index.
    "prompt-only" is the curated prompt within the seed's budget, "prompt-whole-kb" the whole knowledge
    base in a cached prompt, "prompt-format" the few-shot format baseline; "fine-tuned" is the knowledge
    adapter (the seed's "internalized knowledge"), "fine-tuned-format" the support-ticket format adapter;
    `options[role]` are keyword arguments for that strategy."""
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise ValueError(f"unknown strategy {', '.join(unknown)}: choose from {', '.join(ROLES)}")
    client = default_client(client)
    if index is None and {"rag", "hybrid"} & set(roles):
        index = kb_index()
    makers: dict[str, Callable[..., Strategy]] = {
        "prompt-only": lambda **o: PromptOnly(client, **o),
        "prompt-whole-kb": lambda **o: PromptOnly(client, selection="whole-kb", **o),
        "prompt-format": lambda **o: PromptFormat(client, **o),
        "rag": lambda **o: Rag(index, client, **o),
        "fine-tuned": lambda **o: FineTuned(client, adapter=KNOWLEDGE, if_missing=if_missing, **o),
        "fine-tuned-format": lambda **o: FineTuned(client, adapter=FORMAT, if_missing=if_missing, **o),
        "hybrid": lambda **o: Hybrid(index, client, if_missing=if_missing, **o),
    }
    return {role: makers[role](**options.get(role, {})) for role in roles}
