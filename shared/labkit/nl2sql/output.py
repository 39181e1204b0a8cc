"""What a model's NL->SQL reply is: the format criterion, and the one post-processing step every strategy gets.

Used by the NL->SQL lesson and lab (issue 18) and by `labkit.nl2sql.metrics`, which scores every reply twice:

* **Format** (`format_problem` / `format_ok`) looks at the raw reply. It passes when the reply is exactly one
  SQL SELECT (or WITH ... SELECT) statement and nothing else, as the seed article's training file has it
  (its assistant turns are bare SQL). Tolerated: whitespace around it and one trailing semicolon (the
  seed's own replies end in ";", a reply without one is the same statement). Not tolerated: a markdown code
  fence, any prose before or after, a SQL comment, a second statement, a statement that is not a SELECT.
* **Execution** runs `extract_sql(reply)`: the reply with surrounding whitespace removed and, when it holds a
  markdown code fence, only the first fenced block. That is all the post-processing there is, the same for
  every strategy, so a fenced but correct query still counts as correct SQL, while the format metric,
  computed on the raw text, still counts the fence as a format failure. Prose around unfenced SQL is not
  removed: DuckDB then rejects it, and the reply is invalid SQL as well.
"""

from __future__ import annotations

import re

import duckdb

from labkit import sqlcheck

# ```sql ... ``` (or ``` ... ```, ```SQL, ```postgresql): the first fenced block; an unclosed fence runs to the end.
_FENCE = re.compile(r"```[ \t]*(?:(?:sql|duckdb|postgres(?:ql)?|psql)\b)?[ \t]*\n?(.*?)(?:```|\Z)", re.S | re.I)


def extract_sql(text: str) -> str:
    """The SQL to execute from a model reply: the first fenced block if there is one, else the stripped text."""
    match = _FENCE.search(text)
    return (match.group(1) if match else text).strip()


def format_problem(text: str) -> str | None:
    """None when `text` is exactly one SELECT statement and nothing else (see the module docstring), else
    what is wrong. It has the signature `labkit.finetune.validation.validate(..., format=)` expects, so the
    same criterion checks a training file's gold replies and a model's answers."""
    sql = text.strip()
    if not sql:
        return "the reply is empty"
    if "```" in sql:
        return "the SQL is wrapped in a markdown code fence"
    if sql.endswith(";"):
        sql = sql[:-1].rstrip()
        if sql.endswith(";"):
            return "more than one trailing semicolon"
    problem = sqlcheck.check_select(sql)
    if problem:
        return problem
    try:
        tokens = duckdb.tokenize(sql)
    except Exception as exc:  # noqa: BLE001 - DuckDB's tokenizer explains what it could not read
        return str(exc)
    if any(kind == duckdb.token_type.comment for _, kind in tokens):
        return "the SQL contains a comment (-- or /* */), not only the query"
    return None


def format_ok(text: str) -> bool:
    """True when `format_problem(text)` finds nothing wrong."""
    return format_problem(text) is None
