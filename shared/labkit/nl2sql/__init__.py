"""NL->SQL, the seed article's own fine-tuning example, with all four strategies, graded by running the SQL.

Used by the NL->SQL lesson and lab (issue 18) and by `labkit compare --task sql`. One job per module:

| module | job |
| --- | --- |
| `split` | train / validation / test of `labkit/data/sql/pairs.jsonl`: stratified, no near-duplicates across splits |
| `schema` | the database described for a prompt, read from the DuckDB file; one part per table |
| `output` | the format criterion (one bare SELECT) and the one post-processing step (`extract_sql`) |
| `metrics` | per-question `SqlRecord`s (execution accuracy via `labkit.sqlcheck`, format, validity, tokens, cost) |
| `retrieve` | in-memory MiniLM retrieval of similar training pairs and of the schema parts they need |
| `strategies` | PromptOnly, Rag, FineTuned, Hybrid: `answer(pair) -> labkit.evaluate.Reply` |
| `training` | the train split as the seed's chat JSONL, and a corrupted copy for quality-vs-quantity |
| `runner` | evaluate a strategy on pairs, measure RAG's k on validation, markdown tables |

    from labkit.nl2sql import load_split, PromptOnly, Rag, evaluate, markdown_table
    split = load_split()
    runs = {s.name: evaluate(s, split.validation) for s in (PromptOnly(), Rag())}
    print(markdown_table(runs))
"""

from labkit.nl2sql.metrics import SqlRecord, SqlSummary, by_difficulty, paired, score, summarize
from labkit.nl2sql.output import extract_sql, format_ok, format_problem
from labkit.nl2sql.retrieve import Retriever, table_recall
from labkit.nl2sql.runner import SqlRun, best_k, check_not_test, difficulty_table, evaluate, markdown_table, measure_k
from labkit.nl2sql.schema import Column, Schema, Table, describe
from labkit.nl2sql.split import SPLITS, Split, cross_split_near_duplicates, load_split, make_split
from labkit.nl2sql.strategies import (
    DECODING,
    FineTuned,
    Hybrid,
    PromptOnly,
    Rag,
    SqlStrategy,
    build_system,
    fixed_examples,
    seed_system_prompt,
)
from labkit.nl2sql.training import Corruption, corrupt, training_rows, write_training_file

__all__ = [
    "DECODING", "SPLITS", "Column", "Corruption", "FineTuned", "Hybrid", "PromptOnly", "Rag", "Retriever", "Schema",
    "Split", "SqlRecord", "SqlRun", "SqlStrategy", "SqlSummary", "Table", "best_k", "build_system", "by_difficulty",
    "check_not_test", "corrupt", "cross_split_near_duplicates", "describe", "difficulty_table", "evaluate",
    "extract_sql", "fixed_examples", "format_ok", "format_problem", "load_split", "make_split", "markdown_table",
    "measure_k", "paired", "score", "seed_system_prompt", "summarize", "table_recall", "training_rows",
    "write_training_file",
]
