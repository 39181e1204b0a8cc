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
